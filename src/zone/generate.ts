// Owns BIND's $GENERATE templates: range parsing and `$`, `${offset[,width[,base]]}`, `$$`, `\$` substitution.

/** Most records $GENERATE may produce in one zone, all directives together (a /16 reverse zone needs 65536). */
export const MAX_GENERATE = 1_000_000;

type Part = string | { readonly offset: number; readonly width: number; readonly base: 'd' | 'o' | 'x' | 'X' | 'n' | 'N' };

/** A parsed template; `expand(i)` substitutes the iterator. */
export class Template {
  readonly #parts: readonly Part[];
  readonly constant: boolean;
  constructor(parts: readonly Part[]) {
    this.#parts = parts;
    this.constant = parts.every((p) => typeof p === 'string');
  }

  expand(i: number): string {
    let s = '';
    for (const p of this.#parts) s += typeof p === 'string' ? p : format(i + p.offset, p.width, p.base);
    return s;
  }
}

function format(v: number, width: number, base: 'd' | 'o' | 'x' | 'X' | 'n' | 'N'): string {
  switch (base) {
    case 'd': return v < 0 ? '-' + String(-v).padStart(width - 1, '0') : String(v).padStart(width, '0');
    case 'o': return v.toString(8).padStart(width, '0');
    case 'x': return v.toString(16).padStart(width, '0');
    case 'X': return v.toString(16).toUpperCase().padStart(width, '0');
    case 'n':
    case 'N': {
      // Nibble labels, least significant first; `width` counts output characters including dots,
      // exactly as BIND's nibbles() does (a width that ends on a dot yields an empty label).
      let s = '';
      let w = width;
      let x = v;
      do {
        const d = (x & 0xf).toString(16);
        s += base === 'N' ? d.toUpperCase() : d;
        x = Math.floor(x / 16);
        w--;
        if (x !== 0 || w > 0) {
          s += '.';
          w--;
        }
      } while (x !== 0 || w > 0);
      return s;
    }
  }
}

/** Parses a $GENERATE template; returns a message on a malformed `${...}`. */
export function parseTemplate(text: string): Template | string {
  const parts: Part[] = [];
  let lit = '';
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 0x5c /* \ */ && i + 1 < n) {
      // `\$` is a literal dollar; every other escape is kept for the name/RDATA parser.
      if (text.charCodeAt(i + 1) === 0x24) lit += '\\$';
      else lit += text.slice(i, i + 2);
      i += 2;
      continue;
    }
    if (c !== 0x24 /* $ */) {
      lit += text.charAt(i);
      i++;
      continue;
    }
    if (text.charCodeAt(i + 1) === 0x24) {
      lit += '$';
      i += 2;
      continue;
    }
    if (text.charCodeAt(i + 1) !== 0x7b /* { */) {
      if (lit) parts.push(lit);
      lit = '';
      parts.push({ offset: 0, width: 0, base: 'd' });
      i++;
      continue;
    }
    const close = text.indexOf('}', i);
    if (close < 0) return `expected "}" to close "\${" in "${text}"`;
    const spec = text.slice(i + 2, close).split(',');
    if (spec.length > 3) return `expected \${offset[,width[,base]]}, found "${text.slice(i, close + 1)}"`;
    const [o = '', w = '0', b = 'd'] = spec;
    if (!/^[+-]?\d{1,10}$/.test(o) || !/^\d{1,3}$/.test(w) || !/^[doxXnN]$/.test(b)) {
      return `expected \${offset[,width[,base]]} with base d, o, x, X, n or N, found "${text.slice(i, close + 1)}"`;
    }
    if (lit) parts.push(lit);
    lit = '';
    parts.push({ offset: Number(o), width: Number(w), base: b as 'd' | 'o' | 'x' | 'X' | 'n' | 'N' });
    i = close + 1;
  }
  if (lit) parts.push(lit);
  return new Template(parts);
}

export interface Range {
  readonly start: number;
  readonly stop: number;
  readonly step: number;
  readonly count: number;
}

/** Parses `start-stop[/step]`. */
export function parseRange(text: string): Range | string {
  const m = /^(\d{1,10})-(\d{1,10})(?:\/(\d{1,10}))?$/.exec(text);
  if (!m) return `expected a range start-stop[/step], found "${text}"`;
  const start = Number(m[1]);
  const stop = Number(m[2]);
  const step = m[3] === undefined ? 1 : Number(m[3]);
  if (start > 0x7fffffff || stop > 0x7fffffff) return `range "${text}" is over 2147483647`;
  if (start > stop) return `range "${text}" has start greater than stop`;
  if (step < 1) return `range "${text}" has a step of 0; expected 1 or more`;
  const count = Math.floor((stop - start) / step) + 1;
  if (count > MAX_GENERATE) return `range "${text}" would generate ${count} records; at most ${MAX_GENERATE} are allowed`;
  return { start, stop, step, count };
}

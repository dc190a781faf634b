// Owns domain names: uncompressed wire form, case-preserving labels, case-insensitive keys, presentation with \DDD escapes.
import { lowerByte } from './bytes.ts';
import { TextError, WireError } from './errors.ts';

const MAX_NAME = 255;
const MAX_LABEL = 63;

/** Lower-cased wire form as a latin1 string: the map key for a name (RFC 4343 case-insensitivity). */
export function wireKey(wire: Uint8Array, start = 0, end = wire.length): string {
  // One lower-cased copy then one latin1 decode: much faster than per-character concatenation,
  // and the resulting flat string hashes faster as a Map key.
  const n = end - start;
  const low = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) low[i] = lowerByte(wire[start + i]!);
  return low.toString('latin1', 0, n);
}

/**
 * An absolute domain name. `wire` is the uncompressed wire form including the root label; the
 * original case is kept for output, `key` is the lower-cased form used for every comparison.
 */
export class Name {
  readonly wire: Uint8Array;
  readonly key: string;
  /** Offsets of each label's length octet in `wire`, leftmost first (root label excluded). */
  readonly #offsets: number[];

  private constructor(wire: Uint8Array, offsets: number[]) {
    this.wire = wire;
    this.#offsets = offsets;
    this.key = wireKey(wire);
  }

  static readonly ROOT = new Name(new Uint8Array([0]), []);

  /** Builds a name from an uncompressed wire form (validated). */
  static fromWire(wire: Uint8Array): Name {
    if (wire.length > MAX_NAME) throw new WireError('DUNLIN_ERR_WIRE_NAME_TOO_LONG', 'name exceeds 255 octets');
    const offsets: number[] = [];
    let i = 0;
    for (;;) {
      if (i >= wire.length) throw new WireError('DUNLIN_ERR_WIRE_TRUNCATED', 'name runs past its end', i);
      const len = wire[i]!;
      if (len === 0) break;
      if (len > MAX_LABEL) throw new WireError('DUNLIN_ERR_WIRE_LABEL_TOO_LONG', 'label exceeds 63 octets', i);
      offsets.push(i);
      i += len + 1;
    }
    if (i !== wire.length - 1) throw new WireError('DUNLIN_ERR_WIRE_TRAILING', 'bytes after the root label', i);
    return new Name(wire, offsets);
  }

  /** Builds a name from labels (each 1..63 octets), leftmost first. */
  static fromLabels(labels: readonly Uint8Array[]): Name {
    let len = 1;
    for (const l of labels) len += l.length + 1;
    if (len > MAX_NAME) throw new WireError('DUNLIN_ERR_WIRE_NAME_TOO_LONG', 'name exceeds 255 octets');
    const wire = new Uint8Array(len);
    const offsets: number[] = [];
    let p = 0;
    for (const l of labels) {
      if (l.length === 0 || l.length > MAX_LABEL) throw new WireError('DUNLIN_ERR_WIRE_LABEL_TOO_LONG', 'label must be 1..63 octets');
      offsets.push(p);
      wire[p++] = l.length;
      wire.set(l, p);
      p += l.length;
    }
    wire[p] = 0;
    return new Name(wire, offsets);
  }

  /**
   * Parses presentation form (RFC 1035 §5.1): `\X` quotes X, `\DDD` is a decimal octet. A name
   * without a trailing dot is relative to `origin` (an error when no origin is given). `@` alone is
   * the origin.
   */
  static fromText(text: string, origin?: Name): Name {
    if (text === '@') {
      if (!origin) throw new TextError('"@" used without an origin');
      return origin;
    }
    if (text === '.') return Name.ROOT;
    if (text.length === 0) throw new TextError('empty name');
    const labels: Uint8Array[] = [];
    let cur: number[] = [];
    let absolute = false;
    let i = 0;
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 0x2e /* . */) {
        if (cur.length === 0) throw new TextError(`empty label in name "${text}"`);
        labels.push(Uint8Array.from(cur));
        cur = [];
        i++;
        if (i === text.length) absolute = true;
        continue;
      }
      if (c === 0x5c /* \ */) {
        const d = text.slice(i + 1, i + 4);
        if (/^\d{3}$/.test(d)) {
          const v = Number(d);
          if (v > 255) throw new TextError(`escape \\${d} is over 255 in name "${text}"`);
          cur.push(v);
          i += 4;
        } else if (/^\d/.test(d)) {
          // RFC 1035 §5.1: a digit after "\\" starts \DDD, which needs exactly three digits.
          throw new TextError(`escape \\${d} in name "${text}" must be three decimal digits`);
        } else if (i + 1 < text.length) {
          const e = text.charCodeAt(i + 1);
          if (e > 0xff) throw new TextError(`non-latin1 character in name "${text}"`);
          cur.push(e);
          i += 2;
        } else {
          throw new TextError(`dangling backslash in name "${text}"`);
        }
      } else {
        if (c > 0x7e || c < 0x21) {
          if (c > 0xff) throw new TextError(`character outside ASCII in name "${text}" (use \\DDD escapes)`);
        }
        cur.push(c);
        i++;
      }
      if (cur.length > MAX_LABEL) throw new TextError(`label longer than 63 octets in name "${text}"`);
    }
    if (cur.length > 0) labels.push(Uint8Array.from(cur));
    let name: Name;
    try {
      name = Name.fromLabels(labels);
    } catch (e) {
      if (e instanceof WireError) throw new TextError(`${e.message}: "${text}"`);
      throw e;
    }
    if (absolute) return name;
    if (!origin) throw new TextError(`relative name "${text}" without an origin`);
    try {
      return name.concat(origin);
    } catch (e) {
      if (e instanceof WireError) throw new TextError(`${e.message}: "${text}" + origin ${origin.toText()}`);
      throw e;
    }
  }

  #suffixKeys: string[] | undefined;

  /**
   * Keys of every proper suffix that has a label, leftmost (the whole name) first; computed once per
   * Name and reused by every Writer that compresses it (the writer's hottest cost otherwise).
   */
  suffixKeys(): readonly string[] {
    let keys = this.#suffixKeys;
    if (keys === undefined) {
      keys = this.#offsets.map((o) => this.key.slice(o));
      this.#suffixKeys = keys;
    }
    return keys;
  }

  /** Number of labels, root excluded. */
  get labelCount(): number {
    return this.#offsets.length;
  }

  isRoot(): boolean {
    return this.#offsets.length === 0;
  }

  /** Label i (0 = leftmost), original case. */
  label(i: number): Uint8Array {
    const off = this.#offsets[i];
    if (off === undefined) throw new RangeError(`label ${i} out of range`);
    return this.wire.subarray(off + 1, off + 1 + this.wire[off]!);
  }

  labels(): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (let i = 0; i < this.#offsets.length; i++) out.push(this.label(i));
    return out;
  }

  /** True when the leftmost label is `*` (RFC 4592 §2.1.1). */
  isWildcard(): boolean {
    return this.wire[0] === 1 && this.wire[1] === 0x2a;
  }

  /** The name with its `n` leftmost labels removed. */
  parent(n = 1): Name {
    if (n === 0) return this;
    if (n > this.#offsets.length) throw new RangeError('parent of the root');
    if (n === this.#offsets.length) return Name.ROOT;
    const start = this.#offsets[n]!;
    return new Name(this.wire.subarray(start), this.#offsets.slice(n).map((o) => o - start));
  }

  /** This name (as relative labels) followed by `suffix`. */
  concat(suffix: Name): Name {
    if (suffix.isRoot()) return this;
    const len = this.wire.length - 1 + suffix.wire.length;
    if (len > MAX_NAME) throw new WireError('DUNLIN_ERR_WIRE_NAME_TOO_LONG', 'name exceeds 255 octets');
    const wire = new Uint8Array(len);
    wire.set(this.wire.subarray(0, this.wire.length - 1), 0);
    wire.set(suffix.wire, this.wire.length - 1);
    const base = this.wire.length - 1;
    return new Name(wire, [...this.#offsets, ...suffix.#offsets.map((o) => o + base)]);
  }

  /** `label` prepended to this name (e.g. `*` for the wildcard at a closest encloser). */
  prepend(label: Uint8Array): Name {
    return Name.fromLabels([label, ...this.labels()]);
  }

  equals(other: Name): boolean {
    return this.key === other.key;
  }

  /** True if this name is `other` or below it. */
  isSubdomainOf(other: Name): boolean {
    if (other.isRoot()) return true;
    const k = this.key;
    const o = other.key;
    if (o.length > k.length) return false;
    if (!k.endsWith(o)) return false;
    if (o.length === k.length) return true;
    // The suffix must start at a label boundary.
    const start = k.length - o.length;
    return this.#offsets.includes(start);
  }

  /** Lower-cased copy (RFC 4034 §6.2 canonical form). */
  toLowerCase(): Name {
    const w = new Uint8Array(this.wire.length);
    for (let i = 0; i < w.length; i++) w[i] = lowerByte(this.wire[i]!);
    return new Name(w, this.#offsets.slice());
  }

  /** Presentation form, absolute (trailing dot), with `\.`, `\\`, `\"` etc. and `\DDD` for non-printables. */
  toText(): string {
    if (this.isRoot()) return '.';
    let s = '';
    for (let i = 0; i < this.#offsets.length; i++) {
      const l = this.label(i);
      for (const b of l) s += escapeLabelByte(b);
      s += '.';
    }
    return s;
  }

  toString(): string {
    return this.toText();
  }

  /** Canonical DNS name order (RFC 4034 §6.1): compare labels right to left, case-folded, as octet strings. */
  static compare(a: Name, b: Name): number {
    const na = a.labelCount;
    const nb = b.labelCount;
    for (let i = 1; i <= Math.min(na, nb); i++) {
      const la = a.label(na - i);
      const lb = b.label(nb - i);
      const n = Math.min(la.length, lb.length);
      for (let j = 0; j < n; j++) {
        const d = lowerByte(la[j]!) - lowerByte(lb[j]!);
        if (d !== 0) return d;
      }
      if (la.length !== lb.length) return la.length - lb.length;
    }
    return na - nb;
  }
}

/** Escapes one octet of a label for presentation (RFC 4343 §2.1 / RFC 1035 §5.1). */
export function escapeLabelByte(b: number): string {
  if (b <= 0x20 || b >= 0x7f) return '\\' + String(b).padStart(3, '0');
  switch (b) {
    case 0x2e: return '\\.';
    case 0x5c: return '\\\\';
    case 0x22: return '\\"';
    case 0x28: return '\\(';
    case 0x29: return '\\)';
    case 0x3b: return '\\;';
    case 0x40: return '\\@';
    case 0x24: return '\\$';
    default: return String.fromCharCode(b);
  }
}

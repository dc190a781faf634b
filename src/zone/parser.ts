// Owns master-file parsing (RFC 1035 §5, RFC 2308 $TTL, RFC 3597, BIND $GENERATE): entries -> records with positions.
import { readU32 } from '../wire/bytes.ts';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { classFromText, classToText, isMetaType, RRType, typeFromText, typeToText } from '../wire/constants.ts';
import { TextError } from '../wire/errors.ts';
import { Name } from '../wire/name.ts';
import type { ResourceRecord } from '../wire/record.ts';
import { rdataFromText } from '../wire/registry.ts';
import { fastRdata, ipv4Into, ipv6Into, plainNameInto } from './fast.ts';
import { MAX_GENERATE, parseRange, parseTemplate } from './generate.ts';
import type { Template } from './generate.ts';
import { Lexer } from './lexer.ts';
import type { Token } from './lexer.ts';
import { Positions, Problems } from './problems.ts';
import { RecordTable } from './table.ts';
import { looksLikeTtl, MAX_TTL, parseTtl } from './ttl.ts';
import type { ZoneProblem } from './types.ts';

/** Deepest $INCLUDE nesting (BIND and Knot have similar limits; 16 is far beyond real use). */
export const MAX_INCLUDE_DEPTH = 16;

export interface ParseOptions {
  readonly origin: Name;
  /** Name used in problem positions; also the base directory for relative $INCLUDE paths. */
  readonly file: string;
  /** Reads an included file (latin1, one character per octet). Without it $INCLUDE is an error. */
  readonly readFile?: (path: string) => string;
  /** Errors listed before "and N more". */
  readonly maxErrors?: number;
}

export interface ParseResult {
  /** Parsed records in file order; empty when there are errors (a zone is never half-loaded). */
  readonly records: ResourceRecord[];
  /** positions.get(i) is where records[i] was written. */
  readonly positions: Positions;
  readonly errors: ZoneProblem[];
  readonly warnings: ZoneProblem[];
}

/** State scoped to one file: an included file's changes never leak back (RFC 1035 §5.1). */
interface Scope {
  origin: Name;
  /** $TTL (RFC 2308 §4), or null before the first $TTL. */
  defaultTtl: number | null;
  /** Last explicitly written TTL (RFC 1035 §5.1), or null. */
  lastTtl: number | null;
  /** Owner id in the record table, or -1. */
  owner: number;
  ownerText: string;
  ownerOrigin: Name | null;
}

interface Pending {
  readonly index: number;
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

const typeCache = new Map<string, number>();

function lookupType(text: string): number | undefined {
  let t = typeCache.get(text);
  if (t === undefined) {
    t = typeFromText(text);
    // A fresh copy as the key: `text` is a slice of the zone file and would keep the whole file alive.
    if (t !== undefined && typeCache.size < 4096) typeCache.set(Buffer.from(text, 'latin1').toString('latin1'), t);
  }
  return t;
}

/** Class mnemonic or CLASSnnn; a cheap first-character test keeps type tokens off the slow path. */
function lookupClass(text: string): number | undefined {
  const c = text.charCodeAt(0) | 0x20;
  if (c !== 0x69 /* i */ && c !== 0x63 /* c */ && c !== 0x68 /* h */) return undefined;
  if (text.length === 2 && (text === 'IN' || text === 'in' || text === 'In' || text === 'iN')) return 1;
  return classFromText(text);
}

const NO_RDATA = new Uint8Array(0);

/** Octets that send a line off the fast path: the lexer's specials, CR inside a line, and the backslash. */
const SIMPLE_STOP = new Uint8Array(128);
for (const c of [0x22, 0x28, 0x29, 0x3b, 0x5c, 0x0d, 0x0a]) SIMPLE_STOP[c] = 1;

/** The fast path's types by mnemonic (any case); -1 for every other token. */
function simpleType(s: string, a: number, b: number): number {
  const n = b - a;
  const c = s.charCodeAt(a) | 0x20;
  const is = (word: string): boolean => {
    for (let i = 1; i < n; i++) if ((s.charCodeAt(a + i) | 0x20) !== word.charCodeAt(i)) return false;
    return true;
  };
  switch (n) {
    case 1: return c === 0x61 ? RRType.A : -1;
    case 2: return c === 0x6e && is('ns') ? RRType.NS : c === 0x6d && is('mx') ? RRType.MX : -1;
    case 3: return c === 0x74 && is('txt') ? RRType.TXT : c === 0x70 && is('ptr') ? RRType.PTR : -1;
    case 4: return c === 0x61 && is('aaaa') ? RRType.AAAA : -1;
    case 5: return c === 0x63 && is('cname') ? RRType.CNAME : -1;
    default: return -1;
  }
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

class ZoneParser {
  readonly problems: Problems;
  readonly table: RecordTable;
  readonly #scratch = new Uint8Array(256);
  /** RDATA of the fast paths; an RDATA is at most 65535 octets (RFC 1035 §3.2.1). */
  readonly #rdBuf = new Uint8Array(65536);
  /** The fast path's owner position (read at once by #ttlFor and #push, never kept): one object, not one per line. */
  readonly #lineTok: { text: string; quoted: boolean; line: number; col: number } = { text: '', quoted: false, line: 0, col: 1 };
  /** Token boundaries of the fast path's line. */
  readonly #ts = new Int32Array(16);
  readonly #readFile: ((path: string) => string) | undefined;
  readonly #includeStack: string[] = [];
  readonly #pendingTtl: Pending[] = [];
  #soaMinimum: number | null = null;
  /** Records made by every $GENERATE so far: the cap is per zone, so many directives cannot add up. */
  #generated = 0;
  #warned1035 = false;

  constructor(opts: ParseOptions, text: string) {
    this.problems = new Problems(opts.maxErrors);
    this.table = RecordTable.forText(text);
    this.#readFile = opts.readFile;
    this.#includeStack.push(resolve(opts.file));
  }

  parseFile(text: string, file: string, scope: Scope): void {
    const fileId = this.table.fileId(file);
    const lexer = new Lexer(text, (p) => this.problems.error(file, p.line, p.col, p.message));
    for (;;) {
      if (this.#simpleLine(text, lexer, file, fileId, scope)) continue;
      const e = lexer.next();
      if (e === null) break;
      const toks = e.tokens;
      const first = toks[0]!;
      if (!e.blankOwner && !first.quoted && first.text.charCodeAt(0) === 0x24 /* $ */) {
        this.#directive(toks, file, scope);
        continue;
      }
      this.#record(toks, e.blankOwner, file, fileId, scope);
    }
  }

  /**
   * The fast path for the commonest line, `owner [ttl] [IN] type rdata` with a written owner,
   * plain tokens (no parentheses, comments, escapes or octets above 0x7E; quotes only around TXT strings), digit-only TTL
   * and type A, AAAA, NS, CNAME, PTR, MX or TXT with RDATA the fast paths take. It reads the
   * line in place (no token objects) and returns false, having changed nothing, for anything
   * else: the lexer and #record then handle the line, with their exact problems and positions.
   */
  #simpleLine(src: string, lexer: Lexer, file: string, fileId: number, scope: Scope): boolean {
    const pos = lexer.pos;
    const len = src.length;
    if (pos >= len) return false;
    const c0 = src.charCodeAt(pos);
    if (c0 <= 0x20 || c0 === 0x24 /* $ */ || SIMPLE_STOP[c0] !== 0) return false;
    let end = src.indexOf('\n', pos);
    if (end < 0) end = len;
    let stop = end;
    if (stop > pos && src.charCodeAt(stop - 1) === 0x0d) stop--;
    if (stop - pos > 4096) return false;
    // Token boundaries: ts[2k], ts[2k+1].
    const ts = this.#ts;
    let n = 0;
    let quoted = 0; // bit k: token k was written in double quotes
    let p = pos;
    while (p < stop) {
      let c = src.charCodeAt(p);
      if (c === 0x20 || c === 0x09) {
        p++;
        continue;
      }
      if (n === 8) return false;
      if (c === 0x22) {
        // A quoted string without escapes: its content is the token (only TXT RDATA takes it below).
        const q = ++p;
        while (p < stop) {
          c = src.charCodeAt(p);
          if (c === 0x22) break;
          if (c > 0x7e || c === 0x5c || c === 0x0d) return false;
          p++;
        }
        if (p >= stop) return false;
        ts[2 * n] = q;
        ts[2 * n + 1] = p++;
        quoted |= 1 << n;
        n++;
        continue;
      }
      ts[2 * n] = p;
      while (p < stop) {
        c = src.charCodeAt(p);
        if (c === 0x20 || c === 0x09) break;
        if (c > 0x7e || SIMPLE_STOP[c] !== 0) return false;
        p++;
      }
      ts[2 * n + 1] = p;
      n++;
    }
    if (n < 3 || quoted & 1) return false;
    // [ttl] [class] in either order, then the type (#fields' rules for these tokens).
    let ttl = -1;
    let cls = false;
    let k = 1;
    let type = -1;
    for (; k < n && type < 0; k++) {
      if (quoted & (1 << k)) return false;
      const a = ts[2 * k]!;
      const b = ts[2 * k + 1]!;
      const c = src.charCodeAt(a);
      if (c >= 0x30 && c <= 0x39) {
        if (ttl >= 0 || b - a > 10) return false;
        let v = 0;
        for (let i = a; i < b; i++) {
          const d = src.charCodeAt(i);
          if (d < 0x30 || d > 0x39) return false;
          v = v * 10 + d - 0x30;
        }
        if (v > MAX_TTL) return false;
        ttl = v;
        continue;
      }
      if (b - a === 2 && (c | 0x20) === 0x69 && (src.charCodeAt(a + 1) | 0x20) === 0x6e) {
        if (cls) return false;
        cls = true;
        continue;
      }
      type = simpleType(src, a, b);
      if (type < 0) return false;
    }
    if (type < 0 || k >= n) return false;
    if (type !== RRType.TXT && quoted !== 0) return false;
    // RDATA into the fast buffer.
    const out = this.#rdBuf;
    const origin = scope.origin;
    const rdTokens = n - k;
    let rdLen = -1;
    const ra = ts[2 * k]!;
    const rb = ts[2 * k + 1]!;
    switch (type) {
      case RRType.A:
        if (rdTokens === 1) rdLen = ipv4Into(src, ra, rb, out, 0);
        break;
      case RRType.AAAA:
        if (rdTokens === 1) rdLen = ipv6Into(src, ra, rb, out, 0);
        break;
      case RRType.NS:
      case RRType.CNAME:
      case RRType.PTR:
        if (rdTokens === 1) rdLen = plainNameInto(src.slice(ra, rb), origin, out, 0);
        break;
      case RRType.MX: {
        if (rdTokens !== 2 || rb - ra > 5) break;
        let v = 0;
        for (let i = ra; i < rb; i++) {
          const d = src.charCodeAt(i);
          if (d < 0x30 || d > 0x39) return false;
          v = v * 10 + d - 0x30;
        }
        if (v > 0xffff) break;
        out[0] = v >>> 8;
        out[1] = v & 0xff;
        const l = plainNameInto(src.slice(ts[2 * k + 2], ts[2 * k + 3]), origin, out, 2);
        if (l >= 0) rdLen = l + 2;
        break;
      }
      case RRType.TXT: {
        // Character-strings: the octets are the characters (no escapes, nothing above 0x7E here).
        let q = 0;
        for (let t = k; t < n; t++) {
          const a = ts[2 * t]!;
          const b = ts[2 * t + 1]!;
          if (b - a > 255) return false;
          out[q++] = b - a;
          for (let i = a; i < b; i++) out[q++] = src.charCodeAt(i);
        }
        rdLen = q;
        break;
      }
    }
    if (rdLen < 0) return false;
    // The owner: the previous one when spelled the same under the same origin (as #record does).
    const oa = ts[0]!;
    const ob = ts[1]!;
    let owner = -1;
    let ownerText: string | null = null;
    if (scope.owner >= 0 && scope.ownerOrigin === origin && scope.ownerText.length === ob - oa && src.startsWith(scope.ownerText, oa)) {
      owner = scope.owner;
    } else {
      ownerText = src.slice(oa, ob);
      const l = plainNameInto(ownerText, origin, this.#scratch, 0);
      if (l < 0) return false;
      owner = this.table.intern(this.#scratch, 0, l);
    }
    // Committed: nothing above can fail any more.
    if (ownerText !== null) {
      scope.owner = owner;
      scope.ownerText = ownerText;
      scope.ownerOrigin = origin;
    }
    const tok = this.#lineTok;
    tok.line = lexer.line;
    const t = this.#ttlFor(ttl, type, NO_RDATA, scope, file, tok);
    this.#push(owner, type, t, out, fileId, tok, file, rdLen);
    lexer.consumedLine(end < len ? end + 1 : len);
    return true;
  }

  #error(file: string, tok: Token, msg: string): void {
    this.problems.error(file, tok.line, tok.col, msg);
  }

  #directive(toks: Token[], file: string, scope: Scope): void {
    const d = toks[0]!;
    const name = d.text.toUpperCase();
    switch (name) {
      case '$ORIGIN': {
        const arg = toks[1];
        if (!arg || arg.quoted) return this.#error(file, arg ?? d, '$ORIGIN: expected a domain name');
        if (toks.length > 2) return this.#error(file, toks[2]!, `$ORIGIN: expected the end of the line, found "${toks[2]!.text}"`);
        try {
          // A relative $ORIGIN is relative to the current origin, as BIND and Knot read it.
          scope.origin = Name.fromText(arg.text, scope.origin);
        } catch (err) {
          this.#error(file, arg, `$ORIGIN: ${message(err)}`);
        }
        return;
      }
      case '$TTL': {
        const arg = toks[1];
        if (!arg || arg.quoted) return this.#error(file, arg ?? d, '$TTL: expected a TTL (seconds, or units like 1h30m)');
        if (toks.length > 2) return this.#error(file, toks[2]!, `$TTL: expected the end of the line, found "${toks[2]!.text}"`);
        const ttl = parseTtl(arg.text);
        if (typeof ttl === 'string') return this.#error(file, arg, `$TTL: ${ttl}`);
        scope.defaultTtl = ttl;
        return;
      }
      case '$INCLUDE':
        return this.#include(toks, file, scope);
      case '$GENERATE':
        return this.#generate(toks, file, scope);
      default:
        return this.#error(file, d, `unknown directive "${d.text}": expected $ORIGIN, $TTL, $INCLUDE or $GENERATE`);
    }
  }

  #include(toks: Token[], file: string, scope: Scope): void {
    const d = toks[0]!;
    const pathTok = toks[1];
    if (!pathTok) return this.#error(file, d, '$INCLUDE: expected a file name');
    if (toks.length > 3) return this.#error(file, toks[3]!, `$INCLUDE: expected the end of the line, found "${toks[3]!.text}"`);
    let origin = scope.origin;
    const originTok = toks[2];
    if (originTok) {
      try {
        origin = Name.fromText(originTok.text, scope.origin);
      } catch (err) {
        return this.#error(file, originTok, `$INCLUDE: ${message(err)}`);
      }
    }
    if (!this.#readFile) return this.#error(file, d, '$INCLUDE is not allowed here: no file access');
    // Relative paths are relative to the including file (as Knot does; BIND uses the working directory).
    const target = isAbsolute(pathTok.text) ? pathTok.text : join(dirname(file), pathTok.text);
    const key = resolve(target);
    if (this.#includeStack.includes(key)) {
      const chain = [...this.#includeStack.slice(this.#includeStack.indexOf(key)), key].join(' -> ');
      return this.#error(file, pathTok, `$INCLUDE loop: ${chain}`);
    }
    if (this.#includeStack.length > MAX_INCLUDE_DEPTH) {
      // The stack holds the top-level file too: length - 1 files are already nested.
      return this.#error(file, pathTok, `$INCLUDE nested more than ${MAX_INCLUDE_DEPTH} deep`);
    }
    let text: string;
    try {
      text = this.#readFile(target);
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      return this.#error(file, pathTok, `$INCLUDE: cannot read "${target}"${typeof code === 'string' ? ` (${code})` : `: ${message(err)}`}`);
    }
    // The included file starts with the current (or given) origin and TTLs; its changes stay inside it.
    const inner: Scope = { ...scope, origin, owner: originTok ? -1 : scope.owner, ownerText: originTok ? '' : scope.ownerText };
    this.#includeStack.push(key);
    try {
      this.parseFile(text, target, inner);
    } finally {
      this.#includeStack.pop();
    }
  }

  /** Reads `[ttl] [class] type` starting at toks[i]; reports and returns null on error. */
  #fields(toks: readonly Token[], i: number, file: string): { ttl: number; cls: number; type: number; next: number; typeTok: Token } | null {
    let ttl = -1;
    let cls = -1;
    for (; i < toks.length; i++) {
      const t = toks[i]!;
      if (t.quoted) {
        this.#error(file, t, `expected a TTL, class or type, found quoted "${t.text}"`);
        return null;
      }
      if (looksLikeTtl(t.text)) {
        if (ttl >= 0) {
          this.#error(file, t, `expected a class or type, found a second TTL "${t.text}"`);
          return null;
        }
        const v = parseTtl(t.text);
        if (typeof v === 'string') {
          this.#error(file, t, v);
          return null;
        }
        ttl = v;
        continue;
      }
      const c = lookupClass(t.text);
      if (c !== undefined) {
        if (cls >= 0) {
          this.#error(file, t, `expected a TTL or type, found a second class "${t.text}"`);
          return null;
        }
        if (c !== 1) {
          this.#error(file, t, `class ${classToText(c)} is not supported: expected IN`);
          return null;
        }
        cls = c;
        continue;
      }
      const type = lookupType(t.text);
      if (type === undefined) {
        this.#error(file, t, `unknown type "${t.text}": expected a type mnemonic or TYPEnnn${ttl < 0 && cls < 0 ? ' (or a TTL or class)' : ''}`);
        return null;
      }
      if (isMetaType(type) || type === 0) {
        this.#error(file, t, `type ${typeToText(type)} cannot appear in a zone (RFC 6895 §3.1 meta/query type)`);
        return null;
      }
      return { ttl, cls, type, next: i + 1, typeTok: t };
    }
    const last = toks[toks.length - 1]!;
    this.problems.error(file, last.line, last.col + last.text.length, 'expected a type, found the end of the entry');
    return null;
  }

  /** RDATA tokens -> wire; a TextError's token index becomes the position of that token. */
  #rdata(type: number, rtoks: readonly Token[], typeTok: Token, origin: Name, file: string, prefix: string): Uint8Array | null {
    try {
      return rdataFromText(type, rtoks, origin);
    } catch (err) {
      let at: Token = rtoks[0] ?? typeTok;
      let col = at.col;
      if (err instanceof TextError && err.tokenIndex >= 0) {
        const t = rtoks[err.tokenIndex];
        if (t) {
          at = t;
          col = t.col;
        } else {
          // Past the last token: the RDATA ended too early.
          const last = rtoks[rtoks.length - 1] ?? typeTok;
          at = last;
          col = last.col + last.text.length + (last.quoted ? 2 : 0);
        }
      }
      const msg = message(err);
      const named = msg.includes(typeToText(type)) ? msg : `${typeToText(type)}: ${msg}`;
      this.problems.error(file, at.line, col, prefix + named);
      return null;
    }
  }

  /** RFC 2308 §4 with RFC 1035 §5.1 fallback, as BIND does: $TTL, else the last explicit TTL, else SOA MINIMUM. */
  #ttlFor(explicit: number, type: number, rdata: Uint8Array, scope: Scope, file: string, tok: Token): number {
    if (explicit >= 0) {
      scope.lastTtl = explicit;
      return explicit;
    }
    if (scope.defaultTtl !== null) return scope.defaultTtl;
    if (scope.lastTtl !== null) {
      if (!this.#warned1035) {
        this.#warned1035 = true;
        this.problems.warning(file, tok.line, tok.col, `no $TTL: using the last explicit TTL ${scope.lastTtl} (RFC 1035 §5.1 semantics)`);
      }
      return scope.lastTtl;
    }
    if (type === RRType.SOA && rdata.length >= 4) {
      const min = soaMinimum(rdata);
      this.problems.warning(file, tok.line, tok.col, `no TTL specified: using the SOA MINIMUM ${min} as the default TTL (RFC 2308 §4)`);
      scope.defaultTtl = min;
      return min;
    }
    return -1;
  }

  #push(owner: number, type: number, ttl: number, rdata: Uint8Array, fileId: number, tok: Token, file: string, rdLen = rdata.length): void {
    if (ttl < 0) this.#pendingTtl.push({ index: this.table.count, file, line: tok.line, col: tok.col });
    if (type === RRType.SOA && this.#soaMinimum === null && rdLen >= 4) this.#soaMinimum = soaMinimum(rdata);
    this.table.add(owner, type, ttl, rdata, fileId, tok.line, tok.col, rdLen);
  }

  #record(toks: Token[], blankOwner: boolean, file: string, fileId: number, scope: Scope): void {
    const first = toks[0]!;
    let owner: number;
    if (blankOwner) {
      if (scope.owner < 0) return this.#error(file, first, 'no owner name: the entry starts with white space but no previous owner exists');
      owner = scope.owner;
    } else {
      if (first.quoted) return this.#error(file, first, `expected an owner name, found quoted "${first.text}"`);
      if (scope.owner >= 0 && first.text === scope.ownerText && scope.ownerOrigin === scope.origin) {
        owner = scope.owner;
      } else {
        const len = plainNameInto(first.text, scope.origin, this.#scratch, 0);
        if (len >= 0) {
          owner = this.table.intern(this.#scratch, 0, len);
        } else {
          let name: Name;
          try {
            name = Name.fromText(first.text, scope.origin);
          } catch (err) {
            return this.#error(file, first, `bad owner name: ${message(err)}`);
          }
          owner = this.table.intern(name.wire, 0, name.wire.length);
        }
        scope.owner = owner;
        scope.ownerText = first.text;
        scope.ownerOrigin = scope.origin;
      }
    }
    const f = this.#fields(toks, blankOwner ? 0 : 1, file);
    if (!f) return;
    const at = blankOwner ? f.typeTok : first;
    const fast = fastRdata(f.type, toks, f.next, scope.origin, this.#rdBuf);
    if (fast >= 0) {
      // Never an SOA, so the TTL rules need no RDATA.
      const ttl = this.#ttlFor(f.ttl, f.type, NO_RDATA, scope, file, first);
      this.#push(owner, f.type, ttl, this.#rdBuf, fileId, at, file, fast);
      return;
    }
    const rtoks = toks.slice(f.next);
    const rdata = this.#rdata(f.type, rtoks, f.typeTok, scope.origin, file, '');
    if (!rdata) return;
    const ttl = this.#ttlFor(f.ttl, f.type, rdata, scope, file, first);
    this.#push(owner, f.type, ttl, rdata, fileId, at, file);
  }

  #generate(toks: Token[], file: string, scope: Scope): void {
    const d = toks[0]!;
    const rangeTok = toks[1];
    const lhsTok = toks[2];
    if (!rangeTok || !lhsTok) return this.#error(file, rangeTok ?? d, '$GENERATE: expected start-stop[/step] lhs [ttl] [class] type rhs');
    const range = parseRange(rangeTok.text);
    if (typeof range === 'string') return this.#error(file, rangeTok, `$GENERATE: ${range}`);
    const lhs = parseTemplate(lhsTok.text);
    if (typeof lhs === 'string') return this.#error(file, lhsTok, `$GENERATE: ${lhs}`);
    const f = this.#fields(toks, 3, file);
    if (!f) return;
    const rtoks = toks.slice(f.next);
    if (rtoks.length === 0) return this.#error(file, f.typeTok, '$GENERATE: expected the right-hand side after the type');
    const rhs: Template[] = [];
    for (const t of rtoks) {
      const tpl = parseTemplate(t.text);
      if (typeof tpl === 'string') return this.#error(file, t, `$GENERATE: ${tpl}`);
      rhs.push(tpl);
    }
    if (this.#generated + range.count > MAX_GENERATE) {
      return this.#error(file, rangeTok, `$GENERATE: this range would bring the zone to ${this.#generated + range.count} generated records; at most ${MAX_GENERATE} are allowed`);
    }
    this.#generated += range.count;
    const fileId = this.table.fileId(file);
    for (let n = 0, i = range.start; n < range.count; n++, i += range.step) {
      let ownerName: Name;
      const ownerText = lhs.expand(i);
      try {
        ownerName = Name.fromText(ownerText, scope.origin);
      } catch (err) {
        return this.#error(file, lhsTok, `$GENERATE at ${i}: bad owner name: ${message(err)}`);
      }
      const expanded: Token[] = rtoks.map((t, k) => ({ text: rhs[k]!.expand(i), quoted: t.quoted, line: t.line, col: t.col }));
      const rdata = this.#rdata(f.type, expanded, f.typeTok, scope.origin, file, `$GENERATE at ${i}: `);
      if (!rdata) return;
      const ttl = this.#ttlFor(f.ttl, f.type, rdata, scope, file, d);
      this.#push(this.table.intern(ownerName.wire, 0, ownerName.wire.length), f.type, ttl, rdata, fileId, d, file);
    }
  }

  /** Records written before any TTL source take the SOA MINIMUM (warned), or are errors without an SOA. */
  resolvePendingTtls(): void {
    if (this.#pendingTtl.length === 0) return;
    const min = this.#soaMinimum;
    const p0 = this.#pendingTtl[0]!;
    if (min === null) {
      for (const p of this.#pendingTtl) this.problems.error(p.file, p.line, p.col, 'no TTL: expected a TTL on the record, a $TTL directive before it, or an SOA');
      return;
    }
    this.problems.warning(p0.file, p0.line, p0.col, `no TTL specified before the SOA: using its MINIMUM ${min} for ${this.#pendingTtl.length} record(s) (RFC 2308 §4)`);
    for (const p of this.#pendingTtl) this.table.recTtl[p.index] = min;
  }
}

/** The MINIMUM field: the last 32 bits of SOA RDATA (RFC 1035 §3.3.13). */
export function soaMinimum(rdata: Uint8Array): number {
  const n = rdata.length;
  return readU32(rdata, n - 4);
}

export interface TableParseResult {
  /** The parsed records; meaningless when there are errors. */
  readonly table: RecordTable;
  readonly errors: ZoneProblem[];
  readonly warnings: ZoneProblem[];
}

/** Parses master-file text into a compact RecordTable (no object per record). Never throws on bad input. */
export function parseZoneToTable(text: string, opts: ParseOptions): TableParseResult {
  const p = new ZoneParser(opts, text);
  const scope: Scope = { origin: opts.origin, defaultTtl: null, lastTtl: null, owner: -1, ownerText: '', ownerOrigin: null };
  p.parseFile(text, opts.file, scope);
  p.resolvePendingTtls();
  const { errors, warnings } = p.problems.finish(opts.file);
  return { table: p.table, errors, warnings };
}

/** Parses master-file text. Never throws on bad input: every problem is reported with file:line:col. */
export function parseZoneText(text: string, opts: ParseOptions): ParseResult {
  const { table, errors, warnings } = parseZoneToTable(text, opts);
  const positions = new Positions();
  if (errors.length > 0) return { records: [], positions, errors, warnings };
  for (const f of table.files) positions.fileId(f);
  for (let i = 0; i < table.count; i++) positions.push(table.posFile[i]!, table.posLine[i]!, table.posCol[i]!);
  return { records: table.toRecords(), positions, errors, warnings };
}

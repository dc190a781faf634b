// Owns the descriptor-driven RDATA codec (after Knot's descriptor.c): a type is a list of field kinds, one engine does wire, text and name walking.
import { readU32 } from '../bytes.ts';
import { TextError, WireError } from '../errors.ts';
import { Name } from '../name.ts';
import type { Reader } from '../reader.ts';
import type { Writer } from '../writer.ts';
import { typeFromText, typeToText } from '../constants.ts';
import type { RdataCodec, TextToken } from './codec.ts';
export { readU32 } from '../bytes.ts';
import { bitmapFromTokens, bitmapToText, readBitmap } from './bitmap.ts';
import {
  Tokens, base32HexToBytes, base64ToBytes, hexToBytes, ipv4ToText, ipv6ToText, parseCharString, parseIpv4Text,
  parseIpv6Text, parsePeriod, parseTimeText, parseUint, quoteBytes, timeToText, toBase32Hex, toBase64, toHex, unescapeText,
} from './text.ts';

/**
 * Field kinds. Names come in three flavours (RFC 3597 §4): `cname` is compressed on output and
 * decompressed on input (NS, CNAME, SOA, PTR, MX), `dname` is decompressed on input only (the
 * other RFC 1035 types, and RP, AFSDB, RT, SIG, PX, NXT, NAPTR, SRV), `name` never uses pointers.
 */
export type FieldKind =
  | 'cname' | 'dname' | 'name'
  | 'u8' | 'u16' | 'u32' | 'period' | 'time' | 'rrtype' | 'alg' | 'certtype'
  | 'ipv4' | 'ipv6' | 'eui48' | 'eui64' | 'ilnp64'
  | 'str' | 'strOpt' | 'strs' | 'text'
  | 'b64' | 'hex' | 'hexlen' | 'b32len' | 'bitmap' | 'nsap';

export type Field = readonly [kind: FieldKind, label: string];

/** What the registry needs beyond RdataCodec: where the embedded names are. */
export interface DunlinCodec extends RdataCodec {
  readonly mnemonic: string;
  /** Start offsets of the embedded domain names in a (valid, uncompressed) RDATA. */
  nameOffsets(rdata: Uint8Array): number[];
  /** The name used for additional-section processing, or null. */
  target(rdata: Uint8Array): Name | null;
}

/** Length of the uncompressed name starting at `off` in trusted RDATA. */
export function nameLength(b: Uint8Array, off: number): number {
  let p = off;
  while (p < b.length && b[p] !== 0) p += b[p]! + 1;
  return p + 1 - off;
}

export function nameAt(b: Uint8Array, off: number): Name {
  return Name.fromWire(b.subarray(off, off + nameLength(b, off)));
}

/** Collects output octets for decode/fromText. */
export class Bytes {
  #parts: number[] = [];
  #chunks: Uint8Array[] = [];
  #len = 0;
  #flush(): void {
    if (this.#parts.length) {
      this.#chunks.push(Uint8Array.from(this.#parts));
      this.#len += this.#parts.length;
      this.#parts = [];
    }
  }
  u8(v: number): void {
    this.#parts.push(v & 0xff);
  }
  u16(v: number): void {
    this.#parts.push((v >>> 8) & 0xff, v & 0xff);
  }
  u32(v: number): void {
    this.#parts.push(v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
  }
  bytes(b: Uint8Array): void {
    this.#flush();
    this.#chunks.push(b);
    this.#len += b.length;
  }
  /** Length-prefixed octets (u8 length). */
  lp8(b: Uint8Array): void {
    this.u8(b.length);
    this.bytes(b);
  }
  get length(): number {
    return this.#len + this.#parts.length;
  }
  done(): Uint8Array {
    this.#flush();
    const out = new Uint8Array(this.#len);
    let p = 0;
    for (const c of this.#chunks) {
      out.set(c, p);
      p += c.length;
    }
    if (out.length > 65535) throw new TextError(`RDATA is ${out.length} octets, over 65535`);
    return out;
  }
}

const ALGORITHMS: Record<string, number> = {
  RSAMD5: 1, DH: 2, DSA: 3, RSASHA1: 5, 'DSA-NSEC3-SHA1': 6, 'RSASHA1-NSEC3-SHA1': 7, RSASHA256: 8, RSASHA512: 10,
  'ECC-GOST': 12, ECDSAP256SHA256: 13, ECDSAP384SHA384: 14, ED25519: 15, ED448: 16, INDIRECT: 252, PRIVATEDNS: 253, PRIVATEOID: 254,
};
const CERT_TYPES: Record<string, number> = { PKIX: 1, SPKI: 2, PGP: 3, IPKIX: 4, ISPKI: 5, IPGP: 6, ACPKIX: 7, IACPKIX: 8, URI: 253, OID: 254 };

const fixedSize: Partial<Record<FieldKind, number>> = {
  u8: 1, alg: 1, u16: 2, rrtype: 2, certtype: 2, u32: 4, period: 4, time: 4, ipv4: 4, ipv6: 16, eui48: 6, eui64: 8, ilnp64: 8,
};

export function isNameKind(k: FieldKind): boolean {
  return k === 'cname' || k === 'dname' || k === 'name';
}

/** End offset of field `kind` starting at `off` in trusted RDATA. */
function fieldEnd(kind: FieldKind, b: Uint8Array, off: number): number {
  const fixed = fixedSize[kind];
  if (fixed !== undefined) return off + fixed;
  if (isNameKind(kind)) return off + nameLength(b, off);
  if (kind === 'str' || kind === 'hexlen' || kind === 'b32len') return off + 1 + b[off]!;
  if (kind === 'strOpt') return off >= b.length ? off : off + 1 + b[off]!;
  return b.length; // the remaining kinds fill the rest of the RDATA
}

function bad(msg: string, at = -1): never {
  throw new WireError('DUNLIN_ERR_WIRE_BAD_RDATA', msg, at);
}

/** Reads one field from wire into `out` (names uncompressed). */
function readField(kind: FieldKind, r: Reader, out: Bytes): void {
  const fixed = fixedSize[kind];
  if (fixed !== undefined) {
    out.bytes(r.copy(fixed));
    return;
  }
  if (kind === 'cname' || kind === 'dname') out.bytes(r.name(true).wire);
  else if (kind === 'name') out.bytes(r.name(false).wire);
  else if (kind === 'str' || kind === 'hexlen') out.lp8(Uint8Array.from(r.charString()));
  else if (kind === 'b32len') {
    const at = r.pos;
    const v = r.charString();
    // RFC 5155 §3.2: the next hashed owner name is a hash, never empty.
    if (v.length === 0) bad('empty hash where one is required', at);
    out.lp8(Uint8Array.from(v));
  }
  else if (kind === 'strOpt') {
    if (r.remaining > 0) out.lp8(Uint8Array.from(r.charString()));
  } else if (kind === 'strs') {
    if (r.remaining === 0) bad('no character-string where at least one is required (RFC 1035 §3.3.14)', r.pos);
    while (r.remaining > 0) out.lp8(Uint8Array.from(r.charString()));
  } else if (kind === 'bitmap') out.bytes(readBitmap(r));
  else out.bytes(r.copy(r.remaining)); // base64, hex and text fill the rest
}

function fieldToText(kind: FieldKind, b: Uint8Array, off: number, end: number): string {
  switch (kind) {
    case 'cname': case 'dname': case 'name': return Name.fromWire(b.subarray(off, end)).toText();
    case 'u8': case 'alg': return String(b[off]);
    case 'u16': case 'certtype': return String((b[off]! << 8) | b[off + 1]!);
    case 'u32': case 'period': return String(readU32(b, off));
    case 'time': return timeToText(readU32(b, off));
    case 'rrtype': return typeToText((b[off]! << 8) | b[off + 1]!);
    case 'ipv4': return ipv4ToText(b, off);
    case 'ipv6': return ipv6ToText(b, off);
    case 'eui48': case 'eui64': return [...b.subarray(off, end)].map((x) => x.toString(16).padStart(2, '0')).join('-');
    case 'ilnp64': {
      const g: string[] = [];
      for (let i = 0; i < 4; i++) g.push(((b[off + i * 2]! << 8) | b[off + i * 2 + 1]!).toString(16).padStart(4, '0'));
      return g.join(':');
    }
    case 'str': case 'strOpt': return end > off ? quoteBytes(b.subarray(off + 1, end)) : '';
    case 'strs': {
      const parts: string[] = [];
      let p = off;
      while (p < end) {
        parts.push(quoteBytes(b.subarray(p + 1, p + 1 + b[p]!)));
        p += 1 + b[p]!;
      }
      return parts.join(' ');
    }
    case 'text': return quoteBytes(b.subarray(off, end));
    case 'b64': return toBase64(b.subarray(off, end));
    case 'hex': return toHex(b.subarray(off, end));
    case 'nsap': return '0x' + toHex(b.subarray(off, end));
    case 'hexlen': return end === off + 1 ? '-' : toHex(b.subarray(off + 1, end));
    case 'b32len': return toBase32Hex(b.subarray(off + 1, end));
    case 'bitmap': return bitmapToText(b, off, end);
  }
}

/** Parses a name token; `@` and relative names use `origin`. Errors carry the token index. */
export function parseName(t: Tokens, what: string, origin: Name): Name {
  const tok = t.next(what);
  try {
    return Name.fromText(tok.text, origin);
  } catch (e) {
    if (e instanceof TextError || e instanceof WireError) t.fail(`${what}: ${e.message}`);
    throw e;
  }
}

function mnemonicOrNumber(t: Tokens, what: string, table: Record<string, number>, max: number): number {
  const tok = t.list[t.i];
  if (tok && !/^\d+$/.test(tok.text)) {
    const v = table[tok.text.toUpperCase()];
    if (v === undefined) t.fail(`${what}: unknown mnemonic "${tok.text}"`, 0);
    t.i++;
    return v;
  }
  return parseUint(t, what, max);
}

/** Joins the remaining tokens (base64 and hex may be split by spaces, RFC 4034 §2.2 / §5.3). */
function joinRest(t: Tokens): string {
  return t.rest().map((x) => x.text).join('');
}

function fieldFromText(kind: FieldKind, label: string, t: Tokens, origin: Name, out: Bytes): void {
  const onErr = (m: string): never => t.fail(`${label}: ${m}`);
  switch (kind) {
    case 'cname': case 'dname': case 'name': out.bytes(parseName(t, label, origin).wire); return;
    case 'u8': out.u8(parseUint(t, label, 0xff)); return;
    case 'u16': out.u16(parseUint(t, label, 0xffff)); return;
    case 'u32': out.u32(parseUint(t, label, 0xffffffff)); return;
    case 'period': out.u32(parsePeriod(t, label)); return;
    case 'alg': out.u8(mnemonicOrNumber(t, label, ALGORITHMS, 0xff)); return;
    case 'certtype': out.u16(mnemonicOrNumber(t, label, CERT_TYPES, 0xffff)); return;
    case 'time': {
      const tok = t.next(label);
      const v = parseTimeText(tok.text);
      if (v === undefined) t.fail(`${label}: expected YYYYMMDDHHmmSS or seconds, got "${tok.text}"`);
      out.u32(v);
      return;
    }
    case 'rrtype': {
      const tok = t.next(label);
      const v = typeFromText(tok.text);
      if (v === undefined) t.fail(`${label}: unknown type "${tok.text}"`);
      out.u16(v);
      return;
    }
    case 'ipv4': {
      const tok = t.next(label);
      const v = parseIpv4Text(tok.text);
      if (!v) t.fail(`${label}: "${tok.text}" is not an IPv4 address`);
      out.bytes(v);
      return;
    }
    case 'ipv6': {
      const tok = t.next(label);
      const v = parseIpv6Text(tok.text);
      if (!v) t.fail(`${label}: "${tok.text}" is not an IPv6 address`);
      out.bytes(v);
      return;
    }
    case 'eui48': case 'eui64': {
      const n = kind === 'eui48' ? 6 : 8;
      const tok = t.next(label);
      const re = new RegExp(`^[0-9a-fA-F]{2}(-[0-9a-fA-F]{2}){${n - 1}}$`);
      if (!re.test(tok.text)) t.fail(`${label}: expected ${n} hex pairs separated by "-", got "${tok.text}"`);
      out.bytes(hexToBytes(tok.text.replaceAll('-', ''), onErr));
      return;
    }
    case 'ilnp64': {
      const tok = t.next(label);
      if (!/^[0-9a-fA-F]{1,4}(:[0-9a-fA-F]{1,4}){3}$/.test(tok.text)) t.fail(`${label}: expected four 16-bit hex groups like 0014:4fff:ff20:ee64, got "${tok.text}"`);
      for (const g of tok.text.split(':')) out.u16(parseInt(g, 16));
      return;
    }
    case 'str': out.lp8(parseCharString(t, label)); return;
    case 'strOpt': if (!t.done) out.lp8(parseCharString(t, label)); return;
    case 'strs': {
      if (t.done) t.fail(`${label}: at least one character-string is required`, 0);
      while (!t.done) out.lp8(parseCharString(t, label));
      return;
    }
    case 'text': {
      const tok = t.next(label);
      out.bytes(unescapeText(tok.text, onErr));
      return;
    }
    case 'b64': out.bytes(base64ToBytes(joinRest(t), onErr)); return;
    case 'hex': out.bytes(hexToBytes(joinRest(t), onErr)); return;
    case 'nsap': {
      // RFC 1706 §5: "0x" then hex digits, with optional "." separators for readability.
      const tok = t.next(label);
      if (!/^0x[0-9a-fA-F.]+$/i.test(tok.text)) t.fail(`${label}: expected 0x followed by hex digits, got "${tok.text}"`);
      const v = hexToBytes(tok.text.slice(2).replaceAll('.', ''), onErr);
      if (v.length === 0) t.fail(`${label}: empty`);
      out.bytes(v);
      return;
    }
    case 'hexlen': {
      const tok = t.next(label);
      const v = tok.text === '-' ? new Uint8Array(0) : hexToBytes(tok.text, onErr);
      if (v.length > 255) t.fail(`${label}: over 255 octets`);
      out.lp8(v);
      return;
    }
    case 'b32len': {
      const tok = t.next(label);
      const v = base32HexToBytes(tok.text, onErr);
      if (v.length < 1 || v.length > 255) t.fail(`${label}: must be 1..255 octets`);
      out.lp8(v);
      return;
    }
    case 'bitmap': out.bytes(bitmapFromTokens(t)); return;
  }
}

export interface DescriptorOptions {
  /** Index (among name fields, in order) of the name used for additional processing; -1 for none. */
  readonly target?: number;
  /** Target is ignored when it is the root (NAPTR replacement, SVCB TargetName "."). */
  readonly targetNonRoot?: boolean;
  /** Whole-RDATA check after the fields parsed (e.g. digest length by digest type); returns an error message or null. */
  readonly check?: (rdata: Uint8Array) => string | null;
}

/**
 * Runs a codec's decode with `r` bounded to exactly `length` octets at r.pos (no reads past the
 * RDATA), then checks that everything was consumed.
 */
export function boundedDecode(r: Reader, length: number, body: (sub: Reader) => Uint8Array): Uint8Array {
  const start = r.pos;
  const end = start + length;
  if (end > r.end) throw new WireError('DUNLIN_ERR_WIRE_TRUNCATED', `RDATA of ${length} octets runs past the end`, start);
  const saved = r.end;
  r.end = end;
  try {
    const out = body(r);
    if (r.pos !== end) throw new WireError('DUNLIN_ERR_WIRE_TRAILING', `${end - r.pos} octet(s) left over in RDATA`, r.pos);
    return out;
  } finally {
    r.end = saved;
  }
}

/** Checks one name-free field without copying it. */
function skipField(kind: FieldKind, r: Reader): void {
  const fixed = fixedSize[kind];
  if (fixed !== undefined) r.bytes(fixed);
  else if (kind === 'strs' || kind === 'b32len' || kind === 'bitmap') readField(kind, r, new Bytes());
  else if (kind === 'str' || kind === 'hexlen') r.charString();
  else if (kind === 'strOpt') {
    if (r.remaining > 0) r.charString();
  } else r.bytes(r.remaining);
}

/** Builds a codec from a field list. */
export function descriptorCodec(type: number, fields: readonly Field[], opts: DescriptorOptions = {}): DunlinCodec {
  const kinds = fields.map((f) => f[0]);
  const hasNames = kinds.some(isNameKind);
  const compressing = kinds.includes('cname');
  const targetIdx = opts.target ?? -1;
  const nameOffsets = (rdata: Uint8Array): number[] => {
    if (!hasNames) return [];
    const out: number[] = [];
    let off = 0;
    for (const k of kinds) {
      if (isNameKind(k)) out.push(off);
      off = fieldEnd(k, rdata, off);
    }
    return out;
  };
  return {
    type,
    mnemonic: typeToText(type),
    decode: hasNames
      ? (r: Reader, length: number): Uint8Array => boundedDecode(r, length, (sub) => {
        const out = new Bytes();
        for (const k of kinds) readField(k, sub, out);
        return out.done();
      })
      : (r: Reader, length: number): Uint8Array => boundedDecode(r, length, (sub) => {
        const start = sub.pos;
        for (const k of kinds) skipField(k, sub);
        const out = sub.msg.slice(start, sub.pos);
        const problem = opts.check?.(out);
        if (problem) throw new WireError('DUNLIN_ERR_WIRE_BAD_RDATA', problem, start);
        return out;
      }),
    encode: compressing
      ? (w: Writer, rdata: Uint8Array): void => {
        let off = 0;
        for (const k of kinds) {
          const end = fieldEnd(k, rdata, off);
          if (k === 'cname') w.name(Name.fromWire(rdata.subarray(off, end)), true);
          else w.bytes(rdata.subarray(off, end));
          off = end;
        }
      }
      : (w: Writer, rdata: Uint8Array): void => w.bytes(rdata),
    toText(rdata: Uint8Array): string {
      const parts: string[] = [];
      let off = 0;
      for (const k of kinds) {
        const end = fieldEnd(k, rdata, off);
        const s = fieldToText(k, rdata, off, end);
        if (s !== '') parts.push(s);
        off = end;
      }
      return parts.join(' ');
    },
    fromText(tokens: readonly TextToken[], origin: Name): Uint8Array {
      const t = new Tokens(tokens);
      const out = new Bytes();
      for (const [k, label] of fields) fieldFromText(k, label, t, origin, out);
      t.end();
      const bytes = out.done();
      const problem = opts.check?.(bytes);
      if (problem) throw new TextError(problem);
      return bytes;
    },
    nameOffsets,
    target(rdata: Uint8Array): Name | null {
      if (targetIdx < 0) return null;
      const off = nameOffsets(rdata)[targetIdx];
      if (off === undefined) return null;
      const n = nameAt(rdata, off);
      return opts.targetNonRoot && n.isRoot() ? null : n;
    },
  };
}

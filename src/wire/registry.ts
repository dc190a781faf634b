// Owns the type -> RdataCodec table and the type-generic entry points (RFC 3597 fallback for unknown types).
import { TextError } from './errors.ts';
import type { Name } from './name.ts';
import { Reader } from './reader.ts';
import type { Writer } from './writer.ts';
import type { RdataCodec, TextToken } from './rdata/codec.ts';
import type { ResourceRecord } from './record.ts';
import { classToText, typeToText } from './constants.ts';

// Filled by the per-type codecs in rdata/ (owner: W). Types absent here use the RFC 3597 generic form.
const codecs = new Map<number, RdataCodec>();

export function registerCodec(codec: RdataCodec): void {
  codecs.set(codec.type, codec);
}

export function codecFor(type: number): RdataCodec | undefined {
  return codecs.get(type);
}

export function isKnownType(type: number): boolean {
  return codecs.has(type);
}

/** Decodes RDATA of `type` at r.pos (length octets) into its uncompressed form. */
export function rdataFromWire(type: number, r: Reader, length: number): Uint8Array {
  const c = codecs.get(type);
  if (c) return c.decode(r, length);
  return r.copy(length);
}

/** Appends RDATA (without RDLENGTH) to a message. */
export function writeRdata(w: Writer, type: number, rdata: Uint8Array): void {
  const c = codecs.get(type);
  if (c) c.encode(w, rdata);
  else w.bytes(rdata);
}

/** RFC 3597 §5 generic presentation: `\# <len> <hex>`. */
export function rdataToGenericText(rdata: Uint8Array): string {
  if (rdata.length === 0) return '\\# 0';
  return `\\# ${rdata.length} ${Buffer.from(rdata).toString('hex').toUpperCase()}`;
}

export function rdataToText(type: number, rdata: Uint8Array): string {
  const c = codecs.get(type);
  return c ? c.toText(rdata) : rdataToGenericText(rdata);
}

/** Parses RDATA text; `\# len hex` (RFC 3597 §5) is accepted for every type, known or not. */
export function rdataFromText(type: number, tokens: readonly TextToken[], origin: Name): Uint8Array {
  const first = tokens[0];
  if (first && !first.quoted && first.text === '\\#') {
    const lenTok = tokens[1];
    if (!lenTok || !/^\d+$/.test(lenTok.text)) throw new TextError('expected RDATA length after \\#', 1);
    const len = Number(lenTok.text);
    if (len > 65535) throw new TextError('RDATA length over 65535', 1);
    const hex = tokens.slice(2).map((t) => t.text).join('');
    if (!/^[0-9a-fA-F]*$/.test(hex) || hex.length % 2 !== 0) throw new TextError('expected an even number of hex digits after \\# length', 2);
    if (hex.length / 2 !== len) throw new TextError(`\\# length ${len} does not match ${hex.length / 2} octets of data`, 1);
    const bytes = Uint8Array.from(Buffer.from(hex, 'hex'));
    const c = codecs.get(type);
    if (c) {
      // A known type in generic form must still be valid RDATA of that type (RFC 3597 §5).
      const r = new Reader(bytes);
      const out = c.decode(r, bytes.length);
      if (r.pos !== bytes.length) throw new TextError('generic RDATA has trailing octets for its type', 2);
      return out;
    }
    return bytes;
  }
  const c = codecs.get(type);
  if (!c) throw new TextError(`type ${typeToText(type)} has no presentation format here; use the RFC 3597 form \\# <length> <hex>`, 0);
  return c.fromText(tokens, origin);
}

/** `owner TTL CLASS TYPE RDATA` in presentation form, absolute owner. */
export function recordToText(rr: ResourceRecord): string {
  return `${rr.name.toText()}\t${rr.ttl}\t${classToText(rr.class)}\t${typeToText(rr.type)}\t${rdataToText(rr.type, rr.rdata)}`;
}

// Owns the type -> RdataCodec table and the type-generic entry points (RFC 3597 fallback for unknown types).
import { lowerByte } from './bytes.ts';
import { TextError, WireError } from './errors.ts';
import { Name } from './name.ts';
import { Reader } from './reader.ts';
import type { Writer } from './writer.ts';
import type { RdataCodec, TextToken } from './rdata/codec.ts';
import type { ResourceRecord } from './record.ts';
import { RRType, classToText, typeToText } from './constants.ts';
import { allCodecs } from './rdata/index.ts';
import { nameLength } from './rdata/fields.ts';

/** A codec that can also say where its embedded names are (every codec in rdata/ is one). */
interface NamedCodec extends RdataCodec {
  nameOffsets(rdata: Uint8Array): number[];
  target(rdata: Uint8Array): Name | null;
}

function isNamed(c: RdataCodec): c is NamedCodec {
  return typeof (c as Partial<NamedCodec>).nameOffsets === 'function';
}

// Types absent here use the RFC 3597 generic form.
const codecs = new Map<number, RdataCodec>();
for (const c of allCodecs) codecs.set(c.type, c);

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
  if (!c) return r.copy(length);
  const start = r.pos;
  const out = c.decode(r, length);
  if (r.pos !== start + length) throw new WireError('DUNLIN_ERR_WIRE_TRAILING', `RDATA of ${typeToText(type)} did not consume exactly RDLENGTH ${length}`, start);
  return out;
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
      try {
        const out = c.decode(r, bytes.length);
        if (r.pos !== bytes.length) throw new TextError('generic RDATA has trailing octets for its type', 2);
        return out;
      } catch (e) {
        if (e instanceof WireError) throw new TextError(`generic RDATA is not valid ${typeToText(type)}: ${e.message}`, 2);
        throw e;
      }
    }
    return bytes;
  }
  const c = codecs.get(type);
  if (!c) throw new TextError(`type ${typeToText(type)} has no presentation format here; use the RFC 3597 form \\# <length> <hex>`, 0);
  try {
    return c.fromText(tokens, origin);
  } catch (e) {
    if (e instanceof WireError) throw new TextError(e.message);
    throw e;
  }
}

/** `owner TTL CLASS TYPE RDATA` in presentation form, absolute owner. */
export function recordToText(rr: ResourceRecord): string {
  return `${rr.name.toText()}\t${rr.ttl}\t${classToText(rr.class)}\t${typeToText(rr.type)}\t${rdataToText(rr.type, rr.rdata)}`;
}

/**
 * The name additional-section processing and chasing use (RFC 1034 §3.6.2, RFC 2782, RFC 3403,
 * RFC 9460 §4): NS, CNAME, DNAME, PTR, MX, SRV, KX, AFSDB, RT, MB, MD, MF, NAPTR and SVCB/HTTPS.
 * A root target ("no service": RFC 7505 null MX, SRV ".", NAPTR/SVCB ".") gives null, except for
 * CNAME and DNAME, which lookup chases as written.
 */
export function rdataTargetName(type: number, rdata: Uint8Array): Name | null {
  const c = codecs.get(type);
  if (!c || !isNamed(c)) return null;
  return c.target(rdata);
}

/** Every domain name embedded in the RDATA, in field order. */
export function rdataNames(type: number, rdata: Uint8Array): Name[] {
  const c = codecs.get(type);
  if (!c || !isNamed(c)) return [];
  return c.nameOffsets(rdata).map((off) => Name.fromWire(rdata.subarray(off, off + nameLength(rdata, off))));
}

// RFC 4034 §6.2 item 3 as corrected by RFC 6840 §5.1 (NSEC removed; RRSIG kept). Types defined
// after RFC 3597 never downcase (RFC 3597 §7).
const T = RRType;
const canonicalLowerTypes = new Set<number>([
  T.NS, T.MD, T.MF, T.CNAME, T.SOA, T.MB, T.MG, T.MR, T.PTR, T.HINFO, T.MINFO, T.MX, T.RP, T.AFSDB, T.RT,
  T.SIG, T.PX, T.NXT, T.NAPTR, T.KX, T.SRV, T.DNAME, T.A6, T.RRSIG,
]);

/** RDATA in DNSSEC canonical form (RFC 4034 §6.2): embedded names lower-cased for the listed types. */
export function canonicalRdata(type: number, rdata: Uint8Array): Uint8Array {
  if (!canonicalLowerTypes.has(type)) return rdata;
  const c = codecs.get(type);
  if (!c || !isNamed(c)) return rdata;
  const offs = c.nameOffsets(rdata);
  if (offs.length === 0) return rdata;
  const out = Uint8Array.from(rdata);
  for (const off of offs) {
    const end = off + nameLength(rdata, off);
    for (let i = off; i < end; i++) out[i] = lowerByte(out[i]!);
  }
  return out;
}

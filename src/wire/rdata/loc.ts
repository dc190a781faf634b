// Owns LOC RDATA (RFC 1876): degrees/minutes/seconds, altitude and the mantissa-exponent size/precision octets.
import { TextError, WireError } from '../errors.ts';
import type { Name } from '../name.ts';
import type { Reader } from '../reader.ts';
import type { Writer } from '../writer.ts';
import { RRType } from '../constants.ts';
import type { TextToken } from './codec.ts';
import { boundedDecode, readU32, type DunlinCodec } from './fields.ts';
import { Tokens } from './text.ts';

const EQUATOR = 2 ** 31; // RFC 1876 §2: latitude/longitude are offsets from 2^31 in thousandths of arc seconds
const ALT_BASE = 10000000; // altitude is in cm above a base 100000 m below the WGS 84 spheroid

/** RFC 1876 §2 size/precision octet: mantissa (high nibble) * 10^exponent (low nibble) centimetres. */
function precToCm(b: number): number {
  return (b >> 4) * 10 ** (b & 0xf);
}

function cmToPrec(cm: number): number {
  let e = 0;
  while (cm >= 10 && e < 9) {
    cm = Math.floor(cm / 10);
    e++;
  }
  return (Math.min(cm, 9) << 4) | e;
}

function cmToText(cm: number): string {
  const neg = cm < 0;
  const a = Math.abs(cm);
  return `${neg ? '-' : ''}${Math.floor(a / 100)}.${String(a % 100).padStart(2, '0')}m`;
}

function angleToText(v: number, pos: string, neg: string): string {
  let d = v - EQUATOR;
  const h = d < 0 ? neg : pos;
  d = Math.abs(d);
  const deg = Math.floor(d / 3600000);
  d -= deg * 3600000;
  const min = Math.floor(d / 60000);
  d -= min * 60000;
  const sec = Math.floor(d / 1000);
  const ms = d - sec * 1000;
  return `${deg} ${min} ${sec}.${String(ms).padStart(3, '0')} ${h}`;
}

function locToText(b: Uint8Array): string {
  const lat = angleToText(readU32(b, 4), 'N', 'S');
  const lon = angleToText(readU32(b, 8), 'E', 'W');
  const alt = readU32(b, 12) - ALT_BASE;
  return `${lat} ${lon} ${cmToText(alt)} ${cmToText(precToCm(b[1]!))} ${cmToText(precToCm(b[2]!))} ${cmToText(precToCm(b[3]!))}`;
}

/** Metres with up to two decimals and an optional "m" -> centimetres. */
function metres(text: string, min: number, max: number, what: string, t: Tokens): number {
  const m = /^(-?)(\d+)(?:\.(\d{1,2}))?[mM]?$/.exec(text);
  if (!m) t.fail(`${what}: expected metres like 10 or 1.5m, got "${text}"`);
  const cm = (Number(m[2]) * 100 + Number((m[3] ?? '').padEnd(2, '0'))) * (m[1] ? -1 : 1);
  if (cm < min || cm > max) t.fail(`${what}: ${text} is out of range`);
  return cm;
}

function parseAngle(t: Tokens, what: string, maxDeg: number, pos: string, neg: string): number {
  const deg = t.next(what).text;
  if (!/^\d{1,3}$/.test(deg) || Number(deg) > maxDeg) t.fail(`${what}: degrees must be 0..${maxDeg}, got "${deg}"`);
  let ms = Number(deg) * 3600000;
  let tok = t.next(what).text;
  if (/^\d{1,2}$/.test(tok)) {
    if (Number(tok) > 59) t.fail(`${what}: minutes must be 0..59`);
    ms += Number(tok) * 60000;
    tok = t.next(what).text;
    const s = /^(\d{1,2})(?:\.(\d{1,3}))?$/.exec(tok);
    if (s) {
      if (Number(s[1]) > 59) t.fail(`${what}: seconds must be 0..59.999`);
      ms += Number(s[1]) * 1000 + Number((s[2] ?? '').padEnd(3, '0'));
      tok = t.next(what).text;
    }
  }
  const h = tok.toUpperCase();
  if (h !== pos && h !== neg) t.fail(`${what}: expected ${pos} or ${neg}, got "${tok}"`);
  if (ms > maxDeg * 3600000) t.fail(`${what}: over ${maxDeg} degrees`);
  return h === pos ? EQUATOR + ms : EQUATOR - ms;
}

function locFromText(tokens: readonly TextToken[], _origin: Name): Uint8Array {
  const t = new Tokens(tokens);
  const lat = parseAngle(t, 'latitude', 90, 'N', 'S');
  const lon = parseAngle(t, 'longitude', 180, 'E', 'W');
  const alt = metres(t.next('altitude').text, -10000000, 4284967295, 'altitude', t);
  const precs = [100, 1000000, 1000]; // RFC 1876 defaults: size 1m, horizontal 10000m, vertical 10m
  for (let i = 0; i < 3 && !t.done; i++) precs[i] = metres(t.next('size/precision').text, 0, 9000000000, 'size/precision', t);
  t.end();
  const out = new Uint8Array(16);
  out[0] = 0;
  out[1] = cmToPrec(precs[0]!);
  out[2] = cmToPrec(precs[1]!);
  out[3] = cmToPrec(precs[2]!);
  const dv = new DataView(out.buffer);
  dv.setUint32(4, lat);
  dv.setUint32(8, lon);
  dv.setUint32(12, alt + ALT_BASE);
  return out;
}

export const locCodec: DunlinCodec = {
  type: RRType.LOC,
  mnemonic: 'LOC',
  decode(r: Reader, length: number): Uint8Array {
    return boundedDecode(r, length, (sub) => {
      const at = sub.pos;
      // RFC 1876 §2: only version 0 is defined; its RDATA is exactly 16 octets.
      if (length !== 16) throw new WireError('DUNLIN_ERR_WIRE_BAD_RDATA', `LOC RDATA must be 16 octets, got ${length}`, at);
      const out = sub.copy(16);
      if (out[0] !== 0) throw new WireError('DUNLIN_ERR_WIRE_BAD_RDATA', `LOC version ${out[0]} is not 0`, at);
      // Text can only say 0..90 degrees of latitude and 0..180 of longitude, so the wire may not say more.
      const lat = Math.abs(readU32(out, 4) - EQUATOR);
      const lon = Math.abs(readU32(out, 8) - EQUATOR);
      if (lat > 90 * 3600000 || lon > 180 * 3600000) throw new WireError('DUNLIN_ERR_WIRE_BAD_RDATA', 'LOC latitude or longitude out of range', at + 4);
      for (let i = 1; i <= 3; i++) {
        if ((out[i]! >> 4) > 9 || (out[i]! & 0xf) > 9) throw new WireError('DUNLIN_ERR_WIRE_BAD_RDATA', 'LOC size/precision digit over 9', at + i);
      }
      return out;
    });
  },
  encode(w: Writer, rdata: Uint8Array): void {
    w.bytes(rdata);
  },
  toText: locToText,
  fromText(tokens, origin) {
    try {
      return locFromText(tokens, origin);
    } catch (e) {
      if (e instanceof TextError) throw e;
      throw new TextError(String(e));
    }
  },
  nameOffsets: () => [],
  target: () => null,
};

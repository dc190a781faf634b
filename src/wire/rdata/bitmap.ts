// Owns the NSEC/NSEC3/CSYNC type bitmap (RFC 4034 §4.1.2): wire validation, text, and construction from type lists.
import { WireError } from '../errors.ts';
import type { Reader } from '../reader.ts';
import { typeFromText, typeToText } from '../constants.ts';
import type { Tokens } from './text.ts';

/** Validates a bitmap filling the rest of the RDATA (window blocks ascending, 1..32 octets, no trailing zero octet). */
export function readBitmap(r: Reader): Uint8Array {
  const start = r.pos;
  let lastWindow = -1;
  while (r.remaining > 0) {
    const at = r.pos;
    const win = r.u8();
    const len = r.u8();
    if (win <= lastWindow) throw new WireError('DUNLIN_ERR_WIRE_BAD_RDATA', `type bitmap window ${win} out of order`, at);
    if (len < 1 || len > 32) throw new WireError('DUNLIN_ERR_WIRE_BAD_RDATA', `type bitmap window length ${len} not in 1..32`, at);
    const bits = r.bytes(len);
    // RFC 4034 §4.1.2: trailing zero octets MUST be omitted, so the last octet of a block is never zero.
    if (bits[len - 1] === 0) throw new WireError('DUNLIN_ERR_WIRE_BAD_RDATA', 'type bitmap block ends with a zero octet', at);
    lastWindow = win;
  }
  return r.msg.slice(start, r.pos);
}

/** Type numbers present in a (valid) bitmap, ascending. */
export function bitmapTypes(b: Uint8Array, off = 0, end = b.length): number[] {
  const out: number[] = [];
  let p = off;
  while (p + 2 <= end) {
    const win = b[p]!;
    const len = b[p + 1]!;
    for (let i = 0; i < len && p + 2 + i < end; i++) {
      const byte = b[p + 2 + i]!;
      for (let bit = 0; bit < 8; bit++) if (byte & (0x80 >> bit)) out.push(win * 256 + i * 8 + bit);
    }
    p += 2 + len;
  }
  return out;
}

/** Builds the wire bitmap for a set of types. */
export function bitmapFromTypes(types: Iterable<number>): Uint8Array {
  const sorted = [...new Set(types)].sort((a, b) => a - b);
  const out: number[] = [];
  let i = 0;
  while (i < sorted.length) {
    const win = sorted[i]! >> 8;
    const block = new Uint8Array(32);
    let maxOctet = 0;
    while (i < sorted.length && sorted[i]! >> 8 === win) {
      const low = sorted[i]! & 0xff;
      block[low >> 3]! |= 0x80 >> (low & 7);
      maxOctet = Math.max(maxOctet, low >> 3);
      i++;
    }
    out.push(win, maxOctet + 1, ...block.subarray(0, maxOctet + 1));
  }
  return Uint8Array.from(out);
}

export function bitmapToText(b: Uint8Array, off = 0, end = b.length): string {
  return bitmapTypes(b, off, end).map(typeToText).join(' ');
}

/** All remaining tokens are type mnemonics (or TYPEnnn). */
export function bitmapFromTokens(t: Tokens): Uint8Array {
  const types: number[] = [];
  while (!t.done) {
    const tok = t.next('type');
    const v = typeFromText(tok.text);
    if (v === undefined) t.fail(`unknown type "${tok.text}" in type bitmap`);
    types.push(v);
  }
  return bitmapFromTypes(types);
}

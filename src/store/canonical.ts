// Owns canonical DNS name order over wire names in place (RFC 4034 §6.1): comparison and sort keys.
import { lowerByte } from '../wire/bytes.ts';

const sa = new Int32Array(128);
const sb = new Int32Array(128);

function labelStarts(a: Uint8Array, at: number, len: number, out: Int32Array): number {
  let n = 0;
  let p = at;
  const end = at + len;
  while (p < end && a[p] !== 0 && n < 128) {
    out[n++] = p;
    p += a[p]! + 1;
  }
  return n;
}

/**
 * Compares two uncompressed wire names in canonical order: labels right to left, each as
 * lower-cased octets, a shorter label first when one is a prefix; an ancestor before its
 * descendants. Returns <0, 0 or >0.
 */
export function compareWire(a: Uint8Array, aAt: number, aLen: number, b: Uint8Array, bAt: number, bLen: number): number {
  const na = labelStarts(a, aAt, aLen, sa);
  const nb = labelStarts(b, bAt, bLen, sb);
  for (let i = na - 1, j = nb - 1; i >= 0 && j >= 0; i--, j--) {
    const pa = sa[i]!;
    const pb = sb[j]!;
    const la = a[pa]!;
    const lb = b[pb]!;
    const l = la < lb ? la : lb;
    for (let k = 1; k <= l; k++) {
      const d = lowerByte(a[pa + k]!) - lowerByte(b[pb + k]!);
      if (d !== 0) return d;
    }
    if (la !== lb) return la - lb;
  }
  return na - nb;
}

const keyScratch = Buffer.alloc(1024);

/**
 * Writes a sort key for a wire name into `out` at `o` and returns the end: labels right to left
 * (the rightmost `skip` labels left out), lower-cased, each followed by a 0 separator; octets 0
 * and 1 are escaped as 1 1 and 1 2 so the separator sorts before every octet. Comparing keys as
 * octet strings is canonical name order.
 */
export function writeSortKey(a: Uint8Array, at: number, len: number, out: Uint8Array, o: number, skip = 0): number {
  const n = labelStarts(a, at, len, sa);
  for (let i = n - 1 - skip; i >= 0; i--) {
    const p = sa[i]!;
    const l = a[p]!;
    for (let k = 1; k <= l; k++) {
      const b = lowerByte(a[p + k]!);
      if (b < 2) {
        out[o++] = 1;
        out[o++] = b + 1;
      } else out[o++] = b;
    }
    out[o++] = 0;
  }
  return o;
}

/** The sort key of a wire name as a flat latin1 string: plain string order is canonical name order. */
export function wireSortKey(a: Uint8Array, at: number, len: number): string {
  return keyScratch.toString('latin1', 0, writeSortKey(a, at, len, keyScratch, 0));
}

/** True when wire name `d` is `a` or below it (case-insensitive, on label boundaries). */
export function isBelowOrAt(d: Uint8Array, a: Uint8Array): boolean {
  if (d.length < a.length) return false;
  const off = d.length - a.length;
  for (let i = 0; i < a.length; i++) if (lowerByte(d[off + i]!) !== lowerByte(a[i]!)) return false;
  if (off === 0) return true;
  // The suffix must start on a label boundary of d.
  let p = 0;
  while (p < off) p += d[p]! + 1;
  return p === off;
}

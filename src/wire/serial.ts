// Owns serial number arithmetic (RFC 1982) for SOA serials: comparison and addition modulo 2^32.

/**
 * RFC 1982 §3.2: -1 when a < b, 1 when a > b, 0 when equal, undefined when the two are exactly
 * 2^31 apart (the comparison is undefined; callers treat it as "not greater").
 */
export function serialCompare(a: number, b: number): -1 | 0 | 1 | undefined {
  a >>>= 0;
  b >>>= 0;
  if (a === b) return 0;
  const d = (a - b) >>> 0;
  if (d === 0x80000000) return undefined;
  return d < 0x80000000 ? 1 : -1;
}

/** True when `a` is greater than `b` in serial arithmetic. */
export function serialGt(a: number, b: number): boolean {
  return serialCompare(a, b) === 1;
}

/** RFC 1982 §3.1: s + n modulo 2^32, for 0 <= n <= 2^31 - 1. */
export function serialAdd(s: number, n: number): number {
  if (n < 0 || n > 0x7fffffff) throw new RangeError(`serial increment ${n} outside 0..2^31-1 (RFC 1982 §3.1)`);
  return ((s >>> 0) + n) >>> 0;
}

// Owns serial number arithmetic (RFC 1982): comparison and addition of 32-bit SOA serials.

/** RFC 1982 §3.2: -1, 0 or 1 as `a` is less than, equal to or greater than `b`; undefined when exactly 2^31 apart. */
export function serialCompare(a: number, b: number): -1 | 0 | 1 | undefined {
  const d = (a - b) >>> 0;
  if (d === 0) return 0;
  if (d === 0x80000000) return undefined;
  return d < 0x80000000 ? 1 : -1;
}

/** True when `a` is greater than `b` (RFC 1982 §3.2). */
export function serialGt(a: number, b: number): boolean {
  return serialCompare(a, b) === 1;
}

/** RFC 1982 §3.1: `s + n` modulo 2^32, for 0 <= n <= 2^31 - 1. */
export function serialAdd(s: number, n: number): number {
  if (n < 0 || n > 0x7fffffff) throw new RangeError(`serial addend ${n} outside 0..2^31-1 (RFC 1982 §3.1)`);
  return (s + n) >>> 0;
}

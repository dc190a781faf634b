// Owns TTL text: plain seconds or BIND unit form (1h30m, 2w, 1W2D), bounded to 2^31-1 (RFC 2181 §8).

/** RFC 2181 §8: a TTL is an unsigned 31-bit value. */
export const MAX_TTL = 0x7fffffff;

const unitSeconds = (c: number): number => {
  switch (c | 0x20) {
    case 0x73: return 1; // s
    case 0x6d: return 60; // m
    case 0x68: return 3600; // h
    case 0x64: return 86400; // d
    case 0x77: return 604800; // w
    default: return 0;
  }
};

/** True when the token can only be meant as a TTL (it starts with a digit). */
export function looksLikeTtl(text: string): boolean {
  const c = text.charCodeAt(0);
  return c >= 0x30 && c <= 0x39;
}

/**
 * Parses a TTL; returns the seconds or a message saying what was expected. Accepts plain digits
 * or a sequence of <digits><unit> with units s m h d w in any case (BIND syntax; each unit at
 * most once would be stricter than BIND, which sums them, so they are summed).
 */
export function parseTtl(text: string): number | string {
  const len = text.length;
  if (len === 0) return 'expected a TTL, found nothing';
  let total = 0;
  let i = 0;
  let units = false;
  while (i < len) {
    let n = 0;
    const start = i;
    while (i < len) {
      const c = text.charCodeAt(i);
      if (c < 0x30 || c > 0x39) break;
      n = n * 10 + (c - 0x30);
      if (n > MAX_TTL * 2) n = MAX_TTL * 2; // saturate; reported as overflow below
      i++;
    }
    if (i === start) return `expected a TTL (seconds, or units like 1h30m), found "${text}"`;
    if (i === len) {
      // A bare number: alone it is seconds; after units (e.g. "1h30") BIND rejects it too.
      if (units) return `expected a unit (s, m, h, d, w) after the last number in TTL "${text}"`;
      total = n;
      break;
    }
    const mult = unitSeconds(text.charCodeAt(i));
    if (mult === 0) return `expected a TTL (seconds, or units like 1h30m), found "${text}"`;
    units = true;
    total += n * mult;
    if (total > MAX_TTL) break;
    i++;
  }
  if (total > MAX_TTL) return `TTL "${text}" is over ${MAX_TTL} seconds (RFC 2181 §8)`;
  return total;
}

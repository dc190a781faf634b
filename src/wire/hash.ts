// Owns the one seeded hash of byte ranges (names case-folded) that every hash table keyed by client-chosen bytes uses.
import { lowerByte } from './bytes.ts';

/**
 * A 64-bit hash key as two 32-bit words. Tables keyed by names a client chooses must not use an
 * unkeyed hash: with FNV-1a anyone can precompute names that all land in one probe chain (hash
 * flooding). A table that is built in one thread and read in another must carry its seed with it.
 */
export interface HashSeed {
  readonly k0: number;
  readonly k1: number;
}

/** A fresh random seed (crypto.getRandomValues: no I/O, available in every thread). */
export function newHashSeed(): HashSeed {
  const w = new Uint32Array(2);
  globalThis.crypto.getRandomValues(w);
  return Object.freeze({ k0: w[0]!, k1: w[1]! });
}

/** This thread's seed, for tables that live and die in one thread (the answer cache). */
export const THREAD_SEED: HashSeed = newHashSeed();

const rotl = (x: number, b: number): number => (x << b) | (x >>> (32 - b));

/**
 * Keyed hash of `b[start, end)`, octets in `[start, foldEnd)` ASCII case-folded (RFC 4343), the
 * rest compared exactly; returns an unsigned 32-bit value. Modelled on HalfSipHash-1-3 (one
 * compression round per 4 octets, three finalization rounds): a keyed ARX mix whose collisions
 * cannot be precomputed without the seed. Not a MAC; it only has to spread hash-table slots.
 * Pass foldEnd = end for a whole name, foldEnd = start for exact bytes.
 */
export function seededHash(seed: HashSeed, b: Uint8Array, start: number, end: number, foldEnd: number): number {
  let v0 = seed.k0 | 0;
  let v1 = seed.k1 | 0;
  let v2 = 0x6c796765 ^ v0;
  let v3 = 0x74656462 ^ v1;
  let m = 0;
  let n = 0;
  for (let i = start; i < end; i++) {
    const c = i < foldEnd ? lowerByte(b[i]!) : b[i]!;
    m |= c << (8 * n);
    if (++n === 4) {
      v3 ^= m;
      // One SipRound on 32-bit words (rotations 5, 16, 8, 7, 13, 16).
      v0 = (v0 + v1) | 0; v1 = rotl(v1, 5); v1 ^= v0; v0 = rotl(v0, 16);
      v2 = (v2 + v3) | 0; v3 = rotl(v3, 8); v3 ^= v2;
      v0 = (v0 + v3) | 0; v3 = rotl(v3, 7); v3 ^= v0;
      v2 = (v2 + v1) | 0; v1 = rotl(v1, 13); v1 ^= v2; v2 = rotl(v2, 16);
      v0 ^= m;
      m = 0;
      n = 0;
    }
  }
  // Last block: the remaining octets and the length in the top octet (as SipHash does).
  m |= ((end - start) & 0xff) << 24;
  v3 ^= m;
  v0 = (v0 + v1) | 0; v1 = rotl(v1, 5); v1 ^= v0; v0 = rotl(v0, 16);
  v2 = (v2 + v3) | 0; v3 = rotl(v3, 8); v3 ^= v2;
  v0 = (v0 + v3) | 0; v3 = rotl(v3, 7); v3 ^= v0;
  v2 = (v2 + v1) | 0; v1 = rotl(v1, 13); v1 ^= v2; v2 = rotl(v2, 16);
  v0 ^= m;
  v2 ^= 0xff;
  for (let r = 0; r < 3; r++) {
    v0 = (v0 + v1) | 0; v1 = rotl(v1, 5); v1 ^= v0; v0 = rotl(v0, 16);
    v2 = (v2 + v3) | 0; v3 = rotl(v3, 8); v3 ^= v2;
    v0 = (v0 + v3) | 0; v3 = rotl(v3, 7); v3 ^= v0;
    v2 = (v2 + v1) | 0; v1 = rotl(v1, 13); v1 ^= v2; v2 = rotl(v2, 16);
  }
  return (v1 ^ v3) >>> 0;
}

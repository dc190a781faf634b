// Owns the seeded hashes: a keyed hash for tables of client-chosen bytes (the answer cache), and the name hash of zone tables.
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

/**
 * A full seed from one stored 32-bit value (a table that keeps a single number with its data, such
 * as a zone shared between threads): the second word is derived by a fixed bijective mix.
 */
export function hashSeedFromU32(seed: number): HashSeed {
  let k1 = Math.imul((seed ^ 0x9e3779b9) | 0, 0x85ebca6b);
  k1 ^= k1 >>> 13;
  k1 = Math.imul(k1, 0xc2b2ae35);
  return Object.freeze({ k0: seed | 0, k1: (k1 ^ (k1 >>> 16)) | 0 });
}

/** This thread's seed, for tables that live and die in one thread (the answer cache). */
export const THREAD_SEED: HashSeed = newHashSeed();

/** Octet i of b, case-folded when i < foldEnd. */
const octet = (b: Uint8Array, i: number, foldEnd: number): number => (i < foldEnd ? lowerByte(b[i]!) : b[i]!);

/**
 * Keyed hash of `b[start, end)`, octets in `[start, foldEnd)` ASCII case-folded (RFC 4343), the
 * rest compared exactly; returns an unsigned 32-bit value. HalfSipHash-1-3 in structure (one
 * SipRound per 4-octet word, the length in the last word, three finalization rounds): a keyed ARX
 * mix whose collisions cannot be precomputed without the seed. Not a MAC; it only has to spread
 * hash-table slots. Pass foldEnd = end for a whole name, foldEnd = start for exact bytes.
 */
export function seededHash(seed: HashSeed, b: Uint8Array, start: number, end: number, foldEnd: number): number {
  let v0 = seed.k0 | 0;
  let v1 = seed.k1 | 0;
  let v2 = 0x6c796765 ^ v0;
  let v3 = 0x74656462 ^ v1;
  const whole = start + ((end - start) & ~3);
  let i = start;
  let m = 0;
  // Rounds: the words, then the last (partial) word with the length, then three finalization rounds.
  for (let round = 0; ; round++) {
    if (i < whole) {
      m = octet(b, i, foldEnd) | (octet(b, i + 1, foldEnd) << 8) | (octet(b, i + 2, foldEnd) << 16) | (octet(b, i + 3, foldEnd) << 24);
      i += 4;
    } else if (i === whole) {
      m = ((end - start) & 0xff) << 24;
      for (let k = 0; i < end; i++, k += 8) m |= octet(b, i, foldEnd) << k;
      i = end + 1; // past the last word: finalization next
    } else {
      if (i === end + 1) {
        v2 ^= 0xff;
        i++;
      }
      m = 0;
    }
    v3 ^= m;
    // One SipRound on 32-bit words (rotations 5, 16, 8, 7, 13, 16).
    v0 = (v0 + v1) | 0; v1 = (v1 << 5) | (v1 >>> 27); v1 ^= v0; v0 = (v0 << 16) | (v0 >>> 16);
    v2 = (v2 + v3) | 0; v3 = (v3 << 8) | (v3 >>> 24); v3 ^= v2;
    v0 = (v0 + v3) | 0; v3 = (v3 << 7) | (v3 >>> 25); v3 ^= v0;
    v2 = (v2 + v1) | 0; v1 = (v1 << 13) | (v1 >>> 19); v1 ^= v2; v2 = (v2 << 16) | (v2 >>> 16);
    v0 ^= m;
    if (i > end + 1 && round >= ((end - start) >>> 2) + 3) break;
  }
  return (v1 ^ v3) >>> 0;
}

/**
 * The hash of zone tables (the parser's record table and every store node table): FNV-1a over
 * case-folded wire octets, started from a per-table seed. Zone tables hold the operator's names,
 * not names a client chooses, so a seeded FNV is enough and keeps the query path's probe cheap.
 * The seed travels with the table: the store reuses the parser's hashes and every thread probes
 * with the same function.
 */
export function nameHash(seed: number, a: Uint8Array, at: number, len: number): number {
  let h = seed ^ 0x811c9dc5;
  for (let i = 0; i < len; i++) h = Math.imul(h ^ lowerByte(a[at + i]!), 0x01000193);
  return h >>> 0;
}

/** nameHash over a name key (lower-cased wire as latin1, Name.key): the query path's form. */
export function nameKeyHash(seed: number, key: string): number {
  let h = seed ^ 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** A fresh random seed for a zone table. */
export function newNameSeed(): number {
  const w = new Uint32Array(1);
  globalThis.crypto.getRandomValues(w);
  return w[0]!;
}

// Owns the one seeded hash of owner names that every node table is built and probed with.
import { lowerByte } from '../wire/bytes.ts';

/**
 * FNV-1a over case-folded wire octets, started from a per-table seed. The seed is chosen by the
 * writer and travels with the table, so every thread probes with the same function. Zone tables
 * hold the operator's names, not names a client chooses (the answer cache, which does, uses the
 * keyed src/wire/hash.ts), so a seeded FNV is enough here and keeps the probe cheap.
 */
export function hashWire(seed: number, a: Uint8Array, at: number, len: number): number {
  let h = seed ^ 0x811c9dc5;
  for (let i = 0; i < len; i++) h = Math.imul(h ^ lowerByte(a[at + i]!), 0x01000193);
  return h >>> 0;
}

/** The same hash over a name key (lower-cased wire as latin1, Name.key): the query path's form. */
export function hashKey(seed: number, key: string): number {
  let h = seed ^ 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** A fresh random 32-bit seed for a new table. */
export function newSeed(): number {
  return (Math.random() * 0x100000000) >>> 0;
}

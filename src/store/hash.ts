// Owns the one seeded hash of owner names that every node table is built and probed with.

/**
 * FNV-1a over case-folded wire octets, started from a per-table seed. The seed is chosen by the
 * writer and travels with the table, so every thread probes with the same function; Snap.find
 * inlines the same loop over a name key (already lower case) for the query path.
 */
export function hashWire(seed: number, a: Uint8Array, at: number, len: number): number {
  let h = seed ^ 0x811c9dc5;
  for (let i = 0; i < len; i++) {
    const b = a[at + i]!;
    h = Math.imul(h ^ (b >= 0x41 && b <= 0x5a ? b + 0x20 : b), 0x01000193);
  }
  return h >>> 0;
}

/** A fresh random 32-bit seed for a new table. */
export function newSeed(): number {
  return (Math.random() * 0x100000000) >>> 0;
}

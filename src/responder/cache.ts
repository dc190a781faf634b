// Owns the encoded-answer cache: one byte arena used as a FIFO ring, open addressing keyed by the question bytes, an admission filter; no per-entry objects.

import { lowerByte } from '../wire/bytes.ts';
import { seededHash, THREAD_SEED } from '../wire/hash.ts';

/**
 * Responses keyed by (question name case-folded, QTYPE, QCLASS, variant). All responses live in
 * one arena of `maxBytes` octets allocated up front, written as a ring in insertion order, so the
 * oldest entry is always the next one in the way: eviction is FIFO and the arena never holds
 * anything but live entries and at most one unused gap. An entry is (offset, length) in typed
 * arrays: no Uint8Array per entry, so nothing per entry reaches the garbage collector or malloc,
 * and the cache's memory is the arena plus its index, whatever is cached.
 *
 * The key material is not stored separately: each cached response holds its own question at
 * offset 12, and a lookup compares the query's question against it. A lookup allocates nothing.
 */
export class AnswerCache {
  readonly #cap: number;
  readonly #mask: number;
  readonly #arena: Uint8Array;
  readonly #table: Int32Array; // slot -> entry + 1, 0 = empty
  readonly #hash: Uint32Array;
  readonly #variant: Uint32Array;
  readonly #off: Int32Array;
  readonly #len: Int32Array;
  #head = 0; // ring position (entry index) of the oldest entry
  #tail = 0; // arena offset just past the newest entry
  #bytes = 0;
  #size = 0;

  constructor(entries: number, maxBytes: number) {
    this.#cap = Math.max(1, entries);
    let slots = 16;
    while (slots < this.#cap * 2) slots *= 2;
    this.#mask = slots - 1;
    this.#table = new Int32Array(slots);
    this.#hash = new Uint32Array(this.#cap);
    this.#variant = new Uint32Array(this.#cap);
    this.#off = new Int32Array(this.#cap);
    this.#len = new Int32Array(this.#cap);
    // Allocated once: pages the ring has not reached yet are never touched, so they cost no RSS.
    this.#arena = new Uint8Array(Math.max(0, maxBytes));
  }

  /** The most entries it holds. */
  get capacity(): number {
    return this.#cap;
  }

  get size(): number {
    return this.#size;
  }

  /** Octets of live responses in the arena. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Everything the cache holds, fixed at construction: the arena, the index and the entry arrays. */
  get heldBytes(): number {
    return this.#arena.byteLength + this.#table.byteLength + this.#hash.byteLength + this.#variant.byteLength + this.#off.byteLength + this.#len.byteLength;
  }

  /** The arena the entries live in; entry e is `arena[offsetOf(e) .. offsetOf(e) + lengthOf(e))`. */
  get arena(): Uint8Array {
    return this.#arena;
  }

  offsetOf(e: number): number {
    return this.#off[e]!;
  }

  lengthOf(e: number): number {
    return this.#len[e]!;
  }

  /** Copies entry e's response to `dst` at `at`; returns its length. */
  copyInto(e: number, dst: Uint8Array, at: number): number {
    const off = this.#off[e]!;
    const len = this.#len[e]!;
    dst.set(this.#arena.subarray(off, off + len), at);
    return len;
  }

  clear(): void {
    this.#table.fill(0);
    this.#head = 0;
    this.#tail = 0;
    this.#bytes = 0;
    this.#size = 0;
  }

  /**
   * The entry for the question at `q[12..qEnd)` (name, QTYPE, QCLASS) with `hash` (from
   * `questionHash`) and `variant`, or -1.
   */
  find(q: Uint8Array, qEnd: number, hash: number, variant: number): number {
    const t = this.#table;
    let slot = hash & this.#mask;
    for (;;) {
      const v = t[slot]!;
      if (v === 0) return -1;
      const e = v - 1;
      if (this.#hash[e] === hash && this.#variant[e] === variant && this.#len[e]! >= qEnd && sameQuestion(this.#arena, this.#off[e]!, q, qEnd)) return e;
      slot = (slot + 1) & this.#mask;
    }
  }

  /**
   * Stores a copy of `resp`, whose question is the key, evicting the oldest entries until it fits
   * in the ring. A response larger than the arena is not stored. The caller must not store a key
   * that is present (the responder stores only after a miss).
   */
  set(hash: number, variant: number, resp: Uint8Array): void {
    const len = resp.length;
    const size = this.#arena.length;
    if (len > size || len === 0) return;
    while (this.#size === this.#cap) this.#evictOldest();
    let at: number;
    for (;;) {
      if (this.#size === 0) {
        at = 0;
        break;
      }
      const h = this.#off[this.#head]!;
      if (h >= this.#tail) {
        // Wrapped: live entries are [h, end of the last pass) and [0, tail); the gap is [tail, h).
        if (h - this.#tail >= len) {
          at = this.#tail;
          break;
        }
      } else if (size - this.#tail >= len) {
        // Not wrapped: live entries are [h, tail); room after them.
        at = this.#tail;
        break;
      } else if (h >= len) {
        // Start the next pass at 0; [tail, end) stays unused until the ring passes it again.
        at = 0;
        break;
      }
      this.#evictOldest();
    }
    this.#arena.set(resp, at);
    const e = (this.#head + this.#size) % this.#cap;
    this.#hash[e] = hash;
    this.#variant[e] = variant;
    this.#off[e] = at;
    this.#len[e] = len;
    this.#tail = at + len;
    this.#bytes += len;
    this.#size++;
    let slot = hash & this.#mask;
    while (this.#table[slot] !== 0) slot = (slot + 1) & this.#mask;
    this.#table[slot] = e + 1;
  }

  #evictOldest(): void {
    this.#remove(this.#head);
    this.#head = (this.#head + 1) % this.#cap;
  }

  /** Removes entry e; backward-shift deletion keeps every probe chain unbroken (no tombstones). */
  #remove(e: number): void {
    const t = this.#table;
    const mask = this.#mask;
    let s = this.#hash[e]! & mask;
    while (t[s] !== e + 1) s = (s + 1) & mask;
    t[s] = 0;
    let j = s;
    for (;;) {
      j = (j + 1) & mask;
      const v = t[j]!;
      if (v === 0) break;
      const home = this.#hash[v - 1]! & mask;
      // Move j back to the hole unless its home lies cyclically in (s, j].
      const inRange = s <= j ? home > s && home <= j : home > s || home <= j;
      if (!inRange) {
        t[s] = v;
        t[j] = 0;
        s = j;
      }
    }
    this.#bytes -= this.#len[e]!;
    this.#size--;
  }
}

/**
 * Admission filter in front of the cache (the "doorkeeper" of TinyLFU, Einziger et al. 2017): an
 * answer is stored only the second time it is missed within the filter's memory. A flood of
 * distinct names (random subdomains, the attack on authoritative servers) is missed once per name,
 * so it stores nothing and evicts nothing; any answer asked for twice is stored on the second miss.
 * Direct-mapped and fixed in size: a newer question overwrites an older one's slot, so the filter
 * forgets instead of growing. A false "seen" (another question with the same 32-bit fingerprint)
 * only stores an answer early.
 */
export class Doorkeeper {
  readonly #seen: Uint32Array;
  readonly #mask: number;

  constructor(slots: number) {
    let n = 16;
    while (n < slots) n *= 2;
    this.#seen = new Uint32Array(n);
    this.#mask = n - 1;
  }

  get heldBytes(): number {
    return this.#seen.byteLength;
  }

  /** True when (hash, variant) was offered before and not forgotten since; remembers it otherwise. */
  admit(hash: number, variant: number): boolean {
    // The fingerprint is the whole keyed hash (never 0: 0 marks an empty slot); its low bits pick the slot.
    const fp = ((hash ^ Math.imul(variant, 0x9e3779b1)) >>> 0) || 1;
    const slot = fp & this.#mask;
    if (this.#seen[slot] === fp) {
      this.#seen[slot] = 0;
      return true;
    }
    this.#seen[slot] = fp;
    return false;
  }

  clear(): void {
    this.#seen.fill(0);
  }
}

/** True when the question at a[off + 12..] equals q's (name case-folded, QTYPE and QCLASS exact). */
function sameQuestion(a: Uint8Array, off: number, q: Uint8Array, qEnd: number): boolean {
  const nameEnd = qEnd - 4;
  for (let i = 12; i < nameEnd; i++) if (lowerByte(a[off + i]!) !== lowerByte(q[i]!)) return false;
  for (let i = nameEnd; i < qEnd; i++) if (a[off + i] !== q[i]) return false;
  return true;
}

/**
 * The question's slot hash: the thread's seeded hash over the case-folded name and the exact
 * QTYPE/QCLASS at q[12..qEnd). Seeded because clients choose the names (no precomputed floods).
 */
export function questionHash(q: Uint8Array, qEnd: number): number {
  return seededHash(THREAD_SEED, q, 12, qEnd, qEnd - 4);
}

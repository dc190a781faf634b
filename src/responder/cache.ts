// Owns the encoded-answer cache: open addressing keyed by the question bytes themselves, FIFO eviction, no strings.

import { lowerByte } from '../wire/bytes.ts';
import { seededHash, THREAD_SEED } from '../wire/hash.ts';

/**
 * Responses keyed by (question name case-folded, QTYPE, QCLASS, variant). The key material is not
 * stored separately: each cached response holds its own question at offset 12, and a lookup
 * compares the query's question against it. Bounded by entries and by octets; the oldest entry
 * goes first. A lookup allocates nothing.
 */
export class AnswerCache {
  readonly #cap: number;
  readonly #maxBytes: number;
  readonly #mask: number;
  readonly #table: Int32Array; // slot -> entry + 1, 0 = empty
  readonly #hash: Uint32Array;
  readonly #variant: Uint32Array;
  readonly #resp: (Uint8Array | null)[];
  #head = 0; // ring position of the oldest entry
  #bytes = 0;
  #size = 0;

  constructor(entries: number, maxBytes: number) {
    this.#cap = Math.max(1, entries);
    this.#maxBytes = maxBytes;
    let slots = 16;
    while (slots < this.#cap * 2) slots *= 2;
    this.#mask = slots - 1;
    this.#table = new Int32Array(slots);
    this.#hash = new Uint32Array(this.#cap);
    this.#variant = new Uint32Array(this.#cap);
    this.#resp = new Array<Uint8Array | null>(this.#cap).fill(null);
  }

  get size(): number {
    return this.#size;
  }

  get bytes(): number {
    return this.#bytes;
  }

  clear(): void {
    this.#table.fill(0);
    this.#resp.fill(null);
    this.#head = 0;
    this.#bytes = 0;
    this.#size = 0;
  }

  /**
   * The cached response for the question at `q[12..qEnd)` (name, QTYPE, QCLASS) with `hash`
   * (from `questionHash`) and `variant`, or undefined.
   */
  get(q: Uint8Array, qEnd: number, hash: number, variant: number): Uint8Array | undefined {
    const t = this.#table;
    let slot = hash & this.#mask;
    for (;;) {
      const v = t[slot]!;
      if (v === 0) return undefined;
      const e = v - 1;
      if (this.#hash[e] === hash && this.#variant[e] === variant) {
        const r = this.#resp[e]!;
        if (r.length >= qEnd && sameQuestion(r, q, qEnd)) return r;
      }
      slot = (slot + 1) & this.#mask;
    }
  }

  /** Stores a response whose question is the key; evicts the oldest entries to make room. */
  set(hash: number, variant: number, resp: Uint8Array): void {
    if (resp.length > this.#maxBytes) return;
    // Entries live contiguously in ring order [head, head + size): the oldest is at head.
    while (this.#size > 0 && (this.#size === this.#cap || this.#bytes + resp.length > this.#maxBytes)) {
      this.#remove(this.#head);
      this.#head = (this.#head + 1) % this.#cap;
    }
    const e = (this.#head + this.#size) % this.#cap;
    this.#hash[e] = hash;
    this.#variant[e] = variant;
    this.#resp[e] = resp;
    this.#bytes += resp.length;
    this.#size++;
    let slot = hash & this.#mask;
    while (this.#table[slot] !== 0) slot = (slot + 1) & this.#mask;
    this.#table[slot] = e + 1;
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
    this.#bytes -= this.#resp[e]!.length;
    this.#resp[e] = null;
    this.#size--;
  }
}

/** True when r's question equals q's (name case-folded, QTYPE and QCLASS exact); both start at 12. */
function sameQuestion(r: Uint8Array, q: Uint8Array, qEnd: number): boolean {
  const nameEnd = qEnd - 4;
  for (let i = 12; i < nameEnd; i++) if (lowerByte(r[i]!) !== lowerByte(q[i]!)) return false;
  for (let i = nameEnd; i < qEnd; i++) if (r[i] !== q[i]) return false;
  return true;
}

/**
 * The question's slot hash: the thread's seeded hash over the case-folded name and the exact
 * QTYPE/QCLASS at q[12..qEnd). Seeded because clients choose the names (no precomputed floods).
 */
export function questionHash(q: Uint8Array, qEnd: number): number {
  return seededHash(THREAD_SEED, q, 12, qEnd, qEnd - 4);
}

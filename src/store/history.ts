// Owns a zone's in-memory change history: the chain of changesets between its recent versions, bounded, for IXFR and the API.
import type { Changeset } from './update.ts';

export interface HistoryLimits {
  /** Changesets kept (oldest dropped first). */
  readonly maxChanges: number;
  /** Records (removed + added) kept over all changesets (oldest dropped first). */
  readonly maxRecords: number;
}

export const HISTORY_DEFAULTS: HistoryLimits = { maxChanges: 100, maxRecords: 1_000_000 };

const size = (c: Changeset): number => c.removed.length + c.added.length + 2;

/**
 * The changesets of one zone, each from the serial the previous one ends at (RFC 1995 §4 answers
 * an IXFR from any serial in the chain with the changesets after it). A changeset that does not
 * continue the chain (a version loaded from scratch whose difference was not computed, a serial
 * that went backwards) starts a new chain: older history cannot describe the new content.
 */
export class ZoneHistory {
  readonly #limits: HistoryLimits;
  #chain: Changeset[] = [];
  #records = 0;

  constructor(limits: HistoryLimits = HISTORY_DEFAULTS) {
    this.#limits = limits;
  }

  append(cs: Changeset): void {
    const last = this.#chain.at(-1);
    if (last && last.serialTo !== cs.serialFrom) this.clear();
    this.#chain.push(cs);
    this.#records += size(cs);
    while (this.#chain.length > 1 && (this.#chain.length > this.#limits.maxChanges || this.#records > this.#limits.maxRecords)) {
      this.#records -= size(this.#chain.shift()!);
    }
    if (this.#chain.length === 1 && size(cs) > this.#limits.maxRecords) this.clear();
  }

  /** The changesets that lead from `serial` to the newest version; [] when `serial` is the newest; null when unknown. */
  since(serial: number): Changeset[] | null {
    const c = this.#chain;
    if (c.length > 0 && c.at(-1)!.serialTo === serial) return [];
    // Serials repeat after wrapping (RFC 1982): the newest occurrence is the one meant.
    for (let i = c.length - 1; i >= 0; i--) if (c[i]!.serialFrom === serial) return c.slice(i);
    return null;
  }

  clear(): void {
    this.#chain = [];
    this.#records = 0;
  }

  get depth(): number {
    return this.#chain.length;
  }

  get records(): number {
    return this.#records;
  }

  /** The oldest serial an IXFR can start from, or null. */
  get oldestSerial(): number | null {
    return this.#chain[0]?.serialFrom ?? null;
  }
}

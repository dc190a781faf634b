// Owns a serving thread's questions to the main thread about a zone's change history (for IXFR out): one pending promise per question, settled by the reply, an abort or a timeout.
import type { Changeset } from '../store/index.ts';

interface Pending {
  readonly resolve: (cs: Changeset[] | null) => void;
  readonly timer: NodeJS.Timeout;
  readonly signal: AbortSignal;
  readonly onAbort: () => void;
}

/**
 * The history lives in the main thread (the zone writer keeps it, the journal persists it); a
 * worker asks for the changesets from one serial when an IXFR arrives. A question unanswered
 * within `timeoutMs`, or whose transfer was abandoned, settles as null (answered AXFR-style).
 */
export class HistoryClient {
  readonly #post: (id: number, zone: string, serial: number) => void;
  readonly #timeoutMs: number;
  readonly #pending = new Map<number, Pending>();
  #next = 1;

  constructor(post: (id: number, zone: string, serial: number) => void, timeoutMs = 5000) {
    this.#post = post;
    this.#timeoutMs = timeoutMs;
  }

  ask(zone: string, serial: number, signal: AbortSignal): Promise<Changeset[] | null> {
    if (signal.aborted) return Promise.resolve(null);
    const id = this.#next++;
    return new Promise((resolve) => {
      const onAbort = (): void => this.answer(id, null);
      const timer = setTimeout(onAbort, this.#timeoutMs);
      signal.addEventListener('abort', onAbort, { once: true });
      this.#pending.set(id, { resolve, timer, signal, onAbort });
      this.#post(id, zone, serial);
    });
  }

  /** The main thread's reply (or null on abort/timeout); unknown ids (already settled) are ignored. */
  answer(id: number, changesets: Changeset[] | null): void {
    const p = this.#pending.get(id);
    if (!p) return;
    this.#pending.delete(id);
    clearTimeout(p.timer);
    p.signal.removeEventListener('abort', p.onAbort);
    p.resolve(changesets);
  }

  /** Settles every question with null (thread stopping). */
  close(): void {
    for (const id of [...this.#pending.keys()]) this.answer(id, null);
  }

  get pending(): number {
    return this.#pending.size;
  }
}

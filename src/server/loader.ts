// Owns the zone loader thread from the main thread: one thread per batch of jobs, one job at a time, a bounded queue, a failed job if it dies.
import { Worker } from 'node:worker_threads';
import type { ChangesReply, LoadJob, LoadReply, WireChangeset } from './ipc.ts';
import { siblingModule } from './ipc.ts';

export type LoadRequest = Omit<LoadJob, 'id'>;

interface Queued {
  readonly job: LoadJob;
  readonly resolve: (r: LoadReply) => void;
  readonly onChanges: (cs: WireChangeset | null) => void;
  /** The reply came; the job still holds the thread until its changeset follows. */
  replied: boolean;
}

/** A job that failed before or outside the parser: reported at the file, like a zone problem without a line. */
function failure(id: number, file: string, why: string): LoadReply {
  return { id, status: 'failed', fingerprint: null, errors: [`${file}:0:0: error: ${why}`], errorCount: 1, warnings: [] };
}

/** Something that turns a load request into a reply; the server uses ZoneLoader, tests may pass their own. */
export interface ZoneLoadService {
  /** `onChanges` gets the changeset from `req.previous` to a built version, some time after the reply (null: too large or failed). */
  load(req: LoadRequest, onChanges?: (cs: WireChangeset | null) => void): Promise<LoadReply>;
  close(): Promise<void>;
}

/**
 * Parses and builds zones on a dedicated thread, so neither a serving thread nor the main thread
 * (control socket, metrics, signals) is ever blocked by a large zone. Jobs run one at a time: two
 * big zones built at once would double the peak memory and finish no sooner on a busy machine.
 */
export class ZoneLoader implements ZoneLoadService {
  readonly #maxQueue: number;
  readonly #queue: Queued[] = [];
  #current: Queued | null = null;
  #thread: Worker | null = null;
  #nextId = 1;
  #closed = false;

  constructor(maxQueue = 1024) {
    this.#maxQueue = maxQueue;
  }

  load(req: LoadRequest, onChanges: (cs: WireChangeset | null) => void = () => undefined): Promise<LoadReply> {
    const id = this.#nextId++;
    if (this.#closed) return Promise.resolve(failure(id, req.file, 'server is stopping'));
    if (this.#queue.length >= this.#maxQueue) return Promise.resolve(failure(id, req.file, `zone load queue full (${this.#maxQueue} jobs)`));
    return new Promise((resolve) => {
      this.#queue.push({ job: { ...req, id }, resolve, onChanges, replied: false });
      this.#next();
    });
  }

  #next(): void {
    if (this.#current !== null || this.#closed) return;
    const q = this.#queue.shift();
    if (!q) {
      // Idle: the thread ends, giving back its whole heap (the parse's garbage of a big zone); the
      // next batch starts a fresh one in some tens of milliseconds. The built zones live on in
      // their SharedArrayBuffers, which the main and worker threads hold.
      const t = this.#thread;
      this.#thread = null;
      if (t) void t.terminate();
      return;
    }
    this.#current = q;
    // A transfer's messages move to the loader thread instead of being copied (the main thread is done with them).
    const moved = q.job.transfer ? [...new Set(q.job.transfer.messages.map((m) => m.buffer))].filter((b): b is ArrayBuffer => b instanceof ArrayBuffer) : [];
    this.#spawn().postMessage(q.job, moved);
  }

  #spawn(): Worker {
    if (this.#thread) return this.#thread;
    const t = new Worker(siblingModule(import.meta.url, 'loader-thread'), { name: 'dunlin-loader' });
    this.#thread = t;
    t.on('message', (r: LoadReply | ChangesReply) => {
      const q = this.#current;
      if (!q || q.job.id !== r.id) return;
      if (r.status === 'changes') {
        q.onChanges(r.changeset);
      } else {
        q.replied = true;
        q.resolve(r);
        // A built version with a predecessor: the loader sends its changeset next.
        if (r.status === 'built' && q.job.previous !== null) return;
      }
      this.#current = null;
      this.#next();
    });
    // An exception or an out-of-memory abort in the loader fails the job in progress, never the server.
    t.on('error', (err: unknown) => this.#fail(t, err instanceof Error ? err.message : String(err)));
    t.on('exit', (code) => {
      if (this.#thread === t) this.#fail(t, `zone loader thread exited (code ${code})`);
    });
    return t;
  }

  #fail(t: Worker, why: string): void {
    if (this.#thread !== t) return;
    this.#thread = null;
    const q = this.#current;
    this.#current = null;
    if (q?.replied) q.onChanges(null);
    else q?.resolve(failure(q.job.id, q.job.file, why));
    this.#next();
  }

  /** Stops the thread; queued and running jobs resolve as failed. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const q of this.#queue.splice(0)) q.resolve(failure(q.job.id, q.job.file, 'server is stopping'));
    const t = this.#thread;
    if (!t) return;
    this.#fail(t, 'server is stopping');
    await t.terminate();
  }
}

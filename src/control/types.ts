// Owns the contract between the server process model and the control channel (sockstat, reload, status).
import type { RegistrySnapshot } from '../transport/registry-types.ts';

/** What one serving thread reports about itself. */
export interface WorkerReport {
  /** The server process (every serving thread shares it). */
  readonly pid: number;
  readonly threadId: number;
  readonly worker: number; // 1-based worker index
  readonly registry: RegistrySnapshot;
  readonly udpQueries: number;
  readonly tcpQueries: number;
  /** How this thread reads and writes UDP: `batched` (the recvmmsg/sendmmsg addon) or `dgram`. */
  readonly udpIo: 'batched' | 'dgram';
}

/** A serving thread the server runs now. */
export interface WorkerThreadInfo {
  readonly worker: number;
  readonly threadId: number;
}

/** The outcome of loading one zone: a typed value, never a string to grep (a zone may be named error.example.). */
export type ZoneResult =
  | { readonly zone: string; readonly status: 'loaded'; readonly serial: number; readonly previousSerial: number | null; readonly records: number; readonly ms: number }
  | { readonly zone: string; readonly status: 'unchanged'; readonly serial: number | null; readonly stillFailing: string | null }
  | { readonly zone: string; readonly status: 'failed'; readonly problems: readonly string[]; readonly errorCount: number; readonly servingSerial: number | null }
  | { readonly zone: string; readonly status: 'removed'; readonly serial: number | null };

/** One zone's state in the writer. */
import type { SecondaryStatus } from '../xfr/secondary.ts';

export interface ZoneStatus {
  readonly zone: string;
  readonly file: string;
  readonly serial: number | null;
  readonly records: number;
  readonly loadedAt: string | null;
  readonly last: ZoneResult | null;
  /** Loads and reloads of this zone that failed since it was configured. */
  readonly failures: number;
  /** primary: served from its file; secondary: transferred from its primaries. */
  readonly role?: 'primary' | 'secondary';
  /** Secondary zones: refresh timers and the last transfer. */
  readonly secondary?: SecondaryStatus;
  /** Primary side: changesets and octets in the zone's journal (IXFR out), and the last NOTIFY outcome per target. */
  readonly journal?: { readonly depth: number; readonly bytes: number };
  readonly notified?: readonly { readonly remote: string; readonly address: string; readonly serial: number; readonly result: string; readonly detail: string | null; readonly attempts: number; readonly at: string }[];
}


/** Callbacks the server hands to the control server; each runs in the main thread. */
export interface ControlHandlers {
  /** Collects a report from every live serving thread (bounded by a timeout; missing threads are omitted). */
  workers(): Promise<WorkerReport[]>;
  /**
   * Reloads zones whose files changed (with `zone`, that configured zone only): one typed result
   * per zone, and a human-readable line each.
   */
  reload(zone?: string): Promise<{ readonly summary: readonly string[]; readonly results: readonly ZoneResult[] }>;
  /**
   * Processes whose descriptors and sockets sockstat inspects: the server process, plus any helper
   * processes (Dunlin's own serving threads live inside the server process, so it lists none).
   */
  pids(): { primary: number; workers: number[] };
  /** Serving threads running now. */
  threads?(): WorkerThreadInfo[];
  /**
   * The DNS ports the worker threads listen on. Only connections on these ports can be in a worker
   * registry; others the process holds (a metrics scrape) are not reported as untracked. Without
   * it every connection socket counts.
   */
  dnsPorts?(): number[];
  /** Every configured zone's state. */
  zones?(): ZoneStatus[];
  /** Test hook (present only with DUNLIN_TEST_HOOKS=1): an uncaught exception in one serving thread. */
  crashWorker?(index: number): boolean;
}

// Owns the contract between the server process model and the control channel (sockstat, reload).
import type { RegistrySnapshot } from '../transport/registry-types.ts';

/** What one worker process reports about itself. */
export interface WorkerReport {
  readonly pid: number;
  readonly worker: number; // 1-based worker index
  readonly registry: RegistrySnapshot;
  readonly udpQueries: number;
  readonly tcpQueries: number;
}

/** Callbacks the server hands to the control server; each runs in the primary process. */
export interface ControlHandlers {
  /** Collects a report from every live worker (bounded by a timeout; missing workers are omitted). */
  workers(): Promise<WorkerReport[]>;
  /** Reloads zones whose files changed; resolves with a human-readable summary per zone. */
  reload(): Promise<string[]>;
  /** Process ids: the primary and each worker. */
  pids(): { primary: number; workers: number[] };
}

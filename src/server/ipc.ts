// Owns the cluster IPC messages between the primary and its workers (all carry cmd: 'dunlin:*').
import type { WorkerReport } from '../control/types.ts';

export interface BoundListener {
  readonly proto: 'udp' | 'tcp';
  /** "IP:port" or "[IPv6]:port" */
  readonly address: string;
}

/** Worker -> primary. */
export type WorkerMessage =
  | { readonly cmd: 'dunlin:ready'; readonly listeners: readonly BoundListener[]; readonly zones: number; readonly zoneErrors: number }
  | { readonly cmd: 'dunlin:failed'; readonly error: string }
  | { readonly cmd: 'dunlin:report'; readonly id: number; readonly report: WorkerReport }
  | { readonly cmd: 'dunlin:reloaded'; readonly id: number; readonly lines: readonly string[] };

/** Primary -> worker. */
export type PrimaryMessage =
  | { readonly cmd: 'dunlin:report'; readonly id: number }
  | { readonly cmd: 'dunlin:reload'; readonly id: number }
  | { readonly cmd: 'dunlin:shutdown' }
  | { readonly cmd: 'dunlin:destroy' };

function hasCmd(m: unknown): m is { cmd: string } {
  return typeof m === 'object' && m !== null && typeof (m as { cmd?: unknown }).cmd === 'string';
}

export function isWorkerMessage(m: unknown): m is WorkerMessage {
  return hasCmd(m) && (m.cmd === 'dunlin:ready' || m.cmd === 'dunlin:failed' || m.cmd === 'dunlin:report' || m.cmd === 'dunlin:reloaded');
}

export function isPrimaryMessage(m: unknown): m is PrimaryMessage {
  return hasCmd(m) && (m.cmd === 'dunlin:report' || m.cmd === 'dunlin:reload' || m.cmd === 'dunlin:shutdown' || m.cmd === 'dunlin:destroy');
}

/** Environment variables a worker is started with. */
export const ENV_WORKER_INDEX = 'DUNLIN_WORKER_INDEX';
export const ENV_WORKER_CONFIG = 'DUNLIN_WORKER_CONFIG';

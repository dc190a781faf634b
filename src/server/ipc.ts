// Owns the messages between the main thread and its threads (serving workers and the zone loader); all carry cmd: 'dunlin:*'.
import type { Config } from '../config/load.ts';
import type { WorkerReport } from '../control/types.ts';
import type { Changeset, ZoneImage } from '../store/index.ts';
import type { ResourceRecord } from '../wire/record.ts';
import type { TransferData } from '../xfr/build.ts';

export type { TransferData } from '../xfr/build.ts';

export interface BoundListener {
  readonly proto: 'udp' | 'tcp';
  /** "IP:port" or "[IPv6]:port" */
  readonly address: string;
}

/** workerData of a serving thread: everything it needs to start answering at once. */
export interface WorkerData {
  readonly config: Config;
  readonly index: number;
  /** The zones served now (SharedArrayBuffer-backed: the thread reads the writer's copy). */
  readonly images: readonly ZoneImage[];
  /** Configured zones without a version (load failed): answered SERVFAIL, not REFUSED. */
  readonly unserved: readonly string[];
  /** This thread's share of tcp.max_connections, already fitted to RLIMIT_NOFILE by the main thread. */
  readonly maxConnections: number;
  /** At startup: bind only on dunlin:listen, once every zone is loaded (the thread starts while they load). */
  readonly deferListen: boolean;
  /** DUNLIN_TEST_HOOKS=1: the thread obeys dunlin:crash (tests of the restart path only). */
  readonly testHooks: boolean;
}

/** Serving thread -> main thread. */
export type WorkerMessage =
  | { readonly cmd: 'dunlin:ready'; readonly listeners: readonly BoundListener[] }
  | { readonly cmd: 'dunlin:failed'; readonly error: string }
  | { readonly cmd: 'dunlin:report'; readonly id: number; readonly report: WorkerReport }
  /** The zone set of publication `id` is the one this thread answers from now. */
  | { readonly cmd: 'dunlin:zones-applied'; readonly id: number }
  /** A NOTIFY for a secondary zone was accepted (ACL and TSIG checked): the main thread checks the primaries' SOA now. */
  | { readonly cmd: 'dunlin:notify'; readonly zone: string; readonly serial: number | null; readonly peer: string }
  /** IXFR out: the changesets of `zone` (lowercase, trailing dot) from `serial` to its newest version. */
  | { readonly cmd: 'dunlin:ixfr-request'; readonly id: number; readonly zone: string; readonly serial: number }
  | { readonly cmd: 'dunlin:stopped' };

/** Main thread -> serving thread. */
export type MainMessage =
  | { readonly cmd: 'dunlin:report'; readonly id: number }
  /** A new complete set of zone versions; the thread swaps its ZoneSet between two queries. */
  | { readonly cmd: 'dunlin:zones'; readonly id: number; readonly images: readonly ZoneImage[]; readonly unserved: readonly string[] }
  /** Every zone is loaded: bind and start answering. */
  | { readonly cmd: 'dunlin:listen' }
  /** A re-read configuration changed log.level. */
  | { readonly cmd: 'dunlin:log-level'; readonly level: string }
  /** Reply to dunlin:ixfr-request: null when the serial is not in the history. */
  | { readonly cmd: 'dunlin:ixfr-reply'; readonly id: number; readonly zone: string; readonly changesets: readonly WireChangeset[] | null }
  | { readonly cmd: 'dunlin:shutdown' }
  | { readonly cmd: 'dunlin:destroy' }
  | { readonly cmd: 'dunlin:crash' };

/** Main thread -> loader thread: parse, check and build one zone unless its files are unchanged. */
export interface LoadJob {
  readonly id: number;
  readonly zone: string;
  readonly file: string;
  /** Fingerprint of the version served now; equal files are answered `unchanged` without parsing. */
  readonly fingerprint: string | null;
  /** A reload while serving: the loader gives way to the serving threads (startup loads run at full priority). */
  readonly background: boolean;
  /** The version served now: after building, the loader sends the changeset from it to the new one. */
  readonly previous: ZoneImage | null;
  /** A received zone transfer: built from these messages instead of parsing `file`, then written to `file` (temp, fsync, rename). */
  readonly transfer?: TransferData;
}


/** A record as plain data that crosses threads (a Name does not survive structured cloning). */
export interface WireRecord {
  readonly owner: Uint8Array;
  readonly type: number;
  readonly class: number;
  readonly ttl: number;
  readonly rdata: Uint8Array;
}

/** A changeset (store's Changeset) as plain data: every record as a WireRecord, the origin left out (the receiver knows it). */
export type WireChangeset = {
  readonly [K in Exclude<keyof Changeset, 'origin'>]: Changeset[K] extends ResourceRecord | null ? WireRecord | null
    : Changeset[K] extends readonly ResourceRecord[] ? readonly WireRecord[] : Changeset[K];
};

/** Loader thread -> main thread, after a `built` reply that had a previous version. */
export interface ChangesReply {
  readonly id: number;
  readonly status: 'changes';
  /** Null when it was too large to keep (the history then starts over). */
  readonly changeset: WireChangeset | null;
}

/** Loader thread -> main thread. Problems are already formatted as file:line:col: severity: message. */
export type LoadReply =
  | { readonly id: number; readonly status: 'built'; readonly fingerprint: string; readonly image: ZoneImage; readonly serial: number; readonly records: number; readonly ms: number; readonly warnings: readonly string[] }
  | { readonly id: number; readonly status: 'unchanged'; readonly fingerprint: string }
  | { readonly id: number; readonly status: 'failed'; readonly fingerprint: string | null; readonly errors: readonly string[]; readonly errorCount: number; readonly warnings: readonly string[] };

function hasCmd(m: unknown): m is { cmd: string } {
  return typeof m === 'object' && m !== null && typeof (m as { cmd?: unknown }).cmd === 'string';
}

export function isWorkerMessage(m: unknown): m is WorkerMessage {
  return hasCmd(m) && (m.cmd === 'dunlin:ready' || m.cmd === 'dunlin:failed' || m.cmd === 'dunlin:report' || m.cmd === 'dunlin:zones-applied' || m.cmd === 'dunlin:notify' || m.cmd === 'dunlin:ixfr-request' || m.cmd === 'dunlin:stopped');
}

export function isMainMessage(m: unknown): m is MainMessage {
  return hasCmd(m) && ['dunlin:report', 'dunlin:zones', 'dunlin:listen', 'dunlin:log-level', 'dunlin:ixfr-reply', 'dunlin:shutdown', 'dunlin:destroy', 'dunlin:crash'].includes(m.cmd);
}

/** A thread entry next to this file: `.ts` when running from src/, `.js` from the compiled dist/. */
export function siblingModule(base: string, name: string): URL {
  return new URL(`./${name}${base.endsWith('.ts') ? '.ts' : '.js'}`, base);
}

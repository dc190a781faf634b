// Owns the control channel's wire protocol: newline-delimited JSON requests and responses, and result shapes.
import { formatHostPort } from '../wire/bytes.ts';
import type { CloseReason, ConnectionSnapshot, ConnState } from '../transport/registry-types.ts';
import type { FdKind, StateCounts } from './procfs.ts';
import type { WorkerThreadInfo, ZoneResult } from './types.ts';

/** Largest request line the server accepts; larger input gets `too-large` and the connection is closed. */
export const MAX_REQUEST_BYTES = 64 * 1024;
/** Largest response line the client accepts (a sockstat of many thousand connections is a few MB). */
export const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

export const COMMANDS = ['sockstat', 'reload', 'status', 'zones', 'crash-worker'] as const;
export type Command = (typeof COMMANDS)[number];

export interface ControlRequest {
  readonly key: string;
  readonly command: Command;
  readonly args?: ControlArgs;
}

/** Arguments a request may carry: `limit` (sockstat), `worker` (crash-worker), `zone` (reload). */
export interface ControlArgs {
  readonly limit?: number;
  readonly worker?: number;
  readonly zone?: string;
}

export const ERROR_CODES = ['bad-request', 'too-large', 'unauthorized', 'unknown-command', 'unknown-zone', 'busy', 'internal'] as const;
export type ControlErrorCode = (typeof ERROR_CODES)[number];

export type ControlResponse =
  | { readonly ok: true; readonly result: unknown }
  | { readonly ok: false; readonly error: { readonly code: ControlErrorCode; readonly message: string } };

export interface StatusResult {
  /** The server's package version. */
  readonly version: string;
  /** Configured zones; `loaded` have a version served, `failed` have none or their last load failed. */
  readonly zones: { readonly configured: number; readonly loaded: number; readonly failed: number };
  /** The server process. */
  readonly primary: number;
  /** Other processes sockstat inspects (none: serving threads live in the server process). */
  readonly workers: readonly number[];
  /** The serving threads running now. */
  readonly threads: readonly WorkerThreadInfo[];
  readonly startedAt: string;
  readonly uptimeMs: number;
}

export interface ReloadResult {
  readonly summary: readonly string[];
  readonly results: readonly ZoneResult[];
}

/** One process as the kernel sees it (the primary or a worker). */
export interface ProcessReport {
  readonly pid: number;
  readonly role: 'primary' | 'worker';
  /** 0 for the primary, else the 1-based worker index (null when the worker sent no report). */
  readonly worker: number | null;
  readonly alive: boolean;
  readonly fds: number;
  readonly fdKinds: Readonly<Record<FdKind, number>> | null;
  readonly fdLimitSoft: number | null; // null = unlimited or unknown
  readonly fdLimitHard: number | null;
  readonly fdPercent: number | null;
  readonly rssBytes: number | null;
  /** Kernel TCP states of the sockets this process holds an fd for. */
  readonly tcpStates: StateCounts;
  readonly listening: readonly string[];
  /** TCP connection sockets (not LISTEN) this process holds. */
  readonly kernelConnections: number;
  /** Of those, how many have a peer no worker registry lists: fds no code path tracks (or a race at the sample instant). */
  readonly untracked: number;
}

/** A socket the kernel has kept in CLOSE_WAIT (peer closed, we did not) longer than `leakAfterMs`. */
export interface LeakFlag {
  readonly pid: number;
  readonly inode: number;
  readonly local: string;
  readonly peer: string;
  readonly firstSeen: string;
  readonly ageMs: number;
  /** The worker registry's state for this peer, or null if the registry no longer knows it (a true orphan fd). */
  readonly registryState: ConnState | null;
}

export interface WorkerView {
  readonly pid: number;
  readonly threadId: number;
  readonly worker: number;
  readonly openTotal: number;
  readonly byState: Partial<Record<ConnState, number>>;
  /** Oldest first, at most `limit` of them. */
  readonly connections: readonly ConnectionSnapshot[];
  readonly accepted: number;
  readonly closedByReason: Readonly<Record<CloseReason, number>>;
  readonly udpQueries: number;
  readonly tcpQueries: number;
  readonly udpIo: 'batched' | 'dgram';
  /** TCP connection sockets (not LISTEN) of this process that the kernel shows and this worker's registry lists. */
  readonly kernelConnections: number;
}

export interface SockstatResult {
  readonly time: string;
  readonly uptimeMs: number;
  readonly leakAfterMs: number;
  readonly processes: readonly ProcessReport[];
  readonly workers: readonly WorkerView[];
  /** Indexes of serving threads that did not answer the report request in time. */
  readonly silentWorkers: readonly number[];
  /** Sockets on our listening ports that no process holds any more (TIME_WAIT, FIN_WAIT2 after our close). */
  readonly orphans: StateCounts;
  readonly leaks: readonly LeakFlag[];
}

/** Formats an address the way the transport registry does: `a.b.c.d:port` or `[v6]:port` (one formatter for both). */
export const formatPeer: (addr: string, port: number) => string = formatHostPort;

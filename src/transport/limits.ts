// Owns TCP/UDP transport limits: the defaults in one object, and their validation.

export type OnLimit = 'close-idlest' | 'refuse';
export const ON_LIMIT_POLICIES: readonly OnLimit[] = ['close-idlest', 'refuse'];

export interface TcpLimits {
  /** Close a connection with no frame in progress after this long without a query (RFC 7766 §6.2.3). */
  readonly idleTimeoutMs: number;
  /** Close a connection whose frame started but did not complete within this long, or whose answers cannot be written. */
  readonly readTimeoutMs: number;
  /** Concurrent connections this transport (one worker) keeps open. */
  readonly maxConnections: number;
  /** Queries answered on one connection before it is closed gracefully. */
  readonly maxQueriesPerConnection: number;
  /** What to do with a new connection when maxConnections are open. */
  readonly onLimit: OnLimit;
  /** Stop reading from a connection while more than this many response bytes wait to be written. */
  readonly writeBufferBytes: number;
  /** How long a graceful close waits for frames in progress and unwritten answers before destroying. */
  readonly shutdownTimeoutMs: number;
  /**
   * An asynchronous answer (NOTIFY, UPDATE, ...) not ready after this long is answered SERVFAIL and
   * its work aborted; a stream (AXFR/IXFR) whose next message takes longer ends the connection.
   */
  readonly answerTimeoutMs: number;
  /** Asynchronous answers in progress on one connection; at the bound, the connection stops reading until one completes. */
  readonly maxAnswersInFlight: number;
}

// Finite defaults, like Knot (tcp-idle-timeout 10 s, tcp-max-clients finite) and NSD (tcp-count 100);
// never CoreDNS's unlimited MaxTCPQueries = -1.
export const TCP_DEFAULTS: TcpLimits = Object.freeze({
  idleTimeoutMs: 10_000,
  readTimeoutMs: 5_000,
  maxConnections: 1_000,
  maxQueriesPerConnection: 1_000_000,
  onLimit: 'close-idlest',
  writeBufferBytes: 256 * 1024,
  shutdownTimeoutMs: 5_000,
  answerTimeoutMs: 5_000,
  maxAnswersInFlight: 32,
});

/** Asynchronous answers in progress on one UDP socket; beyond it, a new one is aborted and its query dropped. */
export const UDP_MAX_ANSWERS_IN_FLIGHT = 1_000;

/** Like NSD (server.c): above half of maxConnections, idle connections get at most this long. */
export const BUSY_IDLE_TIMEOUT_MS = 1_000;

/** Socket buffer size requested for UDP sockets (SO_RCVBUF/SO_SNDBUF), halved until the kernel accepts it. */
export const UDP_SOCKET_BUFFER_BYTES = 4 * 1024 * 1024;

/** After EMFILE/ENFILE on accept, stop accepting for this long (NSD "slowaccept"). */
export const SLOW_ACCEPT_MS = 500;

export class LimitError extends Error {
  readonly code = 'DUNLIN_ERR_INVALID_LIMIT';
}

function checkInt(name: string, v: number, min: number, max: number): void {
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new LimitError(`${name}: expected an integer ${min}..${max}, got ${String(v)}`);
  }
}

/** Merges `partial` over the defaults and validates every field; throws LimitError naming the field. */
export function resolveTcpLimits(partial: Partial<TcpLimits> = {}): TcpLimits {
  const l: TcpLimits = { ...TCP_DEFAULTS, ...partial };
  checkInt('idleTimeoutMs', l.idleTimeoutMs, 1, 3_600_000);
  checkInt('readTimeoutMs', l.readTimeoutMs, 1, 3_600_000);
  checkInt('maxConnections', l.maxConnections, 1, 1_000_000);
  checkInt('maxQueriesPerConnection', l.maxQueriesPerConnection, 1, 1_000_000_000);
  checkInt('writeBufferBytes', l.writeBufferBytes, 1024, 64 * 1024 * 1024);
  checkInt('shutdownTimeoutMs', l.shutdownTimeoutMs, 0, 600_000);
  checkInt('answerTimeoutMs', l.answerTimeoutMs, 1, 600_000);
  checkInt('maxAnswersInFlight', l.maxAnswersInFlight, 1, 65_535);
  if (!ON_LIMIT_POLICIES.includes(l.onLimit)) {
    throw new LimitError(`onLimit: expected one of ${ON_LIMIT_POLICIES.join(', ')}, got ${l.onLimit}`);
  }
  return Object.freeze(l);
}

// Owns the shapes the connection registry reports to sockstat, metrics and tests.

/** Lifecycle states of a TCP connection (RFC 7766 framing), in one closed set. */
export type ConnState = 'reading-length' | 'reading-message' | 'answering' | 'writing' | 'half-closed' | 'closing';

/** Why a connection was closed, from one closed set; each reason is counted. */
export type CloseReason = 'eof' | 'idle-timeout' | 'read-timeout' | 'limit' | 'error' | 'reset' | 'shutdown';

export const CLOSE_REASONS: readonly CloseReason[] = ['eof', 'idle-timeout', 'read-timeout', 'limit', 'error', 'reset', 'shutdown'];

export interface ConnectionSnapshot {
  readonly id: number;
  readonly transport: 'tcp';
  readonly state: ConnState;
  readonly peer: string; // "addr:port" or "[v6]:port"
  readonly local: string;
  readonly ageMs: number;
  readonly idleMs: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly queries: number;
}

export interface RegistrySnapshot {
  readonly open: readonly ConnectionSnapshot[];
  readonly accepted: number;
  readonly closedByReason: Readonly<Record<CloseReason, number>>;
}

// Owns the names and shapes of the diagnostics channels the secondary side publishes for metrics (src/metrics subscribes).

/** Published by the main thread after each inbound zone transfer (secondary zones), applied or failed. */
export const XFR_IN_CHANNEL = 'dunlin:xfr-in';
export interface XfrInEvent {
  readonly zone: string;
  readonly kind: 'axfr' | 'ixfr';
  readonly result: 'ok' | 'failed';
  readonly durationMs: number;
  /** Records of the new version (ok), or received (failed). */
  readonly records: number;
  /** Octets received over TCP, length prefixes included. */
  readonly bytes: number;
}

/** Published by the main thread for each NOTIFY a worker accepted for a secondary zone. */
export const NOTIFY_IN_CHANNEL = 'dunlin:notify-in';
export interface NotifyInEvent {
  readonly zone: string;
}


// Owns the diagnostics channels of the primary side (names and event shapes): transfers out, NOTIFY out, TSIG failures; metrics subscribe to them.

/** Published once per transfer answer. */
export const XFR_OUT_CHANNEL = 'dunlin:xfr-out';
export interface XfrOutEvent {
  readonly zone: string;
  /** What was asked. */
  readonly kind: 'axfr' | 'ixfr';
  /** What was sent: a full zone, an incremental answer, the SOA alone, or a refusal/error. */
  readonly form: 'axfr' | 'ixfr' | 'soa' | 'none';
  readonly result: 'ok' | 'refused' | 'notauth' | 'formerr' | 'servfail' | 'tsig' | 'limit' | 'aborted';
  readonly transport: 'udp' | 'tcp';
  readonly messages: number;
  readonly records: number;
  readonly bytes: number;
  readonly ms: number;
}

/** Published once per NOTIFY exchange that ended. */
export const NOTIFY_OUT_CHANNEL = 'dunlin:notify-out';
export interface NotifyOutEvent {
  readonly zone: string;
  readonly remote: string;
  /** ok: NOERROR answer; error: another rcode or a bad signature; timeout: no answer after every retry; cancelled: a newer serial replaced it. */
  readonly result: 'ok' | 'error' | 'timeout' | 'cancelled';
  readonly attempts: number;
}

/** Published for each request whose TSIG failed verification (RFC 8945 §5.2). */
export const TSIG_FAILURE_CHANNEL = 'dunlin:tsig-failure';
export interface TsigFailureEvent {
  /** BADSIG, BADKEY, BADTIME, or FORMERR for a malformed TSIG record. */
  readonly error: string;
}

function isObj(m: unknown): m is Record<string, unknown> {
  return typeof m === 'object' && m !== null;
}

export function isXfrOutEvent(m: unknown): m is XfrOutEvent {
  return isObj(m) && typeof m['kind'] === 'string' && typeof m['form'] === 'string' && typeof m['result'] === 'string' && typeof m['bytes'] === 'number';
}

export function isNotifyOutEvent(m: unknown): m is NotifyOutEvent {
  return isObj(m) && typeof m['remote'] === 'string' && typeof m['result'] === 'string';
}

export function isTsigFailureEvent(m: unknown): m is TsigFailureEvent {
  return isObj(m) && typeof m['error'] === 'string';
}

// Owns the names and message shapes of the diagnostics channels that feed metrics (publishers import these).

/** Published by the responder path once per answered query. */
export const QUERY_CHANNEL = 'dunlin:query';
export interface QueryEvent {
  readonly transport: 'udp' | 'tcp';
  readonly rcode: number;
  readonly qtype: number;
  /** Response size in bytes. */
  readonly size: number;
}

/** Published by the server after each zone (re)load. */
export const ZONE_CHANNEL = 'dunlin:zone';
export interface ZoneEvent {
  readonly zone: string;
  readonly serial: number;
  readonly records: number;
  /** Load time in milliseconds. */
  readonly ms: number;
}

export function isQueryEvent(m: unknown): m is QueryEvent {
  if (typeof m !== 'object' || m === null) return false;
  const e = m as Record<string, unknown>;
  return (e['transport'] === 'udp' || e['transport'] === 'tcp') && typeof e['rcode'] === 'number'
    && typeof e['qtype'] === 'number' && typeof e['size'] === 'number';
}

export function isZoneEvent(m: unknown): m is ZoneEvent {
  if (typeof m !== 'object' || m === null) return false;
  const e = m as Record<string, unknown>;
  return typeof e['zone'] === 'string' && typeof e['serial'] === 'number' && typeof e['records'] === 'number'
    && typeof e['ms'] === 'number';
}

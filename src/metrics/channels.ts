// Owns the names and message shapes of the diagnostics channels that feed metrics (publishers import these), and the last zone state.
import { subscribe } from 'node:diagnostics_channel';

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

/**
 * Last event per zone, recorded from the moment any publisher imports this module. Zone serials are
 * state, not events: a metrics registry created after the zones loaded still starts with their values.
 * Bounded by the number of configured zones.
 */
export const lastZoneEvents = new Map<string, ZoneEvent>();
subscribe(ZONE_CHANNEL, (m) => {
  if (isZoneEvent(m)) lastZoneEvents.set(m.zone, m);
});

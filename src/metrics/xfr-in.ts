// Owns the secondary-side transfer metrics of the main thread: inbound transfers by kind and result, their durations and bytes, and NOTIFY received, fed by the xfr diagnostics channels.
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { Counter, Histogram, type Registry } from 'prom-client';
import { NOTIFY_IN_CHANNEL, XFR_IN_CHANNEL } from '../xfr/secondary-events.ts';
import type { NotifyInEvent, XfrInEvent } from '../xfr/secondary-events.ts';
import { METRICS } from './names.ts';

function isXfrIn(m: unknown): m is XfrInEvent {
  if (typeof m !== 'object' || m === null) return false;
  const e = m as Record<string, unknown>;
  return typeof e['zone'] === 'string' && (e['kind'] === 'axfr' || e['kind'] === 'ixfr') && (e['result'] === 'ok' || e['result'] === 'failed')
    && typeof e['durationMs'] === 'number' && typeof e['bytes'] === 'number';
}

function isNotifyIn(m: unknown): m is NotifyInEvent {
  return typeof m === 'object' && m !== null && typeof (m as Record<string, unknown>)['zone'] === 'string';
}

/** Registers the inbound transfer metrics on `registry`; returns the function that unsubscribes them. */
export function registerXfrInMetrics(registry: Registry): () => void {
  const transfers = new Counter({ ...METRICS.xfrIn, labelNames: ['zone', 'kind', 'result'] as const, registers: [registry] });
  const durations = new Histogram({ ...METRICS.xfrInDuration, labelNames: ['kind'] as const, buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300], registers: [registry] });
  const bytes = new Counter({ ...METRICS.xfrInBytes, labelNames: ['zone', 'kind'] as const, registers: [registry] });
  const notifies = new Counter({ ...METRICS.notifyIn, labelNames: ['zone'] as const, registers: [registry] });
  const onXfr = (m: unknown): void => {
    if (!isXfrIn(m)) return;
    transfers.inc({ zone: m.zone, kind: m.kind, result: m.result });
    durations.observe({ kind: m.kind }, m.durationMs / 1000);
    bytes.inc({ zone: m.zone, kind: m.kind }, m.bytes);
  };
  const onNotify = (m: unknown): void => {
    if (isNotifyIn(m)) notifies.inc({ zone: m.zone });
  };
  subscribe(XFR_IN_CHANNEL, onXfr);
  subscribe(NOTIFY_IN_CHANNEL, onNotify);
  return () => {
    unsubscribe(XFR_IN_CHANNEL, onXfr);
    unsubscribe(NOTIFY_IN_CHANNEL, onNotify);
  };
}

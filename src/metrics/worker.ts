// Owns the per-worker metrics registry: query/zone counters fed by diagnostics channels, registry gauges, IPC to the primary.
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { CLOSE_REASONS, type CloseReason, type RegistrySnapshot } from '../transport/registry-types.ts';
import { Rcode, typeToText } from '../wire/constants.ts';
import { QUERY_CHANNEL, ZONE_CHANNEL, isQueryEvent, isZoneEvent, lastZoneEvents } from './channels.ts';
import { METRICS } from './names.ts';

export const METRICS_REQUEST = 'dunlin:metrics:req';
export const METRICS_RESPONSE = 'dunlin:metrics:res';

const rcodeNames = new Map<number, string>(Object.entries(Rcode).map(([k, v]) => [v, k]));

/** Label for a query type; unknown numbers collapse to "other" so a client cannot create unbounded series. */
export function qtypeLabel(qtype: number): string {
  const t = typeToText(qtype);
  return t.startsWith('TYPE') ? 'other' : t;
}

export function rcodeLabel(rcode: number): string {
  return rcodeNames.get(rcode) ?? 'other';
}

let registrySource: (() => RegistrySnapshot) | undefined;

/** The transport calls this once per worker so collect() can read the live connection registry. */
export function setRegistrySource(fn: (() => RegistrySnapshot) | undefined): void {
  registrySource = fn;
}

/** Builds a registry with every worker metric; exported for tests that drive it without a cluster. */
export function createWorkerRegistry(): { registry: Registry; dispose: () => void } {
  const registry = new Registry();
  const queries = new Counter({ ...METRICS.queries, labelNames: ['transport', 'rcode', 'qtype'] as const, registers: [registry] });
  const sizes = new Histogram({
    ...METRICS.responseSize, labelNames: ['transport'] as const, registers: [registry],
    // 512: classic UDP limit (RFC 1035 §4.2.1); 1232: DNS flag day 2020 EDNS size; 65535: TCP maximum.
    buckets: [64, 128, 256, 512, 1024, 1232, 1500, 4096, 16384, 65535],
  });
  let lastAccepted = 0;
  const lastClosed: Record<CloseReason, number> = { eof: 0, 'idle-timeout': 0, 'read-timeout': 0, limit: 0, error: 0, reset: 0, shutdown: 0 };
  new Gauge({
    ...METRICS.tcpOpen, registers: [registry],
    collect() { this.set(registrySource?.().open.length ?? 0); },
  });
  new Gauge({
    ...METRICS.tcpOldest, registers: [registry], aggregator: 'max',
    collect() {
      let oldest = 0;
      for (const c of registrySource?.().open ?? []) oldest = Math.max(oldest, c.ageMs);
      this.set(oldest / 1000);
    },
  });
  // The registry keeps monotonic totals for the worker's life; the counters advance by the difference.
  new Counter({
    ...METRICS.tcpAccepted, registers: [registry],
    collect() {
      const s = registrySource?.();
      if (!s) return;
      if (s.accepted > lastAccepted) this.inc(s.accepted - lastAccepted);
      lastAccepted = s.accepted;
    },
  });
  const closed = new Counter({
    ...METRICS.tcpClosed, labelNames: ['reason'] as const, registers: [registry],
    collect() {
      const s = registrySource?.();
      for (const r of CLOSE_REASONS) {
        const now = s?.closedByReason[r] ?? lastClosed[r];
        if (now > lastClosed[r]) this.inc({ reason: r }, now - lastClosed[r]);
        lastClosed[r] = now;
      }
    },
  });
  for (const r of CLOSE_REASONS) closed.inc({ reason: r }, 0);
  // Every process loads the same zones; 'max' keeps one value per zone instead of a sum.
  const serial = new Gauge({ ...METRICS.zoneSerial, labelNames: ['zone'] as const, registers: [registry], aggregator: 'max' });
  const records = new Gauge({ ...METRICS.zoneRecords, labelNames: ['zone'] as const, registers: [registry], aggregator: 'max' });
  const load = new Gauge({ ...METRICS.zoneLoad, labelNames: ['zone'] as const, registers: [registry], aggregator: 'max' });

  const onQuery = (m: unknown): void => {
    if (!isQueryEvent(m)) return;
    queries.inc({ transport: m.transport, rcode: rcodeLabel(m.rcode), qtype: qtypeLabel(m.qtype) });
    sizes.observe({ transport: m.transport }, m.size);
  };
  const onZone = (m: unknown): void => {
    if (!isZoneEvent(m)) return;
    serial.set({ zone: m.zone }, m.serial);
    records.set({ zone: m.zone }, m.records);
    load.set({ zone: m.zone }, m.ms / 1000);
  };
  for (const ev of lastZoneEvents.values()) onZone(ev);
  subscribe(QUERY_CHANNEL, onQuery);
  subscribe(ZONE_CHANNEL, onZone);
  return {
    registry,
    dispose: (): void => {
      unsubscribe(QUERY_CHANNEL, onQuery);
      unsubscribe(ZONE_CHANNEL, onZone);
      registry.clear();
    },
  };
}

let installed: { dispose(): void; onMessage: (m: unknown) => void } | undefined;

/**
 * In a cluster worker: start counting, and answer the primary's scrape requests over the IPC channel
 * with this worker's metrics as JSON (aggregated in the primary with prom-client's AggregatorRegistry).
 */
export function installWorkerMetrics(): void {
  if (installed) return;
  const { registry, dispose } = createWorkerRegistry();
  const onMessage = (m: unknown): void => {
    if (typeof m !== 'object' || m === null || (m as { type?: unknown }).type !== METRICS_REQUEST) return;
    const id = (m as { id?: unknown }).id;
    registry.getMetricsAsJSON().then(
      (metrics) => process.send?.({ type: METRICS_RESPONSE, id, metrics }),
      (err: unknown) => process.send?.({ type: METRICS_RESPONSE, id, error: String(err) }),
    );
  };
  process.on('message', onMessage);
  installed = { dispose, onMessage };
}

/** Undo installWorkerMetrics (stops listening on the IPC channel so it does not hold a worker open). */
export function uninstallWorkerMetrics(): void {
  if (!installed) return;
  process.off('message', installed.onMessage);
  installed.dispose();
  installed = undefined;
}

// Owns the per-thread metrics registry: query/zone counters fed by diagnostics channels, registry gauges, the MessagePort exchange with the main thread.
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Metric } from 'prom-client';
import { CLOSE_REASONS, type CloseReason, type RegistrySnapshot } from '../transport/registry-types.ts';
import { Rcode, typeToText } from '../wire/constants.ts';
import { QUERY_CHANNEL, ZONE_CHANNEL, isQueryEvent, isZoneEvent, lastZoneEvents } from './channels.ts';
import { METRICS } from './names.ts';
import { NOTIFY_OUT_CHANNEL, TSIG_FAILURE_CHANNEL, XFR_OUT_CHANNEL, isNotifyOutEvent, isTsigFailureEvent, isXfrOutEvent } from '../xfr/events.ts';

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

// 512: classic UDP limit (RFC 1035 §4.2.1); 1232: DNS flag day 2020 EDNS size; 65535: TCP maximum.
const SIZE_BUCKETS = [64, 128, 256, 512, 1024, 1232, 1500, 4096, 16384, 65535] as const;
const TRANSPORTS = ['udp', 'tcp'] as const;

/** Raw rcode/qtype pairs below these bounds are counted in a flat array; the rest (rare) in a Map. */
const FAST_RCODES = 32;
const FAST_QTYPES = 256;

/**
 * Per-query counting with no prom-client call on the query path: plain typed arrays indexed by
 * transport, raw rcode and raw qtype, turned into labelled series only when scraped.
 */
class QueryCounts {
  readonly fast = new Float64Array(2 * FAST_RCODES * FAST_QTYPES);
  /** Key: transport * 2^28 + rcode * 2^16 + qtype (rcode ≤ 4095 after clamping). */
  readonly slow = new Map<number, number>();
  /** Per transport: one count per bucket plus +Inf, then sum and count. */
  readonly sizes = new Float64Array(2 * (SIZE_BUCKETS.length + 3));

  add(t: number, rcode: number, qtype: number, size: number): void {
    if (rcode >= 0 && rcode < FAST_RCODES && qtype >= 0 && qtype < FAST_QTYPES) {
      this.fast[(t * FAST_RCODES + rcode) * FAST_QTYPES + qtype]!++;
    } else {
      const r = rcode >= 0 && rcode <= 0xfff ? rcode : 0xfff;
      const k = t * 0x10000000 + r * 0x10000 + (qtype & 0xffff);
      this.slow.set(k, (this.slow.get(k) ?? 0) + 1);
    }
    const base = t * (SIZE_BUCKETS.length + 3);
    let b = 0;
    while (b < SIZE_BUCKETS.length && size > SIZE_BUCKETS[b]!) b++;
    this.sizes[base + b]!++;
    this.sizes[base + SIZE_BUCKETS.length + 1]! += size;
    this.sizes[base + SIZE_BUCKETS.length + 2]!++;
  }

  /** Totals per label set (transport, rcode label, qtype label); unknown values collapse to "other". */
  totals(): Map<string, { labels: { transport: string; rcode: string; qtype: string }; n: number }> {
    const out = new Map<string, { labels: { transport: string; rcode: string; qtype: string }; n: number }>();
    const add = (t: number, rcode: number, qtype: number, n: number): void => {
      const labels = { transport: TRANSPORTS[t]!, rcode: rcodeLabel(rcode), qtype: qtypeLabel(qtype) };
      const key = `${labels.transport}|${labels.rcode}|${labels.qtype}`;
      const e = out.get(key);
      if (e) e.n += n;
      else out.set(key, { labels, n });
    };
    const f = this.fast;
    for (let i = 0; i < f.length; i++) {
      const n = f[i]!;
      if (n === 0) continue;
      add(Math.floor(i / (FAST_RCODES * FAST_QTYPES)), Math.floor(i / FAST_QTYPES) % FAST_RCODES, i % FAST_QTYPES, n);
    }
    for (const [k, n] of this.slow) add(Math.floor(k / 0x10000000), Math.floor(k / 0x10000) % 0x1000, k % 0x10000, n);
    return out;
  }
}

/**
 * The response size histogram as a prom-client metric object: get() returns what prom-client's
 * Histogram.get() returns (so the primary's AggregatorRegistry merges it), read from QueryCounts.
 */
function sizeHistogram(counts: QueryCounts): Metric {
  const { name, help } = METRICS.responseSize;
  const nb = SIZE_BUCKETS.length;
  const values = (): { labels: Record<string, string | number>; value: number; metricName: string }[] => {
    const v: { labels: Record<string, string | number>; value: number; metricName: string }[] = [];
    for (let t = 0; t < 2; t++) {
      const base = t * (nb + 3);
      const count = counts.sizes[base + nb + 2]!;
      if (count === 0) continue;
      const transport = TRANSPORTS[t]!;
      let acc = 0;
      for (let b = 0; b < nb; b++) {
        acc += counts.sizes[base + b]!;
        v.push({ labels: { le: SIZE_BUCKETS[b]!, transport }, value: acc, metricName: `${name}_bucket` });
      }
      v.push({ labels: { le: '+Inf', transport }, value: count, metricName: `${name}_bucket` });
      v.push({ labels: { transport }, value: counts.sizes[base + nb + 1]!, metricName: `${name}_sum` });
      v.push({ labels: { transport }, value: count, metricName: `${name}_count` });
    }
    return v;
  };
  const metric = {
    name, help, type: 'histogram', aggregator: 'sum',
    get: () => Promise.resolve({ name, help, type: 'histogram', values: values(), aggregator: 'sum' }),
    reset: () => counts.sizes.fill(0),
  };
  return metric as unknown as Metric;
}

/** Builds a registry with every worker metric; exported for tests that drive it without worker threads. */
export function createWorkerRegistry(): { registry: Registry; dispose: () => void } {
  const registry = new Registry();
  const counts = new QueryCounts();
  new Counter({
    ...METRICS.queries, labelNames: ['transport', 'rcode', 'qtype'] as const, registers: [registry],
    collect() {
      this.reset();
      for (const { labels, n } of counts.totals().values()) this.inc(labels, n);
    },
  });
  registry.registerMetric(sizeHistogram(counts));
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
  // Zones are published by the main thread only; 'max' keeps one value per zone however many registries report it.
  const serial = new Gauge({ ...METRICS.zoneSerial, labelNames: ['zone'] as const, registers: [registry], aggregator: 'max' });
  const records = new Gauge({ ...METRICS.zoneRecords, labelNames: ['zone'] as const, registers: [registry], aggregator: 'max' });
  const load = new Gauge({ ...METRICS.zoneLoad, labelNames: ['zone'] as const, registers: [registry], aggregator: 'max' });

  const onQuery = (m: unknown): void => {
    if (!isQueryEvent(m)) return;
    counts.add(m.transport === 'udp' ? 0 : 1, m.rcode, m.qtype, m.size);
  };
  const onZone = (m: unknown): void => {
    if (!isZoneEvent(m)) return;
    serial.set({ zone: m.zone }, m.serial);
    records.set({ zone: m.zone }, m.records);
    load.set({ zone: m.zone }, m.ms / 1000);
  };
  // Primary side: labels come from fixed sets (kind, form, result, error), never from a client's bytes.
  const xfrOut = new Counter({ ...METRICS.xfrOut, labelNames: ['kind', 'form', 'result'] as const, registers: [registry] });
  const xfrBytes = new Counter({ ...METRICS.xfrOutBytes, labelNames: ['kind'] as const, registers: [registry] });
  const xfrDuration = new Histogram({ ...METRICS.xfrOutDuration, labelNames: ['kind'] as const, buckets: [0.01, 0.1, 0.5, 1, 5, 15, 60, 300], registers: [registry] });
  const notifySent = new Counter({ ...METRICS.notifySent, labelNames: ['result'] as const, registers: [registry] });
  const tsigFailures = new Counter({ ...METRICS.tsigFailures, labelNames: ['error'] as const, registers: [registry] });
  const onXfrOut = (m: unknown): void => {
    if (!isXfrOutEvent(m)) return;
    xfrOut.inc({ kind: m.kind, form: m.form, result: m.result });
    xfrBytes.inc({ kind: m.kind }, m.bytes);
    if (m.result === 'ok') xfrDuration.observe({ kind: m.kind }, m.ms / 1000);
  };
  const onNotifyOut = (m: unknown): void => {
    if (isNotifyOutEvent(m)) notifySent.inc({ result: m.result });
  };
  const onTsigFailure = (m: unknown): void => {
    if (isTsigFailureEvent(m)) tsigFailures.inc({ error: m.error });
  };

  for (const ev of lastZoneEvents.values()) onZone(ev);
  subscribe(QUERY_CHANNEL, onQuery);
  subscribe(ZONE_CHANNEL, onZone);
  subscribe(XFR_OUT_CHANNEL, onXfrOut);
  subscribe(NOTIFY_OUT_CHANNEL, onNotifyOut);
  subscribe(TSIG_FAILURE_CHANNEL, onTsigFailure);
  return {
    registry,
    dispose: (): void => {
      unsubscribe(QUERY_CHANNEL, onQuery);
      unsubscribe(ZONE_CHANNEL, onZone);
      unsubscribe(XFR_OUT_CHANNEL, onXfrOut);
      unsubscribe(NOTIFY_OUT_CHANNEL, onNotifyOut);
      unsubscribe(TSIG_FAILURE_CHANNEL, onTsigFailure);
      registry.clear();
    },
  };
}

/** The two ends a metrics exchange needs: a serving thread's parentPort, or the main thread's Worker. */
export interface MetricsPort {
  postMessage(m: unknown): void;
  on(ev: 'message', fn: (m: unknown) => void): unknown;
  off(ev: 'message', fn: (m: unknown) => void): unknown;
}

let installed: { dispose(): void; onMessage: (m: unknown) => void; port: MetricsPort } | undefined;

/**
 * In a serving thread: start counting, and answer the main thread's scrape requests on `port` with
 * this thread's metrics as JSON (aggregated in the main thread with prom-client's AggregatorRegistry).
 */
export function installWorkerMetrics(port: MetricsPort): void {
  if (installed) return;
  const { registry, dispose } = createWorkerRegistry();
  const onMessage = (m: unknown): void => {
    if (typeof m !== 'object' || m === null || (m as { type?: unknown }).type !== METRICS_REQUEST) return;
    const id = (m as { id?: unknown }).id;
    registry.getMetricsAsJSON().then(
      (metrics) => port.postMessage({ type: METRICS_RESPONSE, id, metrics }),
      (err: unknown) => port.postMessage({ type: METRICS_RESPONSE, id, error: String(err) }),
    );
  };
  port.on('message', onMessage);
  installed = { dispose, onMessage, port };
}

/** Undo installWorkerMetrics (stops listening on the port so it does not hold the thread open). */
export function uninstallWorkerMetrics(): void {
  if (!installed) return;
  installed.port.off('message', installed.onMessage);
  installed.dispose();
  installed = undefined;
}

let seq = 0;

/** In the main thread: asks each serving thread for its metrics JSON; resolves with those that answered in time. */
export function requestWorkerMetrics(ports: readonly (MetricsPort & { once(ev: 'exit', fn: () => void): unknown; off(ev: 'exit', fn: () => void): unknown })[], timeoutMs: number): Promise<object[][]> {
  return Promise.all(ports.map((w) => new Promise<object[] | undefined>((resolve) => {
    const id = ++seq;
    const done = (v: object[] | undefined): void => {
      clearTimeout(timer);
      w.off('message', onMessage);
      w.off('exit', onExit);
      resolve(v);
    };
    const onMessage = (m: unknown): void => {
      const r = m as { type?: unknown; id?: unknown; metrics?: unknown };
      if (r.type === METRICS_RESPONSE && r.id === id) done(Array.isArray(r.metrics) ? r.metrics as object[] : undefined);
    };
    const onExit = (): void => done(undefined);
    const timer = setTimeout(() => done(undefined), timeoutMs);
    timer.unref();
    w.on('message', onMessage);
    w.once('exit', onExit);
    try { w.postMessage({ type: METRICS_REQUEST, id }); } catch { done(undefined); }
  }))).then((all) => all.filter((x): x is object[] => x !== undefined));
}

// Test fixture: 2 worker threads that publish known query events and a main thread with the metrics endpoint and the zone gauges, as the server runs them.
import { channel } from 'node:diagnostics_channel';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { createWorkerRegistry, installWorkerMetrics, registerXfrInMetrics, registerZoneStateMetrics, requestWorkerMetrics, setRegistrySource, startMetricsServer, QUERY_CHANNEL, ZONE_CHANNEL } from '../../src/metrics/index.ts';

const log = { info() {}, warn() {}, error: (o: object, m?: string) => { process.stderr.write(`${m ?? ''} ${JSON.stringify(o)}\n`); } };

if (isMainThread) {
  let ready = 0;
  const own = createWorkerRegistry();
  // Zones are built by the main thread's writer: the zone event is published here, not in a worker.
  channel(ZONE_CHANNEL).publish({ zone: 'example.', serial: 2026112701, records: 42, ms: 12 });
  // Zone state as the writer reports it: example. served, broken. never loaded after 3 failed attempts.
  registerZoneStateMetrics(own.registry, () => [
    { zone: 'example.', file: 'example.zone', serial: 2026112701, records: 42, loadedAt: new Date().toISOString(), last: null, failures: 0 },
    { zone: 'broken.', file: 'broken.zone', serial: null, records: 0, loadedAt: null, last: null, failures: 3 },
  ]);
  // Inbound transfer metrics: one IXFR applied, one AXFR failed, one NOTIFY accepted.
  registerXfrInMetrics(own.registry);
  channel('dunlin:xfr-in').publish({ zone: 'example.', kind: 'ixfr', result: 'ok', durationMs: 120, records: 42, bytes: 900 });
  channel('dunlin:xfr-in').publish({ zone: 'example.', kind: 'axfr', result: 'failed', durationMs: 30000, records: 0, bytes: 0 });
  channel('dunlin:notify-in').publish({ zone: 'example.' });
  const workers = [1, 2].map((w) => new Worker(new URL(import.meta.url), { workerData: w }));
  for (const w of workers) {
    w.on('message', (m: unknown) => {
      if (m !== 'ready' || ++ready < 2) return;
      const token = process.env['METRICS_TOKEN'];
      startMetricsServer({ listen: '127.0.0.1:0', log, collect: (ms) => requestWorkerMetrics(workers, ms), local: own.registry, ...(token ? { token } : {}) }).then((srv) => {
        process.stdout.write(`metrics port=${srv.port} threads=${workers.map((x) => x.threadId).join(',')}\n`);
        process.once('SIGTERM', () => {
          void srv.close().then(() => { own.dispose(); for (const x of workers) void x.terminate(); });
        });
      }, (err: unknown) => { process.stderr.write(String(err) + '\n'); process.exitCode = 1; for (const x of workers) void x.terminate(); });
    });
  }
} else {
  const w = workerData as number;
  installWorkerMetrics(parentPort!);
  // Worker w has w open connections, accepted 10*w, closed eof=5*w and idle-timeout=w.
  setRegistrySource(() => ({
    open: Array.from({ length: w }, (_, i) => ({ id: i, transport: 'tcp' as const, state: 'reading-length' as const, peer: `127.0.0.1:${1000 + i}`, local: '127.0.0.1:53', ageMs: 1000 * w, idleMs: 10, bytesIn: 0, bytesOut: 0, queries: 0 })),
    accepted: 10 * w,
    closedByReason: { eof: 5 * w, 'idle-timeout': w, 'read-timeout': 0, limit: 0, error: 0, reset: 0, shutdown: 0 },
  }));
  const q = channel(QUERY_CHANNEL);
  if (w === 1) for (let i = 0; i < 3; i++) q.publish({ transport: 'udp', rcode: 0, qtype: 1, size: 100 });
  else {
    q.publish({ transport: 'tcp', rcode: 3, qtype: 28, size: 700 });
    q.publish({ transport: 'tcp', rcode: 3, qtype: 28, size: 700 });
    q.publish({ transport: 'udp', rcode: 0, qtype: 65280, size: 50 });
    q.publish({ transport: 'bogus', rcode: 0 }); // malformed: ignored, never a crash
  }
  parentPort!.postMessage('ready');
}

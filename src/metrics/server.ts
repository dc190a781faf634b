// Owns the Prometheus endpoint in the primary: loopback-only HTTP, optional bearer token, workers' metrics aggregated.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { createHash, timingSafeEqual } from 'node:crypto';
import { AggregatorRegistry, Gauge, Registry } from 'prom-client';
import { countStates, readKernelTcp, sampleProcess, socketsOwnedBy, type TcpState } from '../control/procfs.ts';
import { formatHostPort } from '../wire/bytes.ts';
import { METRICS } from './names.ts';

export interface MetricsLog {
  info(o: object, msg?: string): void;
  warn(o: object, msg?: string): void;
  error(o: object, msg?: string): void;
}

export interface MetricsServerOptions {
  /** `127.0.0.1:9153`, `[::1]:9153`, `localhost:0`: loopback only. */
  readonly listen: string;
  readonly token?: string;
  readonly log: MetricsLog;
  /** Processes to sample from /proc; defaults to this process alone. */
  readonly pids?: () => { primary: number; workers: readonly number[] };
  /** Every serving thread's metrics as JSON (the threads that answered within `timeoutMs`; see requestWorkerMetrics). */
  readonly collect: (timeoutMs: number) => Promise<object[][]>;
  /** A registry of this thread merged into every scrape (the zone gauges of the writer). */
  readonly local?: Registry;
  /** How long to wait for each worker's metrics (default 2 s); a silent worker is left out of that scrape. */
  readonly workerTimeoutMs?: number;
}

export interface MetricsServer {
  readonly port: number;
  close(): Promise<void>;
}

export class MetricsSetupError extends Error {
  readonly code = 'DUNLIN_ERR_METRICS_SETUP';
  constructor(message: string, options?: { cause: unknown }) {
    super(message, options);
    this.name = 'MetricsSetupError';
  }
}

/** Parses `host:port` and insists on a loopback address: metrics reveal load and must not be public by accident. */
export function parseLoopbackListen(listen: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(listen);
  if (!m) throw new MetricsSetupError(`metrics: listen "${listen}" must be HOST:PORT (e.g. 127.0.0.1:9153 or [::1]:9153)`);
  let host = m[1] ?? m[2]!;
  const port = Number(m[3]);
  if (port > 65535) throw new MetricsSetupError(`metrics: port ${port} out of range 0..65535`);
  if (host === 'localhost') host = '127.0.0.1';
  const v = isIP(host);
  const loopback = (v === 4 && host.startsWith('127.')) || (v === 6 && /^(0*:)*:?0*1$/.test(host));
  if (!loopback) throw new MetricsSetupError(`metrics: refusing to listen on non-loopback address "${host}"; use 127.0.0.1 or ::1 and put a proxy in front if it must be remote`);
  return { host, port };
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

export async function startMetricsServer(opts: MetricsServerOptions): Promise<MetricsServer> {
  const { host, port } = parseLoopbackListen(opts.listen);
  const log = opts.log;
  const tokenDigest = opts.token !== undefined && opts.token !== '' ? digest(opts.token) : undefined;
  const timeoutMs = opts.workerTimeoutMs ?? 2000;
  const pids = opts.pids ?? (() => ({ primary: process.pid, workers: [] }));

  const primary = new Registry();
  const labels = ['role', 'pid'] as const;
  const openFds = new Gauge({ ...METRICS.openFds, labelNames: labels, registers: [primary] });
  const maxFds = new Gauge({ ...METRICS.maxFds, labelNames: labels, registers: [primary] });
  const rss = new Gauge({ ...METRICS.rss, labelNames: labels, registers: [primary] });
  const tcpSockets = new Gauge({ ...METRICS.tcpSockets, labelNames: ['role', 'pid', 'state'] as const, registers: [primary] });
  const orphans = new Gauge({ ...METRICS.orphanSockets, labelNames: ['state'] as const, registers: [primary] });
  const reporting = new Gauge({ ...METRICS.scrapeWorkers, registers: [primary] });

  const sampleProcesses = async (): Promise<void> => {
    const p = pids();
    const all = [{ pid: p.primary, role: 'primary' }, ...p.workers.map((pid) => ({ pid, role: 'worker' }))];
    const [tcp, samples] = await Promise.all([readKernelTcp(), Promise.all(all.map((x) => sampleProcess(x.pid)))]);
    for (const g of [openFds, maxFds, rss, tcpSockets, orphans]) g.reset();
    const listenPorts = new Set<number>();
    const held = new Set<number>();
    all.forEach((x, i) => {
      const s = samples[i];
      if (!s) return;
      const l = { role: x.role, pid: String(x.pid) };
      openFds.set(l, s.fds.count);
      if (typeof s.fdLimit?.soft === 'number') maxFds.set(l, s.fdLimit.soft);
      if (s.rssBytes !== undefined) rss.set(l, s.rssBytes);
      for (const ino of s.fds.socketInodes) held.add(ino);
      const mine = socketsOwnedBy(tcp, s.fds.socketInodes);
      for (const e of mine) if (e.state === 'LISTEN') listenPorts.add(e.localPort);
      const counts = countStates(mine);
      // Always export the two states an operator alerts on, even at zero, so absent != healthy.
      for (const st of ['ESTABLISHED', 'CLOSE_WAIT'] as const) tcpSockets.set({ ...l, state: st }, counts[st] ?? 0);
      for (const [st, n] of Object.entries(counts)) tcpSockets.set({ ...l, state: st }, n);
    });
    const orphanCounts = countStates(tcp.filter((e) => listenPorts.has(e.localPort) && e.state !== 'LISTEN' && (e.inode === 0 || !held.has(e.inode))));
    for (const st of ['TIME_WAIT', 'FIN_WAIT2'] as const) orphans.set({ state: st }, orphanCounts[st] ?? 0);
    for (const [st, n] of Object.entries(orphanCounts) as [TcpState, number][]) orphans.set({ state: st }, n);
  };

  // Concurrent scrapes share one collection: a scrape storm costs one /proc walk, not one each.
  let inflight: Promise<{ body: string; type: string }> | undefined;
  const scrape = (): Promise<{ body: string; type: string }> => {
    inflight ??= (async () => {
      try {
        const [workers] = await Promise.all([opts.collect(timeoutMs), sampleProcesses()]);
        reporting.set(workers.length);
        const own = await primary.getMetricsAsJSON();
        const local = opts.local ? [await opts.local.getMetricsAsJSON()] : [];
        const merged = AggregatorRegistry.aggregate([...workers, ...local, own]);
        return { body: await merged.metrics(), type: merged.contentType };
      } finally {
        inflight = undefined;
      }
    })();
    return inflight;
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    res.setHeader('Cache-Control', 'no-store');
    const url = (req.url ?? '/').split('?')[0];
    if (url !== '/metrics') {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found; try /metrics\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    if (tokenDigest) {
      const auth = req.headers.authorization ?? '';
      const m = /^Bearer (.+)$/.exec(auth);
      if (!m || !timingSafeEqual(digest(m[1]!), tokenDigest)) {
        res.writeHead(401, { 'WWW-Authenticate': 'Bearer realm="dunlin"', 'Content-Type': 'text/plain' }).end('unauthorized\n');
        return;
      }
    }
    scrape().then(({ body, type }) => {
      res.writeHead(200, { 'Content-Type': type });
      res.end(req.method === 'HEAD' ? undefined : body);
    }, (err: unknown) => {
      log.error({ err: err instanceof Error ? err.message : String(err) }, 'metrics: scrape failed');
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end('scrape failed\n');
    });
  };

  const server = createServer({ maxHeaderSize: 8192, requestTimeout: 10_000, headersTimeout: 5000, keepAliveTimeout: 5000 }, handle);
  server.maxConnections = 64;
  server.maxRequestsPerSocket = 100;
  server.on('clientError', (_err, socket) => { socket.destroy(); });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new MetricsSetupError(`metrics: cannot listen on ${opts.listen}: ${(err as { code?: string }).code ?? String(err)}`, { cause: err })));
    server.listen({ host, port }, () => resolve());
  });
  const addr = server.address();
  const boundPort = typeof addr === 'object' && addr !== null ? addr.port : port;
  log.info({ listen: formatHostPort(host, boundPort), port: boundPort, auth: tokenDigest ? 'bearer' : 'none' }, 'metrics: listening');

  let closing: Promise<void> | undefined;
  return {
    port: boundPort,
    close(): Promise<void> {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

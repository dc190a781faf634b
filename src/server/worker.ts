// Owns one worker process: load zones, bind UDP and TCP (SO_REUSEPORT), answer the primary over IPC, shut down cleanly.
import type { Logger } from 'pino';
import type { Config } from '../config/load.ts';
import { formatAddress } from '../config/load.ts';
import type { WorkerReport } from '../control/types.ts';
import { createResponder } from '../responder/index.ts';
import { fdCount, fdLimit, startFdMonitor } from '../transport/fd-monitor.ts';
import { connectionRegistry } from '../transport/registry.ts';
import { TcpTransport } from '../transport/tcp.ts';
import { UdpTransport } from '../transport/udp.ts';
import type { BoundListener, WorkerMessage } from './ipc.ts';
import { isPrimaryMessage } from './ipc.ts';
import { ZoneManager } from './zones.ts';

function send(msg: WorkerMessage): void {
  // The channel may be gone when the primary died; the 'disconnect' handler shuts this worker down.
  if (process.connected && process.send) process.send(msg, undefined, {}, () => undefined);
}

async function installMetrics(log: Logger): Promise<void> {
  try {
    const m = await import('../metrics/index.ts');
    m.setRegistrySource(() => connectionRegistry.snapshot());
    m.installWorkerMetrics();
  } catch (err) {
    log.warn({ err: err instanceof Error ? err.message : String(err) }, 'worker metrics unavailable');
  }
}

/** Descriptors kept free for everything that is not a TCP connection (zone reloads, logs, /proc reads). */
const FD_RESERVE = 16;

/**
 * This worker's share of tcp.max_connections, lowered to what RLIMIT_NOFILE leaves room for: at the
 * connection limit the on_limit policy sheds load, so accept() never runs out of descriptors
 * (libuv would otherwise silently accept-and-close connections on EMFILE).
 */
function connectionBudget(config: Config, log: Logger): number {
  const share = Math.max(1, Math.ceil(config.tcp.maxConnections / config.workers));
  const limit = fdLimit();
  const used = fdCount();
  if (limit === null || used === null) return share;
  const room = Math.max(1, limit - used - 2 * config.listen.length - FD_RESERVE);
  if (room >= share) return share;
  log.warn({ configured: share, lowered: room, fdLimit: limit, fdsInUse: used }, 'max_connections lowered to fit RLIMIT_NOFILE');
  return room;
}

/** Runs a worker until it is told to stop (IPC shutdown, SIGTERM/SIGINT, or the primary going away). Returns the exit code. */
export async function runWorker(config: Config, index: number, log: Logger): Promise<number> {
  // Metrics first, so the zone-load events of the first load are counted. Without an endpoint
  // nothing subscribes to dunlin:query, so the responder does not even build the event.
  if (config.metrics.listen !== null) await installMetrics(log);
  const zones = new ZoneManager(config.zones, log);
  const zoneErrors = await zones.loadAll();
  const respond = createResponder({ zones: () => zones.current, udpPayloadSize: config.udp.payloadSize });
  const perWorkerMax = connectionBudget(config, log);
  const udp = new UdpTransport({ respond, log, reusePort: true, socketBufferBytes: config.udp.socketBufferBytes });
  const tcp = new TcpTransport({
    respond,
    log,
    reusePort: true,
    limits: {
      idleTimeoutMs: config.tcp.idleTimeoutMs,
      readTimeoutMs: config.tcp.readTimeoutMs,
      maxConnections: perWorkerMax,
      maxQueriesPerConnection: config.tcp.maxQueriesPerConnection,
      onLimit: config.tcp.onLimit,
      writeBufferBytes: config.tcp.writeBufferBytes,
      shutdownTimeoutMs: config.shutdownTimeoutMs,
    },
  });

  const listeners: BoundListener[] = [];
  try {
    for (const a of config.listen) {
      const u = await udp.bind(a);
      listeners.push({ proto: 'udp', address: formatAddress(u) });
      const t = await tcp.listen(a);
      listeners.push({ proto: 'tcp', address: formatAddress(t) });
    }
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const msg = `bind failed: ${e.code ?? ''} ${e.message}`;
    log.error({ code: e.code }, msg);
    send({ cmd: 'dunlin:failed', error: msg });
    tcp.destroy();
    await udp.close();
    process.disconnect?.();
    return 1;
  }
  const fdMonitor = startFdMonitor(log);
  log.info({ listeners: listeners.map((l) => `${l.proto}:${l.address}`), udpBuffers: udp.bufferSizes(), tcpMaxConnections: perWorkerMax }, 'worker listening');

  let stopping: Promise<void> | null = null;
  let resolveDone: (code: number) => void = () => undefined;
  const done = new Promise<number>((r) => {
    resolveDone = r;
  });

  const stop = (how: 'graceful' | 'immediate', why: string): Promise<void> => {
    if (how === 'immediate') tcp.destroy();
    stopping ??= (async () => {
      log.info({ why, open: tcp.connectionCount }, 'worker stopping');
      fdMonitor.stop();
      await udp.close();
      await tcp.close();
      log.info({ closed: connectionRegistry.snapshot().closedByReason }, 'worker stopped');
      process.off('message', onMessage);
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onTerm);
      process.off('SIGHUP', onHup);
      process.off('disconnect', onDisconnect);
      if (process.connected) process.disconnect?.();
      resolveDone(0);
    })();
    return stopping;
  };

  const report = (): WorkerReport => ({
    pid: process.pid,
    worker: index,
    registry: connectionRegistry.snapshot(),
    udpQueries: udp.queries,
    tcpQueries: tcp.queries,
  });

  const onMessage = (m: unknown): void => {
    if (!isPrimaryMessage(m)) return;
    switch (m.cmd) {
      case 'dunlin:report':
        send({ cmd: 'dunlin:report', id: m.id, report: report() });
        break;
      case 'dunlin:reload':
        zones.reload().then(
          (lines) => send({ cmd: 'dunlin:reloaded', id: m.id, lines }),
          (err: unknown) => send({ cmd: 'dunlin:reloaded', id: m.id, lines: [`error: ${String(err)}`] }),
        );
        break;
      case 'dunlin:shutdown':
        void stop('graceful', 'primary asked');
        break;
      case 'dunlin:destroy':
        void stop('immediate', 'primary asked');
        break;
    }
  };
  // SIGINT/SIGTERM reach workers too (e.g. Ctrl-C signals the whole process group): stop gracefully.
  const onTerm = (sig: NodeJS.Signals): void => void stop(stopping ? 'immediate' : 'graceful', sig);
  // Reload is coordinated by the primary; a hangup of the terminal must not kill a worker.
  const onHup = (): void => undefined;
  // The primary is gone (even kill -9): never outlive it holding the port.
  const onDisconnect = (): void => void stop('graceful', 'primary gone');
  process.on('message', onMessage);
  process.on('SIGTERM', onTerm);
  process.on('SIGINT', onTerm);
  process.on('SIGHUP', onHup);
  process.on('disconnect', onDisconnect);

  send({ cmd: 'dunlin:ready', listeners, zones: zones.served, zoneErrors });
  return done;
}

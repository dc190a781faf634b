// Owns one serving thread: bind UDP and TCP (SO_REUSEPORT), answer from the shared zone images, obey the main thread, stop cleanly.
import { threadId } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import type { Logger } from 'pino';
import { formatAddress } from '../config/load.ts';
import type { WorkerReport } from '../control/types.ts';
import { createResponder } from '../responder/index.ts';
import { QueryRouter } from '../responder/router.ts';
import { Zone, ZoneSet } from '../store/index.ts';
import type { ZoneImage } from '../store/index.ts';
import { connectionRegistry } from '../transport/registry.ts';
import { TcpTransport } from '../transport/tcp.ts';
import { UdpTransport } from '../transport/udp.ts';
import { Name } from '../wire/name.ts';
import { registerNotifyHandler, workerNotifyDeps } from '../xfr/inbound-notify.ts';
import { registerTransferHandlers } from '../xfr/worker-side.ts';
import { decodeChangeset } from './changes.ts';
import type { BoundListener, WorkerData, WorkerMessage } from './ipc.ts';
import { isMainMessage } from './ipc.ts';

async function installMetrics(log: Logger, port: MessagePort): Promise<void> {
  try {
    const m = await import('../metrics/index.ts');
    m.setRegistrySource(() => connectionRegistry.snapshot());
    m.installWorkerMetrics(port);
  } catch (err) {
    log.warn({ err: err instanceof Error ? err.message : String(err) }, 'worker metrics unavailable');
  }
}

/** Readers over the writer's images: no octet of a zone is copied (SharedArrayBuffer). */
function zoneSetOf(images: readonly ZoneImage[], unserved: readonly string[]): ZoneSet {
  return new ZoneSet(images.map((img) => Zone.fromImage(img)), unserved.map((n) => Name.fromText(n).key));
}

/** Runs a serving thread until the main thread tells it to stop. Resolves when every socket is closed. */
export async function runWorker(data: WorkerData, log: Logger, port: MessagePort): Promise<void> {
  const { config, index } = data;
  const send = (msg: WorkerMessage): void => port.postMessage(msg);
  if (config.metrics.listen !== null) await installMetrics(log, port);
  // Replaced, never mutated: a query reads one ZoneSet from start to end, so a swap lands between two queries.
  let zones = zoneSetOf(data.images, data.unserved);
  const router = new QueryRouter();
  registerNotifyHandler(router, workerNotifyDeps(config, (zone, serial, peer) => send({ cmd: 'dunlin:notify', zone, serial, peer })));
  const transfers = registerTransferHandlers(router, { config, zones: () => zones, log, ask: (id, zone, serial) => send({ cmd: 'dunlin:ixfr-request', id, zone, serial }) });
  const respond = createResponder({ zones: () => zones, udpPayloadSize: config.udp.payloadSize, router });
  const udp = new UdpTransport({ respond, log, reusePort: true, socketBufferBytes: config.udp.socketBufferBytes, io: config.udp.io });
  const tcp = new TcpTransport({
    respond,
    log,
    reusePort: true,
    limits: {
      idleTimeoutMs: config.tcp.idleTimeoutMs,
      readTimeoutMs: config.tcp.readTimeoutMs,
      maxConnections: data.maxConnections,
      maxQueriesPerConnection: config.tcp.maxQueriesPerConnection,
      onLimit: config.tcp.onLimit,
      writeBufferBytes: config.tcp.writeBufferBytes,
      shutdownTimeoutMs: config.shutdownTimeoutMs,
    },
  });

  let stopping: Promise<void> | null = null;
  const stop = (how: 'graceful' | 'immediate', why: string): Promise<void> => {
    if (how === 'immediate') tcp.destroy();
    stopping ??= (async () => {
      log.info({ why, open: tcp.connectionCount }, 'worker stopping');
      await udp.close();
      await tcp.close();
      transfers.close();
      log.info({ closed: connectionRegistry.snapshot().closedByReason }, 'worker stopped');
      port.off('message', onMessage);
      send({ cmd: 'dunlin:stopped' });
      // Nothing else holds the thread's loop: it ends, and the main thread sees 'exit'.
      port.unref();
    })();
    return stopping;
  };

  const report = (): WorkerReport => ({
    pid: process.pid,
    threadId,
    worker: index,
    registry: connectionRegistry.snapshot(),
    udpQueries: udp.queries,
    tcpQueries: tcp.queries,
    udpIo: udp.io,
  });

  let allowListen: () => void = () => undefined;
  const listenAllowed = new Promise<void>((resolve) => {
    allowListen = resolve;
  });
  const onMessage = (m: unknown): void => {
    if (!isMainMessage(m)) return;
    switch (m.cmd) {
      case 'dunlin:listen':
        allowListen();
        break;
      case 'dunlin:report':
        send({ cmd: 'dunlin:report', id: m.id, report: report() });
        break;
      case 'dunlin:zones':
        zones = zoneSetOf(m.images, m.unserved);
        send({ cmd: 'dunlin:zones-applied', id: m.id });
        break;
      case 'dunlin:log-level':
        log.level = m.level;
        break;
      case 'dunlin:ixfr-reply': {
        const origin = Name.fromText(m.zone);
        transfers.answer(m.id, m.changesets === null ? null : m.changesets.map((c) => decodeChangeset(origin, c)));
        break;
      }
      case 'dunlin:shutdown':
        void stop('graceful', 'main thread asked');
        break;
      case 'dunlin:destroy':
        void stop('immediate', 'main thread asked');
        break;
      case 'dunlin:crash':
        if (!data.testHooks) break;
        // Test hook: an uncaught exception on this thread, exactly what a bug would cause.
        setImmediate(() => {
          throw new Error(`deliberate crash of worker ${index} (DUNLIN_TEST_HOOKS)`);
        });
        break;
    }
  };
  port.on('message', onMessage);
  // Started while the zones load: module loading and setup overlap the parse; binding waits for it.
  if (data.deferListen) await listenAllowed;
  if (stopping) return;

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
    port.off('message', onMessage);
    tcp.destroy();
    await udp.close();
    send({ cmd: 'dunlin:failed', error: msg });
    port.unref();
    return;
  }
  log.info({ listeners: listeners.map((l) => `${l.proto}:${l.address}`), udpBuffers: udp.bufferSizes(), udpIo: udp.io, tcpMaxConnections: data.maxConnections, zones: zones.size }, 'worker listening');
  send({ cmd: 'dunlin:ready', listeners });
}

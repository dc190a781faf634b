// Owns the main thread: prepare ports, the zone writer and loader thread, start and restart serving threads, the ready line, signals, reload, control and metrics.
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { diffConfig } from '../config/diff.ts';
import type { Config, ZoneSpec } from '../config/load.ts';
import { formatAddress } from '../config/load.ts';
import type { ControlHandlers, WorkerReport, WorkerThreadInfo, ZoneResult } from '../control/types.ts';
import type { ZoneImage } from '../store/index.ts';
import { fdCount, fdLimit, startFdMonitor } from '../transport/fd-monitor.ts';
import { udpAddon } from '../transport/native.ts';
import type { BoundListener, MainMessage, WorkerData } from './ipc.ts';
import { isWorkerMessage, siblingModule } from './ipc.ts';
import { ZoneLoader } from './loader.ts';
import { ListenError, prepareListen } from './ports.ts';
import { onSigusr1 } from './signals.ts';
import { describeResult, ZoneWriter } from './zone-writer.ts';
import { startSecondaries } from './secondaries.ts';
import type { Secondaries } from './secondaries.ts';
import { encodeChangeset } from './changes.ts';
import { PrimarySide } from '../xfr/primary-side.ts';
import { HISTORY_DEFAULTS } from '../store/index.ts';

/** Restart backoff after a crash: 250 ms doubling to 10 s; reset once a worker has lived 30 s. */
const RESTART_BASE_MS = 250;
const RESTART_MAX_MS = 10_000;
const STABLE_AFTER_MS = 30_000;
const REPORT_TIMEOUT_MS = 1_000;
/** A thread confirms a new zone set within this bound (it only swaps a reference) or the reload goes on without it. */
const PUBLISH_TIMEOUT_MS = 2_000;
/** After the graceful bound, threads still running are terminated. */
const KILL_GRACE_MS = 1_500;
/** Descriptors kept free for everything that is not a TCP connection (zone loads, logs, /proc reads, control). */
const FD_RESERVE = 16;
const WORKER_MODULE = siblingModule(import.meta.url, 'worker-thread');
/**
 * A serving thread's young generation, in MiB (V8 splits it into two semi-spaces and a large-object
 * part: 12 MiB is 4 MiB semi-spaces). V8's default lets it grow to 3 x 32 MiB under allocation
 * pressure, and every page it cycles through stays resident: a TCP connection churn grew one
 * worker's RSS by ~50 MiB that way. A query's garbage dies before the next scavenge, so small
 * semi-spaces cost scavenges, not promotions (docs/process-model.md, "Memory").
 */
const WORKER_YOUNG_GENERATION_MB = 12;

interface Slot {
  readonly index: number;
  worker: Worker | null;
  threadId: number | null;
  startedAt: number;
  crashes: number;
  restartTimer: NodeJS.Timeout | null;
}

interface Pending {
  readonly expected: Set<Worker>;
  readonly replies: WorkerReport[];
  readonly resolve: (replies: WorkerReport[]) => void;
  readonly timer: NodeJS.Timeout;
}

export interface PrimaryOptions {
  readonly config: Config;
  readonly log: Logger;
  /** Where the one ready line goes (stdout). */
  readonly out: NodeJS.WritableStream;
  /** Reads the configuration again (SIGHUP, control reload); absent when the server runs from flags only. Throws ConfigError. */
  readonly reread?: () => Config;
}

export async function runPrimary(opts: PrimaryOptions): Promise<number> {
  const { log } = opts;
  let config = opts.config;
  try {
    const prepared = await prepareListen(config.listen);
    for (const s of prepared.skipped) log.warn({ address: s.address, reason: s.reason }, 'listen address not available on this host; skipped');
    config = { ...config, listen: prepared.listen };
  } catch (err) {
    if (err instanceof ListenError) {
      log.error(err.message);
      process.stderr.write(`dunlin: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
  return new Primary(config, log, opts.out, opts.config, opts.reread).run();
}

/**
 * Each thread's share of tcp.max_connections, lowered to what RLIMIT_NOFILE leaves room for. The
 * threads share one descriptor table, so the room is split between them: at the connection limit
 * the on_limit policy sheds load and accept() never runs out of descriptors.
 */
function connectionBudget(config: Config, log: Logger): number {
  const share = Math.max(1, Math.ceil(config.tcp.maxConnections / config.workers));
  const limit = fdLimit();
  const used = fdCount();
  if (limit === null || used === null) return share;
  const room = Math.max(1, Math.floor((limit - used - 2 * config.listen.length * config.workers - FD_RESERVE) / config.workers));
  if (room >= share) return share;
  log.warn({ configured: share, lowered: room, fdLimit: limit, fdsInUse: used }, 'max_connections lowered to fit RLIMIT_NOFILE');
  return room;
}

class Primary {
  /** The configuration running now (listen addresses resolved). */
  #config: Config;
  /** The configuration as read from the file (what the next re-read is compared with). */
  #fileConfig: Config;
  readonly #reread: (() => Config) | undefined;
  readonly #log: Logger;
  readonly #out: NodeJS.WritableStream;
  readonly #slots: Slot[] = [];
  readonly #pending = new Map<number, Pending>();
  readonly #publishing = new Map<number, { readonly expected: Set<Worker>; readonly resolve: () => void; readonly timer: NodeJS.Timeout }>();
  readonly #loader = new ZoneLoader();
  readonly #writer: ZoneWriter;
  /** Journals and NOTIFY out, following the writer's new versions. */
  readonly #primarySide: PrimarySide;
  readonly #testHooks = process.env['DUNLIN_TEST_HOOKS'] === '1';
  #maxConnections = 1;
  #nextId = 1;
  #phase: 'starting' | 'running' | 'stopping' = 'starting';
  /** Set once the workers were told to bind; a worker started after that binds at once. */
  #listening = false;
  #listeners: readonly BoundListener[] = [];
  #closers: (() => Promise<void>)[] = [];
  #finish: (code: number) => void = () => undefined;
  #startupFailed: ((why: string) => void) | null = null;
  #allExited: (() => void) | null = null;
  /** Refresh timers and transfers of the secondary zones (null until the server is ready). */
  #secondaries: Secondaries | null = null;

  constructor(config: Config, log: Logger, out: NodeJS.WritableStream, fileConfig: Config, reread: (() => Config) | undefined) {
    this.#config = config;
    this.#fileConfig = fileConfig;
    this.#reread = reread;
    this.#log = log;
    this.#out = out;
    this.#writer = new ZoneWriter(config.zones, log, this.#loader, { maxChanges: config.xfr.journalMaxDepth, maxRecords: HISTORY_DEFAULTS.maxRecords });
    this.#writer.onPublish((images, unserved) => this.#publish(images, unserved));
    this.#primarySide = new PrimarySide(config, this.#writer, log);
  }

  async run(): Promise<number> {
    const finished = new Promise<number>((resolve) => {
      this.#finish = resolve;
    });
    process.on('SIGTERM', this.#onTerm);
    process.on('SIGINT', this.#onTerm);
    process.on('SIGHUP', this.#onHup);
    onSigusr1(() => void this.#statistics());
    const fdMonitor = startFdMonitor(this.#log);
    this.#closers.push(() => Promise.resolve(fdMonitor.stop()));
    this.#closers.push(() => this.#loader.close());
    this.#closers.push(() => this.#primarySide.close());

    // The worker threads start (load their modules, set up) while the loader thread builds the
    // zones; they bind only once every zone is built, so no configured zone is ever answered REFUSED.
    this.#maxConnections = connectionBudget(this.#config, this.#log);
    // The loader thread is created first: on a small machine it then starts parsing while the
    // serving threads are still loading their modules, instead of after them.
    this.#log.info({ zones: this.#config.zones.length, workers: this.#config.workers }, 'loading zones');
    const loaded = this.#writer.loadAll();
    const startedWorkers = this.#startWorkers();
    // A worker that fails to start, or a signal, ends the startup without waiting for the zones.
    const first = await Promise.race([loaded.then(() => 'loaded' as const), startedWorkers]);
    if (first === 'loaded' && this.#phase === 'starting') {
      this.#listening = true;
      this.#broadcast({ cmd: 'dunlin:listen' });
    }
    const started = first === 'loaded' ? await startedWorkers : first;
    if (started !== null) {
      this.#log.error({ why: started }, 'startup failed');
      process.stderr.write(`dunlin: startup failed: ${started}\n`);
      await this.#stopAll(true);
      await this.#closeServices();
      this.#removeSignals();
      return 1;
    }
    const setup = await this.#startServices();
    // A SIGTERM/SIGINT while the control socket and metrics were starting set the phase to stopping.
    const interrupted = this.#phase === 'stopping';
    if (setup !== null || interrupted) {
      if (setup !== null) process.stderr.write(`dunlin: ${setup}\n`);
      else process.stderr.write('dunlin: startup failed: interrupted\n');
      await this.#stopAll(false);
      await this.#closeServices();
      this.#removeSignals();
      return 1;
    }
    this.#phase = 'running';
    // Secondary zones check their primaries once the server answers (a copy on disk is served meanwhile).
    this.#secondaries = startSecondaries(this.#config, this.#writer, this.#log);
    const udp = this.#listeners.filter((l) => l.proto === 'udp').map((l) => l.address);
    const tcp = this.#listeners.filter((l) => l.proto === 'tcp').map((l) => l.address);
    const counts = this.#writer.counts();
    const udpIo = this.#config.udp.io === 'dgram' ? { addon: null, why: 'udp.io is dgram' } : udpAddon();
    // Said once, here, rather than by every serving thread.
    if (udpIo.addon === null && this.#config.udp.io === 'auto') this.#log.warn({ why: udpIo.why }, 'batched UDP unavailable; UDP uses node:dgram');
    this.#log.info({ udp, tcp, udpIo: udpIo.addon === null ? 'dgram' : 'batched', workers: this.#config.workers, zones: counts.configured, loaded: counts.loaded, failed: counts.failed }, 'dunlin ready');
    this.#warnIfNothingServed();
    this.#out.write(`dunlin ready udp=${udp.join(',')} tcp=${tcp.join(',')} workers=${this.#config.workers} pid=${process.pid} zones=${counts.loaded} failed=${counts.failed}\n`);
    return finished;
  }

  /** Starts every serving thread and waits until each reports its listeners; returns null or why it failed. */
  #startWorkers(): Promise<string | null> {
    return new Promise((resolve) => {
      let ready = 0;
      this.#startupFailed = (why) => {
        this.#startupFailed = null;
        resolve(why);
      };
      const onReady = (listeners: readonly BoundListener[]): void => {
        if (this.#phase !== 'starting') return;
        if (this.#listeners.length === 0) this.#listeners = listeners;
        ready++;
        if (ready === this.#config.workers) {
          this.#startupFailed = null;
          resolve(null);
        }
      };
      for (let i = 1; i <= this.#config.workers; i++) {
        const slot: Slot = { index: i, worker: null, threadId: null, startedAt: 0, crashes: 0, restartTimer: null };
        this.#slots.push(slot);
        this.#spawn(slot, onReady);
      }
    });
  }

  #spawn(slot: Slot, onReady: (l: readonly BoundListener[]) => void = () => undefined): void {
    // The current images: a replacement thread serves exactly what the others serve, from the same memory.
    const data: WorkerData = {
      config: this.#config, index: slot.index, images: this.#writer.images(), unserved: this.#writer.unserved(), maxConnections: this.#maxConnections,
      deferListen: !this.#listening, testHooks: this.#testHooks,
    };
    const w = new Worker(WORKER_MODULE, { workerData: data, name: `dunlin-worker-${slot.index}`, resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB } });
    slot.worker = w;
    slot.threadId = w.threadId;
    slot.startedAt = Date.now();
    let crash: Error | null = null;
    w.on('message', (m: unknown) => {
      if (!isWorkerMessage(m)) return;
      switch (m.cmd) {
        case 'dunlin:ready':
          this.#log.info({ worker: slot.index, threadId: w.threadId }, 'worker ready');
          onReady(m.listeners);
          break;
        case 'dunlin:failed':
          this.#log.error({ worker: slot.index, threadId: w.threadId, error: m.error }, 'worker failed to start');
          this.#startupFailed?.(`worker ${slot.index}: ${m.error}`);
          break;
        case 'dunlin:report':
          this.#reply(m.id, w, m.report);
          break;
        case 'dunlin:zones-applied':
          this.#applied(m.id, w);
          break;
        case 'dunlin:notify':
          this.#secondaries?.notify(m.zone, m.serial, m.peer);
          break;
        case 'dunlin:ixfr-request': {
          const cs = this.#writer.changesSince(m.zone, m.serial);
          w.postMessage({ cmd: 'dunlin:ixfr-reply', id: m.id, zone: m.zone, changesets: cs === null ? null : cs.map(encodeChangeset) } satisfies MainMessage);
          break;
        }
        case 'dunlin:stopped':
          break;
      }
    });
    // An uncaught exception in the thread (any value may be thrown): kept for the log line, then 'exit' follows and the slot is restarted.
    w.on('error', (err: unknown) => {
      crash = err instanceof Error ? err : new Error(String(err));
    });
    w.on('exit', (code) => this.#onExit(slot, w, code, crash));
  }

  #onExit(slot: Slot, w: Worker, code: number, crash: Error | null): void {
    const threadId = slot.threadId;
    if (slot.worker === w) {
      slot.worker = null;
      slot.threadId = null;
    }
    for (const [id, p] of this.#pending) {
      if (p.expected.delete(w) && p.expected.size === 0) this.#settle(id);
    }
    for (const [id, p] of this.#publishing) {
      if (p.expected.delete(w) && p.expected.size === 0) this.#published(id);
    }
    const err = crash?.message ?? null;
    if (this.#phase === 'stopping') {
      this.#log.info({ worker: slot.index, threadId, code, err }, 'worker exited');
      if (this.#slots.every((s) => s.worker === null)) this.#allExited?.();
      return;
    }
    // Until every worker is ready, an exit fails the startup; after that (control and metrics still
    // starting) it is a crash like any other and the worker is restarted.
    if (this.#phase === 'starting' && this.#startupFailed !== null) {
      this.#startupFailed(`worker ${slot.index} (thread ${threadId ?? '?'}) exited during startup (code ${code}${err ? `: ${err}` : ''})`);
      return;
    }
    const lived = Date.now() - slot.startedAt;
    if (lived > STABLE_AFTER_MS) slot.crashes = 0;
    slot.crashes++;
    const delay = Math.min(RESTART_MAX_MS, RESTART_BASE_MS * 2 ** (slot.crashes - 1));
    this.#log.error({ worker: slot.index, threadId, code, err, livedMs: lived, restartInMs: delay }, 'worker crashed; restarting');
    slot.restartTimer = setTimeout(() => {
      slot.restartTimer = null;
      if (this.#phase === 'stopping') return;
      this.#spawn(slot, () => this.#log.info({ worker: slot.index, threadId: slot.threadId }, 'worker restarted'));
    }, delay);
  }

  // ---- request/reply with the threads ----

  #live(): Worker[] {
    return this.#slots.map((s) => s.worker).filter((w): w is Worker => w !== null);
  }

  #reports(): Promise<WorkerReport[]> {
    const id = this.#nextId++;
    const live = this.#live();
    if (live.length === 0) return Promise.resolve([]);
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.#settle(id), REPORT_TIMEOUT_MS);
      timer.unref();
      this.#pending.set(id, { expected: new Set(live), replies: [], resolve, timer });
      for (const w of live) w.postMessage({ cmd: 'dunlin:report', id } satisfies MainMessage);
    });
  }

  #reply(id: number, w: Worker, report: WorkerReport): void {
    const p = this.#pending.get(id);
    if (!p || !p.expected.delete(w)) return;
    p.replies.push(report);
    if (p.expected.size === 0) this.#settle(id);
  }

  #settle(id: number): void {
    const p = this.#pending.get(id);
    if (!p) return;
    this.#pending.delete(id);
    clearTimeout(p.timer);
    p.resolve(p.replies);
  }

  /** Posts a zone set to every thread; resolves when each answers from it (or died, or after PUBLISH_TIMEOUT_MS). */
  #publish(images: readonly ZoneImage[], unserved: readonly string[]): Promise<void> {
    const id = this.#nextId++;
    const live = this.#live();
    if (live.length === 0) return Promise.resolve();
    if (this.#phase === 'starting') {
      // Threads still starting bind only after dunlin:listen, which follows this on the same port: no need to wait.
      for (const w of live) w.postMessage({ cmd: 'dunlin:zones', id, images, unserved } satisfies MainMessage);
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#log.warn({ publication: id }, 'a worker did not confirm the new zones in time');
        this.#published(id);
      }, PUBLISH_TIMEOUT_MS);
      timer.unref();
      this.#publishing.set(id, { expected: new Set(live), resolve, timer });
      for (const w of live) w.postMessage({ cmd: 'dunlin:zones', id, images, unserved } satisfies MainMessage);
    });
  }

  #applied(id: number, w: Worker): void {
    const p = this.#publishing.get(id);
    if (p?.expected.delete(w) && p.expected.size === 0) this.#published(id);
  }

  #published(id: number): void {
    const p = this.#publishing.get(id);
    if (!p) return;
    this.#publishing.delete(id);
    clearTimeout(p.timer);
    p.resolve();
  }

  #broadcast(msg: MainMessage): void {
    for (const w of this.#live()) w.postMessage(msg);
  }

  // ---- control handlers ----

  readonly handlers: ControlHandlers = {
    workers: () => this.#reports(),
    reload: async (zone?: string) => {
      const results = await this.#reload('control', zone);
      return { summary: results.map((r) => describeResult(r)), results };
    },
    // One process: the threads share its pid and its descriptor table.
    pids: () => ({ primary: process.pid, workers: [] }),
    threads: () => this.#slots.filter((s) => s.threadId !== null).map((s): WorkerThreadInfo => ({ worker: s.index, threadId: s.threadId! })),
    zones: () => this.#writer.status().map((z) => {
      const p = this.#primarySide.status(z.zone);
      const d = { ...z, journal: { depth: p.journalDepth, bytes: p.journalBytes }, notified: p.notified };
      return this.#secondaries?.decorate(d) ?? d;
    }),
    dnsPorts: () => [...new Set(this.#listeners.filter((l) => l.proto === 'tcp').map((l) => Number(/:(\d+)$/.exec(l.address)?.[1] ?? 0)))],
    ...(this.#testHooks ? { crashWorker: (index: number) => this.#crash(index) } : {}),
  };

  #crash(index: number): boolean {
    const w = this.#slots.find((s) => s.index === index)?.worker;
    if (!w) return false;
    this.#log.warn({ worker: index }, 'test hook: crashing worker');
    w.postMessage({ cmd: 'dunlin:crash' } satisfies MainMessage);
    return true;
  }

  async #reload(trigger: string, zone?: string): Promise<ZoneResult[]> {
    if (this.#phase !== 'running') return [];
    if (zone !== undefined) {
      this.#log.info({ trigger, zone }, 'reloading one zone');
      // A secondary zone is also checked against its primaries at once (Knot's zone-refresh).
      this.#secondaries?.refresh(zone);
      return this.#writer.reloadZone(zone);
    }
    this.#log.info({ trigger }, this.#reread ? 'reloading the configuration and zones' : 'reloading zones');
    const results = await this.#writer.reload(this.#rereadConfig());
    this.#secondaries?.reconfigure(this.#config);
    this.#warnIfNothingServed();
    return results;
  }

  /** A server that answers REFUSED or SERVFAIL for everything is running, but it is not serving: say so. */
  #warnIfNothingServed(): void {
    const c = this.#writer.counts();
    if (c.configured === 0) this.#log.warn('no zone is configured: every query is answered REFUSED');
    else if (c.loaded === 0) this.#log.warn({ failed: c.failed }, 'no configured zone could be loaded: every query for them is answered SERVFAIL');
  }

  /** SIGUSR1: one statistics line (as NSD does), from the threads' reports. */
  async #statistics(): Promise<void> {
    if (this.#phase !== 'running') return;
    const reports = await this.#reports();
    const c = this.#writer.counts();
    let udp = 0;
    let tcp = 0;
    let open = 0;
    for (const r of reports) {
      udp += r.udpQueries;
      tcp += r.tcpQueries;
      open += r.registry.open.length;
    }
    this.#log.info({ signal: 'SIGUSR1', udpQueries: udp, tcpQueries: tcp, tcpOpen: open, workers: reports.length, zones: c.configured, loaded: c.loaded, failed: c.failed }, 'statistics');
  }

  /**
   * Reads the configuration file again: settings a running server can take over are applied, the
   * others are refused with a warning naming the key (the old value stays), and the zone list is
   * returned for the writer. A file that no longer validates changes nothing (error logged with
   * the key path) and the zones of the running configuration are reloaded.
   */
  #rereadConfig(): readonly ZoneSpec[] | undefined {
    if (!this.#reread) return undefined;
    let next: Config;
    try {
      next = this.#reread();
    } catch (err) {
      this.#log.error({ err: err instanceof Error ? err.message : String(err) }, 'configuration reload failed; keeping the running configuration');
      return undefined;
    }
    const d = diffConfig(this.#fileConfig, next);
    for (const r of d.refused) this.#log.warn({ key: r.key }, `configuration: ${r.message}`);
    for (const a of d.applied) this.#log.info({ key: a.key }, `configuration: ${a.key} applied`);
    if (d.applied.some((a) => a.key === 'log.level')) {
      this.#log.level = d.config.log.level;
      this.#broadcast({ cmd: 'dunlin:log-level', level: d.config.log.level });
    }
    this.#fileConfig = d.config;
    // Listen addresses are the running ones (port 0 resolved): a listen change is refused anyway.
    this.#config = { ...d.config, listen: this.#config.listen };
    return d.config.zones;
  }

  // ---- control and metrics ----

  async #startServices(): Promise<string | null> {
    const c = this.#config;
    try {
      const { startControlServer } = await import('../control/server.ts');
      const { defaultControlSocketPath } = await import('../control/paths.ts');
      const path = c.control.socket ?? defaultControlSocketPath();
      try {
        const srv = await startControlServer({ path, handlers: this.handlers, log: this.#log });
        this.#closers.push(() => srv.close());
      } catch (err) {
        const msg = err instanceof Error ? err.message : String(err);
        // An explicitly configured socket must work; the default one is best effort (another server may own it).
        if (c.control.socket !== null) return msg;
        this.#log.warn({ socket: path, err: msg }, 'control socket unavailable; continuing without it');
      }
    } catch (err) {
      this.#log.warn({ err: err instanceof Error ? err.message : String(err) }, 'control channel module unavailable');
    }
    if (c.metrics.listen !== null) {
      try {
        const { startMetricsServer, createWorkerRegistry, requestWorkerMetrics, registerZoneStateMetrics, registerXfrInMetrics } = await import('../metrics/index.ts');
        // The zone gauges live here, where zones are built; the threads contribute query and connection metrics.
        const own = createWorkerRegistry();
        registerZoneStateMetrics(own.registry, () => this.#writer.status());
        const stopXfrIn = registerXfrInMetrics(own.registry);
        const srv = await startMetricsServer({
          listen: formatAddress(c.metrics.listen),
          log: this.#log,
          pids: () => this.handlers.pids(),
          collect: (timeoutMs) => requestWorkerMetrics(this.#live(), timeoutMs),
          local: own.registry,
          ...(c.metrics.token !== null ? { token: c.metrics.token } : {}),
        });
        this.#closers.push(() => srv.close().then(() => {
          stopXfrIn();
          own.dispose();
        }));
      } catch (err) {
        return err instanceof Error ? err.message : String(err);
      }
    }
    return null;
  }

  async #closeServices(): Promise<void> {
    const closers = this.#closers.splice(0);
    await Promise.all(closers.map((f) => f().catch((err: unknown) => this.#log.warn({ err: String(err) }, 'close failed'))));
  }

  // ---- signals and shutdown ----

  #onHup = (): void => {
    void this.#reload('SIGHUP');
  };

  #onTerm = (sig: NodeJS.Signals): void => {
    if (this.#phase === 'stopping') {
      // A second signal: stop waiting.
      this.#log.warn({ signal: sig }, 'second signal: destroying connections now');
      this.#broadcast({ cmd: 'dunlin:destroy' });
      return;
    }
    if (this.#phase === 'starting') {
      this.#log.info({ signal: sig }, 'interrupted during startup');
      this.#phase = 'stopping';
      this.#startupFailed?.(`interrupted by ${sig}`);
      return;
    }
    this.#log.info({ signal: sig }, 'shutting down');
    void this.#shutdown();
  };

  async #shutdown(): Promise<void> {
    await this.#secondaries?.close();
    this.#secondaries = null;
    await this.#stopAll(false);
    await this.#closeServices();
    this.#removeSignals();
    this.#log.info('dunlin stopped');
    this.#finish(0);
  }

  /** Asks every thread to stop (or terminates them), waits for all exits within the bound, then terminates the rest. */
  async #stopAll(kill: boolean): Promise<void> {
    this.#phase = 'stopping';
    for (const s of this.#slots) {
      if (s.restartTimer) clearTimeout(s.restartTimer);
      s.restartTimer = null;
    }
    if (this.#live().length === 0) return;
    const exited = new Promise<void>((resolve) => {
      this.#allExited = resolve;
    });
    for (const w of this.#live()) {
      if (kill) void w.terminate();
      else w.postMessage({ cmd: 'dunlin:shutdown' } satisfies MainMessage);
    }
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.#config.shutdownTimeoutMs + KILL_GRACE_MS);
    });
    const r = await Promise.race([exited, bound]);
    clearTimeout(timer);
    if (r === 'timeout') {
      this.#log.error({ workers: this.#slots.filter((s) => s.worker !== null).map((s) => s.index) }, 'workers did not stop in time; terminating them');
      for (const w of this.#live()) void w.terminate();
      await exited;
    }
  }

  #removeSignals(): void {
    onSigusr1(null);
    process.off('SIGTERM', this.#onTerm);
    process.off('SIGINT', this.#onTerm);
    process.off('SIGHUP', this.#onHup);
  }
}

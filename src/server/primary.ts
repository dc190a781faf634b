// Owns the primary process: prepare ports, fork and restart workers, the ready line, signals, reload, control and metrics.
import cluster from 'node:cluster';
import type { Worker } from 'node:cluster';
import type { Logger } from 'pino';
import type { Config } from '../config/load.ts';
import { formatAddress } from '../config/load.ts';
import type { ControlHandlers, WorkerReport } from '../control/types.ts';
import type { BoundListener, PrimaryMessage } from './ipc.ts';
import { ENV_WORKER_CONFIG, ENV_WORKER_INDEX, isWorkerMessage } from './ipc.ts';
import { ListenError, prepareListen } from './ports.ts';

/** Restart backoff after a crash: 250 ms doubling to 10 s; reset once a worker has lived 30 s. */
const RESTART_BASE_MS = 250;
const RESTART_MAX_MS = 10_000;
const STABLE_AFTER_MS = 30_000;
const REPORT_TIMEOUT_MS = 1_000;
const RELOAD_TIMEOUT_MS = 60_000;
/** After the graceful bound, workers still alive are killed (SIGKILL). */
const KILL_GRACE_MS = 1_500;

interface Slot {
  readonly index: number;
  worker: Worker | null;
  startedAt: number;
  crashes: number;
  restartTimer: NodeJS.Timeout | null;
}

interface Pending {
  readonly expected: Set<number>;
  readonly replies: unknown[];
  readonly resolve: (replies: unknown[]) => void;
  readonly timer: NodeJS.Timeout;
}

export interface PrimaryOptions {
  readonly config: Config;
  readonly log: Logger;
  /** Where the one ready line goes (stdout). */
  readonly out: NodeJS.WritableStream;
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
  return new Primary(config, log, opts.out).run();
}

class Primary {
  readonly #config: Config;
  readonly #log: Logger;
  readonly #out: NodeJS.WritableStream;
  readonly #slots: Slot[] = [];
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #phase: 'starting' | 'running' | 'stopping' = 'starting';
  #listeners: readonly BoundListener[] = [];
  #closers: (() => Promise<void>)[] = [];
  #finish: (code: number) => void = () => undefined;
  #startupFailed: ((why: string) => void) | null = null;

  constructor(config: Config, log: Logger, out: NodeJS.WritableStream) {
    this.#config = config;
    this.#log = log;
    this.#out = out;
  }

  async run(): Promise<number> {
    const finished = new Promise<number>((resolve) => {
      this.#finish = resolve;
    });
    process.on('SIGTERM', this.#onTerm);
    process.on('SIGINT', this.#onTerm);
    process.on('SIGHUP', this.#onHup);

    const started = await this.#startWorkers();
    if (started !== null) {
      this.#log.error({ why: started }, 'startup failed');
      process.stderr.write(`dunlin: startup failed: ${started}\n`);
      await this.#stopAll(true);
      this.#removeSignals();
      return 1;
    }
    const setup = await this.#startServices();
    if (setup !== null) {
      process.stderr.write(`dunlin: ${setup}\n`);
      await this.#stopAll(false);
      await this.#closeServices();
      this.#removeSignals();
      return 1;
    }
    this.#phase = 'running';
    const udp = this.#listeners.filter((l) => l.proto === 'udp').map((l) => l.address);
    const tcp = this.#listeners.filter((l) => l.proto === 'tcp').map((l) => l.address);
    this.#log.info({ udp, tcp, workers: this.#config.workers, zones: this.#config.zones.length }, 'dunlin ready');
    this.#out.write(`dunlin ready udp=${udp.join(',')} tcp=${tcp.join(',')} workers=${this.#config.workers} pid=${process.pid}\n`);
    return finished;
  }

  /** Forks every worker and waits until each reports its listeners; returns null or why it failed. */
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
        const slot: Slot = { index: i, worker: null, startedAt: 0, crashes: 0, restartTimer: null };
        this.#slots.push(slot);
        this.#fork(slot, onReady);
      }
    });
  }

  #fork(slot: Slot, onReady: (l: readonly BoundListener[]) => void = () => undefined): void {
    const w = cluster.fork({ [ENV_WORKER_INDEX]: String(slot.index), [ENV_WORKER_CONFIG]: JSON.stringify(this.#config) });
    slot.worker = w;
    slot.startedAt = Date.now();
    w.on('message', (m: unknown) => {
      if (!isWorkerMessage(m)) return;
      switch (m.cmd) {
        case 'dunlin:ready':
          this.#log.info({ worker: slot.index, pid: w.process.pid, zones: m.zones, zoneErrors: m.zoneErrors }, 'worker ready');
          onReady(m.listeners);
          break;
        case 'dunlin:failed':
          this.#log.error({ worker: slot.index, pid: w.process.pid, error: m.error }, 'worker failed to start');
          this.#startupFailed?.(`worker ${slot.index}: ${m.error}`);
          break;
        case 'dunlin:report':
        case 'dunlin:reloaded':
          this.#reply(m.id, w, m.cmd === 'dunlin:report' ? m.report : m.lines);
          break;
      }
    });
    // 'error' on the IPC channel (e.g. EPIPE while the worker dies) must not crash the primary.
    w.on('error', (err) => this.#log.warn({ worker: slot.index, err: err.message }, 'worker channel error'));
    w.on('exit', (code, signal) => this.#onExit(slot, w, code, signal));
  }

  #onExit(slot: Slot, w: Worker, code: number | null, signal: string | null): void {
    if (slot.worker === w) slot.worker = null;
    for (const [id, p] of this.#pending) {
      if (w.id !== undefined && p.expected.delete(w.id) && p.expected.size === 0) this.#settle(id);
    }
    if (this.#phase === 'stopping') {
      this.#log.info({ worker: slot.index, pid: w.process.pid, code, signal }, 'worker exited');
      if (this.#slots.every((s) => s.worker === null)) this.#allExited?.();
      return;
    }
    if (this.#phase === 'starting') {
      this.#startupFailed?.(`worker ${slot.index} (pid ${w.process.pid ?? '?'}) exited during startup (code ${code ?? '-'}, signal ${signal ?? '-'})`);
      return;
    }
    const lived = Date.now() - slot.startedAt;
    if (lived > STABLE_AFTER_MS) slot.crashes = 0;
    slot.crashes++;
    const delay = Math.min(RESTART_MAX_MS, RESTART_BASE_MS * 2 ** (slot.crashes - 1));
    // Exit code 0 without a signal: the worker stopped on its own signal (e.g. Ctrl-C reaches the
    // whole process group before the primary's own handler runs); still restarted unless we stop.
    const clean = code === 0 && signal === null;
    this.#log[clean ? 'warn' : 'error']({ worker: slot.index, pid: w.process.pid, code, signal, livedMs: lived, restartInMs: delay }, clean ? 'worker exited; restarting' : 'worker crashed; restarting');
    slot.restartTimer = setTimeout(() => {
      slot.restartTimer = null;
      if (this.#phase !== 'running') return;
      this.#fork(slot, () => this.#log.info({ worker: slot.index, pid: slot.worker?.process.pid }, 'worker restarted'));
    }, delay);
  }

  #allExited: (() => void) | null = null;

  // ---- request/reply over IPC ----

  #request(cmd: 'dunlin:report' | 'dunlin:reload', timeoutMs: number): Promise<unknown[]> {
    const id = this.#nextId++;
    const live = this.#slots.map((s) => s.worker).filter((w): w is Worker => w !== null && w.isConnected());
    if (live.length === 0) return Promise.resolve([]);
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.#settle(id), timeoutMs);
      timer.unref();
      this.#pending.set(id, { expected: new Set(live.map((w) => w.id)), replies: [], resolve, timer });
      const msg: PrimaryMessage = { cmd, id };
      for (const w of live) this.#sendTo(w, msg);
    });
  }

  #reply(id: number, w: Worker, value: unknown): void {
    const p = this.#pending.get(id);
    if (!p || !p.expected.delete(w.id)) return;
    p.replies.push(value);
    if (p.expected.size === 0) this.#settle(id);
  }

  #settle(id: number): void {
    const p = this.#pending.get(id);
    if (!p) return;
    this.#pending.delete(id);
    clearTimeout(p.timer);
    p.resolve(p.replies);
  }

  #sendTo(w: Worker, msg: PrimaryMessage): void {
    if (!w.isConnected()) return;
    try {
      w.send(msg, undefined, () => undefined);
    } catch (err) {
      this.#log.warn({ worker: w.id, err: err instanceof Error ? err.message : String(err) }, 'cannot reach worker');
    }
  }

  // ---- control handlers ----

  readonly handlers: ControlHandlers = {
    workers: async () => (await this.#request('dunlin:report', REPORT_TIMEOUT_MS)) as WorkerReport[],
    reload: () => this.#reload('control'),
    pids: () => ({
      primary: process.pid,
      workers: this.#slots.map((s) => s.worker?.process.pid).filter((p): p is number => p !== undefined),
    }),
  };

  async #reload(trigger: string): Promise<string[]> {
    if (this.#phase !== 'running') return ['not running'];
    this.#log.info({ trigger }, 'reloading zones');
    const replies = (await this.#request('dunlin:reload', RELOAD_TIMEOUT_MS)) as string[][];
    const lines = replies[0] ?? ['no worker answered'];
    const disagree = replies.some((r) => r.join('\n') !== lines.join('\n'));
    if (disagree) this.#log.warn({ replies }, 'workers reported different reload results');
    for (const line of lines) {
      if (line.includes('error')) this.#log.error({ result: line }, 'zone reload');
      else this.#log.info({ result: line }, 'zone reload');
    }
    return lines;
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
        this.#log.info({ socket: path }, 'control socket listening');
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
        const { startMetricsServer } = await import('../metrics/index.ts');
        const listen = formatAddress(c.metrics.listen);
        const srv = await startMetricsServer({
          listen,
          log: this.#log,
          pids: () => this.handlers.pids(),
          ...(c.metrics.token !== null ? { token: c.metrics.token } : {}),
        });
        this.#closers.push(() => srv.close());
        this.#log.info({ listen, port: srv.port }, 'metrics listening');
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
      for (const s of this.#slots) if (s.worker) this.#sendTo(s.worker, { cmd: 'dunlin:destroy' });
      return;
    }
    if (this.#phase === 'starting') {
      this.#startupFailed?.(`interrupted by ${sig}`);
      return;
    }
    this.#log.info({ signal: sig }, 'shutting down');
    void this.#shutdown();
  };

  async #shutdown(): Promise<void> {
    await this.#stopAll(false);
    await this.#closeServices();
    this.#removeSignals();
    this.#log.info('dunlin stopped');
    this.#finish(0);
  }

  /** Asks every worker to stop (or kills them), waits for all exits within the bound, then SIGKILLs the rest. */
  async #stopAll(kill: boolean): Promise<void> {
    this.#phase = 'stopping';
    for (const s of this.#slots) {
      if (s.restartTimer) clearTimeout(s.restartTimer);
      s.restartTimer = null;
    }
    const alive = (): Worker[] => this.#slots.map((s) => s.worker).filter((w): w is Worker => w !== null);
    if (alive().length === 0) return;
    const exited = new Promise<void>((resolve) => {
      this.#allExited = resolve;
    });
    for (const w of alive()) {
      if (kill) w.process.kill('SIGKILL');
      else this.#sendTo(w, { cmd: 'dunlin:shutdown' });
    }
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.#config.shutdownTimeoutMs + KILL_GRACE_MS);
    });
    const r = await Promise.race([exited, bound]);
    clearTimeout(timer);
    if (r === 'timeout') {
      this.#log.error({ workers: alive().map((w) => w.process.pid) }, 'workers did not stop in time; killing them');
      for (const w of alive()) w.process.kill('SIGKILL');
      await exited;
    }
  }

  #removeSignals(): void {
    process.off('SIGTERM', this.#onTerm);
    process.off('SIGINT', this.#onTerm);
    process.off('SIGHUP', this.#onHup);
  }
}

// Owns the control channel server in the primary: a 0600 unix socket with a key, newline-delimited JSON commands.
import { packageVersion } from './version.ts';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { randomBytes, timingSafeEqual, createHash } from 'node:crypto';
import { chmod, lstat, mkdir, open, stat, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ControlHandlers } from './types.ts';
import { controlKeyPath } from './paths.ts';
import { COMMANDS, MAX_REQUEST_BYTES, type Command, type ControlArgs, type ControlErrorCode, type ControlResponse, type ReloadResult, type StatusResult } from './protocol.ts';
import { SockstatSampler } from './sampler.ts';

export interface ControlLog {
  debug?(o: object, msg?: string): void;
  info(o: object, msg?: string): void;
  warn(o: object, msg?: string): void;
  error(o: object, msg?: string): void;
}

export interface ControlServerOptions {
  readonly path: string;
  readonly handlers: ControlHandlers;
  readonly log: ControlLog;
  /** A control connection idle this long is destroyed (default 10 s). */
  readonly idleTimeoutMs?: number;
  /** At most this many control connections at once (default 16); more are refused with `busy`. */
  readonly maxConnections?: number;
  /** CLOSE_WAIT sockets older than this are reported as leaks (default 5 s). */
  readonly leakAfterMs?: number;
  /** Background CLOSE_WAIT sampling period (default 2 s; 0 disables). */
  readonly sampleIntervalMs?: number;
}

export interface ControlServer {
  close(): Promise<void>;
}

/** A startup failure of the control channel, with a message an operator can act on. */
export class ControlSetupError extends Error {
  readonly code = 'DUNLIN_ERR_CONTROL_SETUP';
  constructor(message: string, options?: { cause: unknown }) {
    super(message, options);
    this.name = 'ControlSetupError';
  }
}

const DEFAULTS = { idleTimeoutMs: 10_000, maxConnections: 16, leakAfterMs: 5000, sampleIntervalMs: 5000 } as const;

function errCode(err: unknown): string | undefined {
  const c = (err as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : undefined;
}

/** True when something accepts connections on `path` (a live server), false on ECONNREFUSED/ENOENT. */
function probe(path: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const s = connect(path);
    const timer = setTimeout(() => { s.destroy(); resolve(true); }, timeoutMs);
    s.once('connect', () => { clearTimeout(timer); s.destroy(); resolve(true); });
    s.once('error', (err) => {
      clearTimeout(timer);
      s.destroy();
      const code = errCode(err);
      if (code === 'ECONNREFUSED' || code === 'ENOENT') resolve(false);
      else reject(err);
    });
  });
}

async function prepareDirectory(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new ControlSetupError(`control: cannot create directory ${dir}: ${errCode(err) ?? String(err)}`, { cause: err });
  }
  const st = await stat(dir);
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid && st.uid !== 0) {
    throw new ControlSetupError(`control: directory ${dir} belongs to uid ${st.uid}, not to us (uid ${uid}); refusing to put the control socket there`);
  }
  // Anyone who can write the directory could replace the socket or read the key file's name race.
  if ((st.mode & 0o022) !== 0 && (st.mode & 0o1000) === 0) {
    throw new ControlSetupError(`control: directory ${dir} is writable by group or others (mode ${(st.mode & 0o7777).toString(8)}); use a private directory`);
  }
}

async function removeStale(path: string, log: ControlLog): Promise<void> {
  let st;
  try {
    st = await lstat(path);
  } catch (err) {
    if (errCode(err) === 'ENOENT') return;
    throw err;
  }
  if (!st.isSocket()) {
    throw new ControlSetupError(`control: ${path} exists and is not a socket; refusing to replace it`);
  }
  if (await probe(path)) {
    throw new ControlSetupError(`control: another server is already answering on ${path}; stop it or choose another --control path`);
  }
  log.warn({ path }, 'control: replacing stale control socket');
  await unlink(path);
}

async function writeKey(path: string): Promise<Buffer> {
  const key = randomBytes(32).toString('hex');
  try { await unlink(path); } catch (err) { if (errCode(err) !== 'ENOENT') throw err; }
  // O_EXCL + 0600: the key never exists with wider permissions, and a planted symlink is not followed.
  const fh = await open(path, 'wx', 0o600);
  try { await fh.writeFile(key + '\n'); } finally { await fh.close(); }
  return Buffer.from(key);
}

/** Constant-time key comparison; hashing first makes lengths equal so length does not leak either. */
function keyMatches(expected: Buffer, presented: unknown): boolean {
  if (typeof presented !== 'string') return false;
  const a = createHash('sha256').update(expected).digest();
  const b = createHash('sha256').update(presented).digest();
  return timingSafeEqual(a, b);
}

/** Commands every server offers (crash-worker exists only under DUNLIN_TEST_HOOKS=1). */
const PUBLIC_COMMANDS = COMMANDS.filter((c) => c !== 'crash-worker');

class RequestError extends Error {
  readonly code: ControlErrorCode;
  constructor(code: ControlErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

export async function startControlServer(opts: ControlServerOptions): Promise<ControlServer> {
  const { path, handlers, log } = opts;
  const idleTimeoutMs = opts.idleTimeoutMs ?? DEFAULTS.idleTimeoutMs;
  const maxConnections = opts.maxConnections ?? DEFAULTS.maxConnections;
  const sampleIntervalMs = opts.sampleIntervalMs ?? DEFAULTS.sampleIntervalMs;
  const keyPath = controlKeyPath(path);

  await prepareDirectory(dirname(path));
  await removeStale(path, log);
  const key = await writeKey(keyPath);
  const sampler = new SockstatSampler(handlers, { leakAfterMs: opts.leakAfterMs ?? DEFAULTS.leakAfterMs });
  const sockets = new Set<Socket>();
  // Commands still running (they may hold /proc files open); close() waits for them.
  const inflight = new Set<Promise<void>>();
  const track = (p: Promise<void>): Promise<void> => {
    inflight.add(p);
    void p.finally(() => inflight.delete(p));
    return p;
  };

  const run = async (command: Command, args: ControlArgs): Promise<unknown> => {
    switch (command) {
      case 'status': {
        const p = handlers.pids();
        const zones = handlers.zones?.() ?? [];
        const s: StatusResult = {
          version: packageVersion(),
          zones: {
            configured: zones.length,
            loaded: zones.filter((z) => z.loadedAt !== null).length,
            failed: zones.filter((z) => z.loadedAt === null || z.last?.status === 'failed').length,
          },
          primary: p.primary, workers: p.workers, threads: handlers.threads?.() ?? [],
          startedAt: new Date(sampler.startedAt).toISOString(), uptimeMs: Date.now() - sampler.startedAt,
        };
        return s;
      }
      case 'sockstat':
        return sampler.sample(args.limit);
      case 'reload': {
        if (args.zone !== undefined) {
          const want = args.zone.toLowerCase().replace(/\.$/, '');
          const known = (handlers.zones?.() ?? []).find((z) => z.zone.toLowerCase().replace(/\.$/, '') === want);
          if (!known) throw new RequestError('unknown-zone', `zone ${args.zone} is not configured`);
          const r: ReloadResult = await handlers.reload(known.zone);
          return r;
        }
        const r: ReloadResult = await handlers.reload();
        return r;
      }
      case 'zones':
        return { zones: handlers.zones?.() ?? [] };
      case 'crash-worker': {
        // Only a server started with DUNLIN_TEST_HOOKS=1 offers this; to every other it does not exist.
        if (!handlers.crashWorker) throw new RequestError('unknown-command', `unknown command; expected one of ${PUBLIC_COMMANDS.join(', ')}`);
        const worker = args.worker ?? 1;
        return { crashed: handlers.crashWorker(worker), worker };
      }
    }
  };

  const parse = (line: string): { command: Command; args: ControlArgs } => {
    let req: unknown;
    try { req = JSON.parse(line); } catch {
      throw new RequestError('bad-request', 'request is not valid JSON');
    }
    if (typeof req !== 'object' || req === null || Array.isArray(req)) throw new RequestError('bad-request', 'request must be a JSON object');
    const r = req as Record<string, unknown>;
    if (!keyMatches(key, r['key'])) throw new RequestError('unauthorized', 'missing or wrong key');
    const command = r['command'];
    if (typeof command !== 'string' || !(COMMANDS as readonly string[]).includes(command)) {
      throw new RequestError('unknown-command', `unknown command; expected one of ${PUBLIC_COMMANDS.join(', ')}`);
    }
    const args: { limit?: number; worker?: number; zone?: string } = {};
    const a = r['args'];
    if (a !== undefined) {
      if (typeof a !== 'object' || a === null) throw new RequestError('bad-request', 'args must be an object');
      const limit = (a as Record<string, unknown>)['limit'];
      if (limit !== undefined) {
        if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 0 || limit > 1_000_000) {
          throw new RequestError('bad-request', 'args.limit must be an integer 0..1000000');
        }
        args.limit = limit;
      }
      const worker = (a as Record<string, unknown>)['worker'];
      if (worker !== undefined) {
        if (typeof worker !== 'number' || !Number.isInteger(worker) || worker < 1 || worker > 1024) {
          throw new RequestError('bad-request', 'args.worker must be an integer 1..1024');
        }
        args.worker = worker;
      }
      const zone = (a as Record<string, unknown>)['zone'];
      if (zone !== undefined) {
        if (typeof zone !== 'string' || zone === '' || zone.length > 255) throw new RequestError('bad-request', 'args.zone must be a zone name');
        args.zone = zone;
      }
    }
    return { command: command as Command, args };
  };

  const onConnection = (socket: Socket): void => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', (err) => log.warn({ err: errCode(err) ?? String(err) }, 'control: connection error'));
    socket.setTimeout(idleTimeoutMs, () => socket.destroy());
    if (sockets.size > maxConnections) {
      socket.resume();
      socket.end(JSON.stringify({ ok: false, error: { code: 'busy', message: 'too many control connections' } }) + '\n');
      return;
    }
    let buffered = '';
    let peerEnded = false;
    // After a fatal error (too large, wrong key) input is read and dropped until the peer's FIN or a short timeout.
    let discard = false;
    let chain = Promise.resolve();
    let pending = 0;

    const reply = (res: ControlResponse): void => {
      if (!socket.destroyed && socket.writable) socket.write(JSON.stringify(res) + '\n');
    };
    const fail = (code: ControlErrorCode, message: string, close: boolean): void => {
      if (close) {
        discard = true;
        socket.setTimeout(1000);
        if (!socket.destroyed && socket.writable) socket.end(JSON.stringify({ ok: false, error: { code, message } }) + '\n');
        else socket.destroy();
      } else {
        reply({ ok: false, error: { code, message } });
      }
    };
    const handleLine = (line: string): void => {
      pending++;
      chain = track(chain.then(async () => {
        if (socket.destroyed || discard) return;
        try {
          const { command, args } = parse(line);
          // debug: `sockstat --watch` asks every second.
          log.debug?.({ command }, 'control: request');
          reply({ ok: true, result: await run(command, args) });
        } catch (err) {
          if (err instanceof RequestError) {
            log.warn({ code: err.code }, 'control: rejected request');
            fail(err.code, err.message, err.code === 'unauthorized');
          } else {
            log.error({ err: err instanceof Error ? err.message : String(err) }, 'control: command failed');
            fail('internal', err instanceof Error ? err.message : String(err), false);
          }
        } finally {
          pending--;
          if (peerEnded && pending === 0 && !socket.destroyed) socket.end();
        }
      }));
    };

    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      if (discard) return;
      buffered += chunk;
      let nl: number;
      while (!discard && (nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (line.trim() !== '') handleLine(line);
      }
      if (Buffer.byteLength(buffered) > MAX_REQUEST_BYTES) {
        buffered = '';
        fail('too-large', `request exceeds ${MAX_REQUEST_BYTES} bytes`, true);
      }
    });
    socket.on('end', () => {
      peerEnded = true;
      if (!discard && buffered.trim() !== '') handleLine(buffered);
      buffered = '';
      if (pending === 0) socket.end();
    });
  };

  // allowHalfOpen: a client may shut down its sending side after the request and still read the answer.
  const server: Server = createServer({ allowHalfOpen: true }, onConnection);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new ControlSetupError(`control: cannot listen on ${path}: ${errCode(err) ?? String(err)}`, { cause: err })));
    server.listen(path, () => resolve());
  }).catch(async (err: unknown) => {
    await unlink(keyPath).catch(() => undefined);
    throw err;
  });
  server.on('error', (err) => log.error({ err: errCode(err) ?? String(err) }, 'control: server error'));
  await chmod(path, 0o600);

  // One tick at a time; close() awaits the one in flight so no /proc file is left open behind it.
  let ticking: Promise<void> | undefined;
  const timer = sampleIntervalMs > 0 ? setInterval(() => {
    ticking ??= sampler.tick()
      .catch((err: unknown) => log.warn({ err: String(err) }, 'control: background sample failed'))
      .finally(() => { ticking = undefined; });
  }, sampleIntervalMs) : undefined;
  timer?.unref();

  log.info({ path, keyFile: keyPath }, 'control: listening');

  let closing: Promise<void> | undefined;
  return {
    close(): Promise<void> {
      closing ??= (async () => {
        if (timer) clearInterval(timer);
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const s of sockets) s.destroy();
        await closed;
        await ticking;
        await Promise.all(inflight);
        await unlink(keyPath).catch(() => undefined);
        // server.close() unlinks the socket path itself; this covers an abrupt listen failure.
        await unlink(path).catch(() => undefined);
      })();
      return closing;
    },
  };
}

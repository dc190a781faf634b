// Owns the test harness: spawn a real `dunlin serve` on port 0, parse its ready line, DNS clients, /proc socket inspection, kill by PID.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import net from 'node:net';
import os from 'node:os';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import dnsPacket from 'dns-packet';
import { controlRequest } from '../../src/control/client.ts';
import type { StatusResult } from '../../src/control/protocol.ts';
import type { WorkerThreadInfo } from '../../src/control/types.ts';

export const ROOT = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');
export const MAIN = join(ROOT, 'src/cli/main.ts');
/** The UDP I/O the suite runs under (`npm run test:dgram` sets DUNLIN_UDP_IO=dgram); spawned servers read the same variable. */
export const UDP_IO: 'auto' | 'batched' | 'dgram' = process.env['DUNLIN_UDP_IO'] === 'dgram' ? 'dgram' : process.env['DUNLIN_UDP_IO'] === 'batched' ? 'batched' : 'auto';

export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

/** Parses "127.0.0.1:53" or "[::1]:53". */
export function parseEndpoint(text: string): Endpoint {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:]+):(\d+)$/.exec(text);
  if (!m) throw new Error(`bad endpoint ${text}`);
  return { host: m[1]!, port: Number(m[2]) };
}

export interface ReadyLine {
  readonly udp: Endpoint[];
  readonly tcp: Endpoint[];
  readonly workers: number;
  readonly pid: number;
  /** Zones served and zones that failed, as the ready line counts them. */
  readonly zones: number;
  readonly failed: number;
}

export const READY_RE = /^dunlin ready udp=(\S*) tcp=(\S*) workers=(\d+) pid=(\d+)(?: zones=(\d+) failed=(\d+))?$/m;

export function parseReadyLine(text: string): ReadyLine | null {
  const m = READY_RE.exec(text);
  if (!m) return null;
  const list = (s: string): Endpoint[] => (s === '' ? [] : s.split(',').map(parseEndpoint));
  return { udp: list(m[1]!), tcp: list(m[2]!), workers: Number(m[3]), pid: Number(m[4]), zones: Number(m[5] ?? 0), failed: Number(m[6] ?? 0) };
}

/** True when this host can bind ::1 (tests skip IPv6 cases otherwise). */
export const HAS_IPV6: boolean = await new Promise<boolean>((resolve) => {
  const s = net.createServer();
  s.once('error', () => resolve(false));
  s.listen({ host: '::1', port: 0, ipv6Only: true }, () => s.close(() => resolve(true)));
});

export interface ServerOptions {
  /** Extra `dunlin serve` arguments (after the defaults below). */
  readonly args?: readonly string[];
  /** YAML text of a config file written into the server's temp dir and passed with --config. */
  readonly config?: string;
  /** Zones to serve: name -> zone file text, written into the temp dir and passed with --zone. */
  readonly zones?: Readonly<Record<string, string>>;
  /** Default 1. */
  readonly workers?: number;
  /** Default ["127.0.0.1:0"]; pass [] to take listen addresses from the config. */
  readonly listen?: readonly string[];
  readonly logLevel?: string;
  readonly env?: Readonly<Record<string, string>>;
  /** How long to wait for the ready line (default 30 s). */
  readonly readyTimeoutMs?: number;
  /** A command the server runs under, e.g. ["prlimit", "--nofile=64:64", "--"]. */
  readonly prefix?: readonly string[];
}

export interface ExitStatus {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

const running = new Set<ChildProcess>();
process.on('exit', () => {
  // Safety net: never leave a server behind if a test forgot stop().
  for (const c of running) {
    if (c.pid !== undefined) for (const w of childPids(c.pid)) tryKill(w, 'SIGKILL');
    c.kill('SIGKILL');
  }
});

function tryKill(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

export class DunlinServer {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly udp: readonly Endpoint[];
  readonly tcp: readonly Endpoint[];
  readonly workers: number;
  readonly ready: ReadyLine;
  /** Temp dir holding zone files, config and the control socket; removed by stop(). */
  readonly dir: string;
  readonly controlSocket: string;
  readonly exited: Promise<ExitStatus>;
  #stdout: () => string;
  #stderr: () => string;

  constructor(child: ChildProcess, ready: ReadyLine, dir: string, controlSocket: string, exited: Promise<ExitStatus>, out: () => string, err: () => string) {
    this.child = child;
    this.pid = ready.pid;
    this.udp = ready.udp;
    this.tcp = ready.tcp;
    this.workers = ready.workers;
    this.ready = ready;
    this.dir = dir;
    this.controlSocket = controlSocket;
    this.exited = exited;
    this.#stdout = out;
    this.#stderr = err;
  }

  /** First UDP/TCP endpoint on 127.0.0.1 (or the first one). */
  get udp4(): Endpoint {
    return this.udp.find((e) => !e.host.includes(':')) ?? this.udp[0]!;
  }

  get tcp4(): Endpoint {
    return this.tcp.find((e) => !e.host.includes(':')) ?? this.tcp[0]!;
  }

  get port(): number {
    return this.tcp4.port;
  }

  stdout(): string {
    return this.#stdout();
  }

  stderr(): string {
    return this.#stderr();
  }

  /** stderr parsed as pino JSON lines (non-JSON lines skipped). */
  logs(): Record<string, unknown>[] {
    const out: Record<string, unknown>[] = [];
    for (const line of this.#stderr().split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        out.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // partial line
      }
    }
    return out;
  }

  async waitForLog(pred: (l: Record<string, unknown>) => boolean, timeoutMs = 10_000): Promise<Record<string, unknown>> {
    let found: Record<string, unknown> | undefined;
    await waitFor(() => (found = this.logs().find(pred)) !== undefined, timeoutMs);
    return found!;
  }

  /** The serving threads (worker index and threadId), from the control socket's `status`. */
  async threads(): Promise<WorkerThreadInfo[]> {
    const st = await controlRequest(this.controlSocket, 'status', { timeoutMs: 5000 }) as StatusResult;
    return [...st.threads];
  }

  /** Asks the control socket to crash one serving thread (the server must run with DUNLIN_TEST_HOOKS=1). */
  async crashWorker(worker: number): Promise<void> {
    const r = await controlRequest(this.controlSocket, 'crash-worker', { args: { worker }, timeoutMs: 5000 }) as { crashed: boolean };
    if (!r.crashed) throw new Error(`worker ${worker} is not running`);
  }

  signal(sig: NodeJS.Signals): void {
    tryKill(this.pid, sig);
  }

  /** SIGTERM, wait up to `timeoutMs`, then SIGKILL the server (its threads go with it). Removes the temp dir. */
  async stop(timeoutMs = 10_000): Promise<ExitStatus & { ms: number }> {
    const t0 = Date.now();
    this.signal('SIGTERM');
    const r = await Promise.race([this.exited, bound(timeoutMs)]);
    if (r === null) this.kill();
    const status = await this.exited;
    rmSync(this.dir, { recursive: true, force: true });
    return { ...status, ms: Date.now() - t0 };
  }

  /** SIGKILL the server now. */
  kill(): void {
    tryKill(this.pid, 'SIGKILL');
  }
}

/** A fresh temp dir (for configs/zones of tests that spawn the server themselves). */
export function tempDir(prefix = 'dunlin-test-'): string {
  return mkdtempSync(join(os.tmpdir(), prefix));
}

function spawnServe(args: readonly string[], env: Readonly<Record<string, string>> | undefined, prefix: readonly string[] = []): { child: ChildProcess; out: () => string; err: () => string; exited: Promise<ExitStatus> } {
  const argv = [...prefix, process.execPath, MAIN, 'serve', ...args];
  const child = spawn(argv[0]!, argv.slice(1), {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  running.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<ExitStatus>((resolve) => {
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    });
  });
  return { child, out: () => stdout, err: () => stderr, exited };
}

/** Starts `dunlin serve` and resolves once it printed its ready line (rejects with stderr if it exits or times out). */
export async function startServer(opts: ServerOptions = {}): Promise<DunlinServer> {
  const dir = tempDir();
  const controlSocket = join(dir, 'control.sock');
  const args: string[] = [];
  if (opts.config !== undefined) {
    const cfg = join(dir, 'dunlin.yaml');
    writeFileSync(cfg, opts.config);
    args.push('--config', cfg);
  }
  for (const l of opts.listen ?? ['127.0.0.1:0']) args.push('--listen', l);
  for (const [name, text] of Object.entries(opts.zones ?? {})) {
    const file = join(dir, `${name.replace(/\.$/, '') || 'root'}.zone`);
    writeFileSync(file, text);
    args.push('--zone', `${name}=${file}`);
  }
  args.push('--workers', String(opts.workers ?? 1), '--control', controlSocket, '--log-level', opts.logLevel ?? 'info');
  args.push(...(opts.args ?? []));
  const { child, out, err, exited } = spawnServe(args, opts.env, opts.prefix);
  const timeoutMs = opts.readyTimeoutMs ?? 30_000;
  const ready = await new Promise<ReadyLine>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`dunlin serve not ready within ${timeoutMs} ms\n${err()}`));
    }, timeoutMs);
    const onData = (): void => {
      const r = parseReadyLine(out());
      if (r) {
        cleanup();
        resolve(r);
      }
    };
    const onExit = (code: number | null, signal: string | null): void => {
      cleanup();
      reject(new Error(`dunlin serve exited before ready (code ${code ?? '-'}, signal ${signal ?? '-'})\n${err()}`));
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      child.off('exit', onExit);
    };
    child.stdout!.on('data', onData);
    child.once('exit', onExit);
  }).catch((e: unknown) => {
    if (child.pid !== undefined) for (const w of childPids(child.pid)) tryKill(w, 'SIGKILL');
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw e;
  });
  return new DunlinServer(child, ready, dir, controlSocket, exited, out, err);
}

/** Runs `dunlin serve ARGS` expecting it to exit by itself (e.g. config errors); kills it after `timeoutMs`. */
export async function runServe(args: readonly string[], timeoutMs = 15_000): Promise<ExitStatus & { stdout: string; stderr: string }> {
  const { child, out, err, exited } = spawnServe(args, undefined);
  const r = await Promise.race([exited, bound(timeoutMs)]);
  if (r === null) {
    if (child.pid !== undefined) for (const w of childPids(child.pid)) tryKill(w, 'SIGKILL');
    child.kill('SIGKILL');
    const s = await exited;
    return { ...s, stdout: out(), stderr: err() + `\n[harness: killed after ${timeoutMs} ms]` };
  }
  return { ...r, stdout: out(), stderr: err() };
}

// ---------------------------------------------------------------- DNS clients

export interface QueryOptions {
  readonly id?: number;
  /** EDNS UDP payload size; false for no OPT record. Default 1232. */
  readonly edns?: number | false;
  readonly dnssecOk?: boolean;
  readonly recursionDesired?: boolean;
}

let nextId = 1;

/** Encodes a query with dns-packet (independent of Dunlin's own codec). */
export function encodeQuery(name: string, type: string, opts: QueryOptions = {}): Buffer {
  const id = opts.id ?? (nextId = (nextId % 65535) + 1);
  const packet: dnsPacket.Packet = {
    type: 'query',
    id,
    flags: opts.recursionDesired ? dnsPacket.RECURSION_DESIRED : 0,
    questions: [{ name, type: type as dnsPacket.RecordType, class: 'IN' }],
  };
  if (opts.edns !== false) {
    packet.additionals = [{ type: 'OPT', name: '.', udpPayloadSize: opts.edns ?? 1232, flags: opts.dnssecOk ? dnsPacket.DNSSEC_OK : 0, options: [] } as unknown as dnsPacket.Answer];
  }
  return dnsPacket.encode(packet);
}

export function decodeResponse(buf: Buffer): dnsPacket.DecodedPacket {
  return dnsPacket.decode(buf);
}

/** Records of a section as {name, type, data}: data of A/AAAA/CNAME/NS as is, others as JSON with byte strings as text (TXT: '["a","b"]'). */
export function answersOf(p: dnsPacket.DecodedPacket, section: 'answers' | 'authorities' | 'additionals' = 'answers'): { name: string; type: string; data: string }[] {
  const list = (p[section] ?? []) as unknown as { name: string; type: string; data?: unknown }[];
  const text = (v: unknown): unknown => (Buffer.isBuffer(v) ? v.toString('latin1') : Array.isArray(v) ? v.map(text) : v);
  return list.map((r) => ({ name: r.name, type: r.type, data: typeof r.data === 'string' ? r.data : JSON.stringify(text(r.data)) }));
}

/** Response code name of a decoded packet ("NOERROR", "NXDOMAIN", ...). */
export function rcodeOf(p: dnsPacket.DecodedPacket): string {
  return (p as { rcode?: string }).rcode ?? 'NOERROR';
}

/** One UDP query; rejects after `timeoutMs`. The socket is always closed. */
export function queryUdp(ep: Endpoint, query: Buffer, timeoutMs = 2_000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket(ep.host.includes(':') ? 'udp6' : 'udp4');
    const id = query.readUInt16BE(0);
    const done = (err: Error | null, msg?: Buffer): void => {
      clearTimeout(timer);
      s.close();
      if (err) reject(err);
      else resolve(msg!);
    };
    const timer = setTimeout(() => done(new Error(`udp query to ${ep.host}:${ep.port} timed out`)), timeoutMs);
    s.on('error', (e) => done(e));
    s.on('message', (msg) => {
      if (msg.length >= 2 && msg.readUInt16BE(0) === id) done(null, msg);
    });
    s.send(query, ep.port, ep.host);
  });
}

/** Frames a message with its RFC 1035 §4.2.2 two-byte length. */
export function frame(msg: Uint8Array): Buffer {
  const b = Buffer.alloc(2 + msg.length);
  b.writeUInt16BE(msg.length, 0);
  b.set(msg, 2);
  return b;
}

/** A raw TCP DNS client for transport tests: write arbitrary bytes, read framed responses, observe the close. */
export class TcpClient {
  readonly socket: net.Socket;
  readonly closed: Promise<{ hadError: boolean }>;
  /** Resolves when the server's FIN arrived. */
  readonly ended: Promise<void>;
  #buf = Buffer.alloc(0);
  #frames: Buffer[] = [];
  #waiters: (() => void)[] = [];
  #isEnded = false;
  #error: Error | null = null;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('data', (d: Buffer) => {
      this.#buf = Buffer.concat([this.#buf, d]);
      while (this.#buf.length >= 2) {
        const len = this.#buf.readUInt16BE(0);
        if (this.#buf.length < 2 + len) break;
        this.#frames.push(this.#buf.subarray(2, 2 + len));
        this.#buf = this.#buf.subarray(2 + len);
      }
      this.#wake();
    });
    this.ended = new Promise((resolve) => socket.once('end', () => {
      this.#isEnded = true;
      this.#wake();
      resolve();
    }));
    socket.on('error', (e) => {
      this.#error = e;
      this.#wake();
    });
    this.closed = new Promise((resolve) => socket.once('close', (hadError) => {
      this.#isEnded = true;
      this.#wake();
      resolve({ hadError });
    }));
  }

  static connect(ep: Endpoint, timeoutMs = 2_000): Promise<TcpClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host: ep.host, port: ep.port });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new Error('tcp connect timed out'));
      }, timeoutMs);
      s.once('error', (e) => {
        clearTimeout(timer);
        s.destroy();
        reject(e);
      });
      s.once('connect', () => {
        clearTimeout(timer);
        s.removeAllListeners('error');
        s.setNoDelay(true);
        resolve(new TcpClient(s));
      });
    });
  }

  #wake(): void {
    const w = this.#waiters.splice(0);
    for (const f of w) f();
  }

  write(bytes: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => this.socket.write(bytes, (err) => (err ? reject(err) : resolve())));
  }

  /** Sends FIN (half-close); the server may still answer. */
  end(): void {
    this.socket.end();
  }

  /** Frames received so far and not yet taken. */
  get pending(): number {
    return this.#frames.length;
  }

  get isEnded(): boolean {
    return this.#isEnded;
  }

  /** Waits for `n` response frames; rejects on timeout or if the connection ends first. */
  async read(n = 1, timeoutMs = 3_000): Promise<Buffer[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.#frames.length < n) {
      if (this.#isEnded || this.#error) throw new Error(`connection ended after ${this.#frames.length} of ${n} frames${this.#error ? `: ${this.#error.message}` : ''}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${n} frames (got ${this.#frames.length})`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.#frames.splice(0, n);
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** Sends `queries` pipelined on one TCP connection and returns the responses in arrival order; always closes. */
export async function queryTcp(ep: Endpoint, queries: readonly Buffer[], timeoutMs = 3_000): Promise<Buffer[]> {
  const c = await TcpClient.connect(ep, timeoutMs);
  try {
    await c.write(Buffer.concat(queries.map(frame)));
    return await c.read(queries.length, timeoutMs);
  } finally {
    c.destroy();
  }
}

// ---------------------------------------------------------------- /proc inspection

/** Open file descriptors of `pid`. */
export function fdCount(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** Socket inodes held by `pid`. */
export function socketInodes(pid: number): Set<string> {
  const out = new Set<string>();
  let entries: string[];
  try {
    entries = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return out;
  }
  for (const fd of entries) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) out.add(m[1]!);
    } catch {
      // fd closed meanwhile
    }
  }
  return out;
}

const TCP_STATES: Record<string, string> = {
  '01': 'ESTABLISHED', '02': 'SYN_SENT', '03': 'SYN_RECV', '04': 'FIN_WAIT1', '05': 'FIN_WAIT2', '06': 'TIME_WAIT',
  '07': 'CLOSE', '08': 'CLOSE_WAIT', '09': 'LAST_ACK', '0A': 'LISTEN', '0B': 'CLOSING', '0C': 'NEW_SYN_RECV',
};

/** Counts of TCP states of the sockets held by `pid` (and, with `tree`, by its children). */
export function tcpStates(pid: number, tree = true): Record<string, number> {
  const inodes = socketInodes(pid);
  if (tree) for (const c of childPids(pid)) for (const i of socketInodes(c)) inodes.add(i);
  const counts: Record<string, number> = {};
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(file, 'latin1');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10 || !inodes.has(cols[9]!)) continue;
      const st = TCP_STATES[cols[3]!] ?? cols[3]!;
      counts[st] = (counts[st] ?? 0) + 1;
    }
  }
  return counts;
}

/** Direct children of `pid` (from /proc/<n>/stat). */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'latin1');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(e));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Like sleep, but does not keep the test process alive (for race() bounds). */
function bound(ms: number): Promise<null> {
  return new Promise((resolve) => setTimeout(() => resolve(null), ms).unref());
}

/** Polls `pred` every `intervalMs` until true; rejects after `timeoutMs`. */
export async function waitFor(pred: () => boolean | Promise<boolean>, timeoutMs = 10_000, intervalMs = 25): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await pred()) return;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(intervalMs);
  }
}

/** A small valid zone for tests: SOA, NS, A/AAAA, MX, TXT, CNAME, wildcard. */
export function sampleZone(origin = 'example.test.', serial = 1): string {
  return `$ORIGIN ${origin}
$TTL 300
@     IN SOA ns1 hostmaster ${serial} 7200 3600 1209600 300
@     IN NS  ns1
@     IN A   192.0.2.1
@     IN MX  10 mail
@     IN TXT "serial ${serial}"
ns1   IN A   192.0.2.53
mail  IN A   192.0.2.25
www   IN CNAME @
v6    IN AAAA 2001:db8::1
*.wild IN A  192.0.2.99
`;
}

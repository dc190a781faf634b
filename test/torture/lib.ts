// Torture-test helpers: raw TCP clients that misbehave on purpose, continuous probes, and server fd/CLOSE_WAIT sampling.
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { fdCount, tcpStates, encodeQuery, decodeResponse, queryUdp, queryTcp, frame, sleep } from '../helpers/harness.ts';
import type { Endpoint } from '../helpers/harness.ts';

export { frame, encodeQuery, decodeResponse, sleep };

/** Runs `fn(i)` for i in [0, n) with at most `concurrency` in flight; rejects with the first error. */
export async function pool<T>(n: number, concurrency: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array<T>(n);
  let next = 0;
  const lanes = Array.from({ length: Math.min(n, concurrency) }, async () => {
    while (next < n) {
      const i = next++;
      out[i] = await fn(i);
    }
  });
  await Promise.all(lanes);
  return out;
}

export interface RawConn {
  readonly socket: net.Socket;
  readonly data: Buffer[];
  /** Resolves when the socket is fully closed, with the time it closed and whether the server sent FIN first. */
  readonly closed: Promise<{ at: number; serverEnded: boolean }>;
  serverEnded: boolean;
}

/** Connects with allowHalfOpen (so our FIN and the server's FIN are separate events); errors are recorded, never thrown. */
export function rawConnect(ep: Endpoint, timeoutMs = 5000): Promise<RawConn> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: ep.host, port: ep.port, allowHalfOpen: true });
    const data: Buffer[] = [];
    const conn: RawConn = {
      socket, data, serverEnded: false,
      closed: new Promise((res) => socket.once('close', () => res({ at: Date.now(), serverEnded: conn.serverEnded }))),
    };
    const timer = setTimeout(() => { socket.destroy(); reject(new Error('connect timed out')); }, timeoutMs);
    socket.on('data', (d: Buffer) => data.push(d));
    socket.on('end', () => {
      conn.serverEnded = true;
      // Our side: once the server is done, close too (the server's socket must not wait on us).
      socket.end();
    });
    socket.on('error', () => { /* resets are expected in several scenarios */ });
    socket.once('connect', () => { clearTimeout(timer); resolve(conn); });
    socket.once('error', (e) => { clearTimeout(timer); reject(e); });
  });
}

/** Splits a byte stream of 2-byte-length frames. */
export function frames(chunks: readonly Buffer[]): Buffer[] {
  let b = Buffer.concat(chunks);
  const out: Buffer[] = [];
  while (b.length >= 2 && b.length >= 2 + b.readUInt16BE(0)) {
    out.push(b.subarray(2, 2 + b.readUInt16BE(0)));
    b = b.subarray(2 + b.readUInt16BE(0));
  }
  return out;
}

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_r, reject) => { timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms); }),
  ]);
}

/** A query for www.example.test./A with a given id. */
export function wwwQuery(id: number): Buffer {
  return encodeQuery('www.example.test.', 'A', { id, edns: false });
}

export function isGoodAnswer(buf: Buffer, id: number): boolean {
  const p = decodeResponse(buf);
  if (p.id !== id || p.type !== 'response') return false;
  return (p.answers ?? []).some((a) => a.type === 'A' && a.data === '192.0.2.1');
}

export function garbage(n: number): Buffer {
  return randomBytes(n);
}

/** UDP and TCP probes in parallel, every `everyMs`, counting correct answers and failures. */
export class Prober {
  ok = { udp: 0, tcp: 0 };
  failures: string[] = [];
  #running = true;
  #paused = false;
  #loop: Promise<void>;
  #idle: Promise<void> = Promise.resolve();
  #id = 1;

  constructor(udp: Endpoint, tcp: Endpoint, everyMs = 100) {
    this.#loop = (async () => {
      while (this.#running) {
        if (!this.#paused) {
          const round = this.#round(udp, tcp);
          this.#idle = round;
          await round;
        }
        await sleep(everyMs);
      }
    })();
  }

  async #round(udp: Endpoint, tcp: Endpoint): Promise<void> {
    const idU = (this.#id = (this.#id % 60000) + 1);
    const idT = (this.#id = (this.#id % 60000) + 1);
    await Promise.all([
      queryUdp(udp, wwwQuery(idU), 2000).then(
        (r) => { if (isGoodAnswer(r, idU)) this.ok.udp++; else this.failures.push('udp: wrong answer'); },
        (e: unknown) => { this.failures.push(`udp: ${e instanceof Error ? e.message : String(e)}`); },
      ),
      queryTcp(tcp, [wwwQuery(idT)], 2000).then(
        ([r]) => { if (r && isGoodAnswer(r, idT)) this.ok.tcp++; else this.failures.push('tcp: wrong answer'); },
        (e: unknown) => { this.failures.push(`tcp: ${e instanceof Error ? e.message : String(e)}`); },
      ),
    ]);
  }

  /** Stops probing (after the round in flight) so fd counts are not disturbed by the probe's own connection. */
  async pause(): Promise<void> {
    this.#paused = true;
    await this.#idle;
  }

  resume(): void {
    this.#paused = false;
  }

  async stop(): Promise<void> {
    this.#running = false;
    await this.#loop;
  }
}

export interface ServerCounts {
  readonly fds: Map<number, number>;
  readonly closeWait: number;
  readonly established: number;
}

/** fds of each server pid and the kernel states of the sockets they hold (independent /proc reader from the harness). */
export function serverCounts(pids: readonly number[]): ServerCounts {
  const fds = new Map<number, number>();
  let closeWait = 0;
  let established = 0;
  for (const pid of pids) {
    fds.set(pid, fdCount(pid));
    const st = tcpStates(pid, false);
    closeWait += st['CLOSE_WAIT'] ?? 0;
    established += st['ESTABLISHED'] ?? 0;
  }
  return { fds, closeWait, established };
}

export function totalFds(c: ServerCounts): number {
  let n = 0;
  for (const v of c.fds.values()) n += v;
  return n;
}

/** Samples server counts every `everyMs` and keeps the peaks. */
export class PeakSampler {
  peakFds = 0;
  peakCloseWait = 0;
  #timer: NodeJS.Timeout;
  constructor(pids: readonly number[], everyMs = 50) {
    const tick = (): void => {
      try {
        const c = serverCounts(pids);
        this.peakFds = Math.max(this.peakFds, totalFds(c));
        this.peakCloseWait = Math.max(this.peakCloseWait, c.closeWait);
      } catch {
        // a process vanished: the test's pid check reports it
      }
    };
    tick();
    this.#timer = setInterval(tick, everyMs);
  }
  stop(): void {
    clearInterval(this.#timer);
  }
}

// Owns the UDP sockets of one process: IPv4/IPv6 binds with SO_REUSEPORT, socket buffers, the per-datagram hot path.
import dgram from 'node:dgram';
import dns from 'node:dns';
import net from 'node:net';
import type { Logger } from 'pino';
import { LogRateLimiter } from '../log/index.ts';
import { failureAnswer } from '../responder/responder.ts';
import type { Answer, AnswerStream, RespondFn } from '../responder/types.ts';
import { UdpContext } from './context.ts';
import { TCP_DEFAULTS, UDP_MAX_ANSWERS_IN_FLIGHT, UDP_SOCKET_BUFFER_BYTES } from './limits.ts';
import type { BoundAddress, ListenAddress } from './tcp.ts';

export interface UdpTransportOptions {
  readonly respond: RespondFn;
  readonly log?: Logger | null;
  /** SO_REUSEPORT: every worker binds its own socket on the same port; the kernel spreads datagrams. */
  readonly reusePort?: boolean;
  /** Requested SO_RCVBUF/SO_SNDBUF; halved until the kernel accepts it. */
  readonly socketBufferBytes?: number;
  /** An asynchronous answer not ready after this long is answered SERVFAIL and its signal aborted (default 5000). */
  readonly answerTimeoutMs?: number;
  /** Asynchronous answers in progress per socket; beyond it, a new one is aborted and its query dropped (default 1000). */
  readonly maxAnswersInFlight?: number;
}

/** What one bound socket owns besides the socket: its reused context and its count of answers in progress. */
interface SocketState {
  readonly socket: dgram.Socket;
  readonly ctx: UdpContext;
  inFlight: number;
  closed: boolean;
}

/** An asynchronous answer in progress: its timeout and, if the handler asked for one, its abort controller. */
interface Pending {
  readonly state: SocketState;
  readonly ac: AbortController | null;
  timer: NodeJS.Timeout | null;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string, family: number) => void;

let lastLiteral = '';
let lastFamily = 0;

/**
 * dgram resolves the destination of every send() through `lookup`; the default (dns.lookup) defers
 * even an IP literal to the next tick. Peers of a datagram are always IP literals (rinfo.address),
 * so answer those synchronously and send at once; anything else goes to dns.lookup.
 */
function literalLookup(address: string, options: dns.LookupOneOptions | number, cb: LookupCallback): void {
  // Answers usually go back to the same few resolvers: remember the last literal (isIP is a regex).
  if (address === lastLiteral) {
    cb(null, address, lastFamily);
    return;
  }
  const f = net.isIP(address);
  if (f !== 0) {
    lastLiteral = address;
    lastFamily = f;
    cb(null, address, f);
  } else if (typeof options === 'number') {
    dns.lookup(address, options, cb);
  } else {
    dns.lookup(address, options, cb);
  }
}

export class UdpTransport {
  readonly #respond: RespondFn;
  readonly #log: Logger | null;
  readonly #reusePort: boolean;
  readonly #bufferBytes: number;
  readonly #sockets: dgram.Socket[] = [];
  readonly #states: SocketState[] = [];
  readonly #pending = new Set<Pending>();
  readonly #answerTimeoutMs: number;
  readonly #maxInFlight: number;
  readonly #sendErrors = new LogRateLimiter(10_000, 5);
  #queries = 0;
  #dropped = 0;
  #sendFailures = 0;
  #closed = false;

  constructor(opts: UdpTransportOptions) {
    this.#respond = opts.respond;
    this.#log = opts.log ?? null;
    this.#reusePort = opts.reusePort ?? false;
    this.#bufferBytes = opts.socketBufferBytes ?? UDP_SOCKET_BUFFER_BYTES;
    this.#answerTimeoutMs = opts.answerTimeoutMs ?? TCP_DEFAULTS.answerTimeoutMs;
    this.#maxInFlight = opts.maxAnswersInFlight ?? UDP_MAX_ANSWERS_IN_FLIGHT;
  }

  /** Asynchronous answers in progress (all sockets). */
  get answersInFlight(): number {
    return this.#pending.size;
  }

  /** Datagrams received. */
  get queries(): number {
    return this.#queries;
  }

  /** Datagrams the responder chose not to answer, or that made it throw. */
  get dropped(): number {
    return this.#dropped;
  }

  get sendFailures(): number {
    return this.#sendFailures;
  }

  async bind(addr: ListenAddress): Promise<BoundAddress> {
    if (this.#closed) throw new Error('udp transport is closed');
    const v6 = net.isIPv6(addr.host);
    const socket = dgram.createSocket({ type: v6 ? 'udp6' : 'udp4', reuseAddr: false, reusePort: this.#reusePort, ipv6Only: v6, lookup: literalLookup });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ address: addr.host, port: addr.port, exclusive: true }, () => {
        socket.off('error', reject);
        resolve();
      });
    }).catch((err: unknown) => {
      socket.close();
      throw err;
    });
    this.#sockets.push(socket);
    this.#tuneBuffers(socket);
    socket.on('error', (err: NodeJS.ErrnoException) => this.#onError(err));
    const state: SocketState = { socket, ctx: new UdpContext(socket), inFlight: 0, closed: false };
    this.#states.push(state);
    socket.on('message', this.#handler(state));
    const a = socket.address();
    return { host: a.address, port: a.port, family: a.family === 'IPv6' ? 'IPv6' : 'IPv4' };
  }

  /** One closure per socket; nothing is allocated per datagram here beyond what dgram does. */
  #handler(state: SocketState): (msg: Buffer, rinfo: dgram.RemoteInfo) => void {
    const respond = this.#respond;
    const { socket, ctx } = state;
    return (msg, rinfo) => {
      this.#queries++;
      ctx.rinfo = rinfo;
      ctx.begin();
      let out: Answer | Promise<Answer> | AnswerStream;
      try {
        out = respond(msg, ctx);
      } catch (err) {
        // RespondFn must never throw; a bug there drops one datagram, never the process.
        this.#dropped++;
        if (this.#sendErrors.take() >= 0) this.#log?.error({ err }, 'responder threw on a udp query');
        return;
      }
      if (out instanceof Uint8Array) {
        // The responder hands over a buffer it never touches again (RespondFn contract), so dgram may
        // keep it when the kernel queue is full: no copy. Errors surface on 'error' (no callback: no
        // closure per send).
        socket.send(out, rinfo.port, rinfo.address);
        return;
      }
      if (out === null) {
        this.#dropped++;
        return;
      }
      this.#later(state, out, msg, rinfo, ctx.takeController());
    };
  }

  /** An answer that is not ready yet: sent when it resolves, SERVFAIL after the timeout, dropped if the socket closed. */
  #later(state: SocketState, out: Promise<Answer> | AnswerStream, query: Buffer, rinfo: dgram.RemoteInfo, ac: AbortController | null): void {
    if (!(out instanceof Promise)) {
      // A stream over UDP is a handler bug (transfers stream over TCP only, RFC 5936 §4.2): release it, drop.
      this.#dropped++;
      ac?.abort();
      try {
        const r: unknown = out.messages.return?.();
        if (r instanceof Promise) r.catch(() => undefined);
      } catch {
        // a handler's iterator that throws on return() must not take the socket's listener down
      }
      return;
    }
    if (state.inFlight >= this.#maxInFlight) {
      // Dropped rather than SERVFAIL: a UDP client retries anyway, and a resolver may cache a
      // SERVFAIL for minutes (RFC 2308 §7.1); the work already started is aborted at once.
      this.#dropped++;
      ac?.abort();
      out.catch(() => undefined);
      return;
    }
    state.inFlight++;
    const p: Pending = { state, ac, timer: null };
    this.#pending.add(p);
    const finish = (answer: Answer, timedOut: boolean): void => {
      if (!this.#pending.delete(p)) return; // already answered, timed out, or the transport closed
      state.inFlight--;
      if (p.timer !== null) clearTimeout(p.timer);
      p.timer = null;
      if (timedOut) ac?.abort();
      if (answer === null || state.closed) {
        this.#dropped++;
        return;
      }
      state.socket.send(answer, rinfo.port, rinfo.address);
    };
    p.timer = setTimeout(() => finish(failureAnswer(query), true), this.#answerTimeoutMs);
    p.timer.unref();
    out.then((a) => finish(a, false), () => finish(failureAnswer(query), false));
  }

  #onError(err: NodeJS.ErrnoException): void {
    // Send errors (ENOBUFS, EAGAIN, EPERM from a firewall, unreachable peers) never stop the socket.
    this.#sendFailures++;
    const suppressed = this.#sendErrors.take();
    if (suppressed >= 0) this.#log?.warn({ code: err.code, syscall: err.syscall, suppressed }, 'udp socket error');
  }

  #tuneBuffers(socket: dgram.Socket): void {
    // Bursts of queries must not overflow the kernel's default ~208 KiB buffer; the kernel may cap
    // the request (net.core.rmem_max), so halve until it is accepted.
    for (const [set, name] of [
      [(n: number) => socket.setRecvBufferSize(n), 'SO_RCVBUF'],
      [(n: number) => socket.setSendBufferSize(n), 'SO_SNDBUF'],
    ] as const) {
      for (let size = this.#bufferBytes; size >= 64 * 1024; size >>>= 1) {
        try {
          set(size);
          break;
        } catch {
          this.#log?.debug({ option: name, size }, 'socket buffer size refused; trying smaller');
        }
      }
    }
  }

  /** Actual buffer sizes of the first socket (for logs and tests). */
  bufferSizes(): { recv: number; send: number } | null {
    const s = this.#sockets[0];
    if (s === undefined) return null;
    return { recv: s.getRecvBufferSize(), send: s.getSendBufferSize() };
  }

  /** Closes the sockets at once; answers still in progress are aborted and never sent. */
  close(): Promise<void> {
    this.#closed = true;
    for (const st of this.#states.splice(0)) st.closed = true;
    for (const p of this.#pending) {
      if (p.timer !== null) clearTimeout(p.timer);
      p.timer = null;
      p.ac?.abort();
    }
    this.#pending.clear();
    const sockets = this.#sockets.splice(0);
    return Promise.all(sockets.map((s) => new Promise<void>((resolve) => {
      try {
        s.close(() => resolve());
      } catch {
        resolve();
      }
    }))).then(() => undefined);
  }
}

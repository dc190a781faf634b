// Owns the UDP sockets of one process: IPv4/IPv6 binds with SO_REUSEPORT, socket buffers, the hot path (batched through the addon, or dgram per datagram).
import dgram from 'node:dgram';
import dns from 'node:dns';
import net from 'node:net';
import type { Logger } from 'pino';
import { LogRateLimiter } from '../log/index.ts';
import { failureAnswer, inPlaceResponder } from '../responder/responder.ts';
import type { InPlaceResponder } from '../responder/responder.ts';
import type { Answer, AnswerStream, QueryResult, RespondFn } from '../responder/types.ts';
import { BatchUdpContext, PEER_BYTES, UdpContext } from './context.ts';
import { udpAddon } from './native.ts';
import type { UdpAddon, UdpIo } from './native.ts';
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
  /** `batched`: recvmmsg/sendmmsg through native/dunlin_udp.c (bind fails without it); `dgram`: node:dgram; `auto` (default): batched when the addon loads. */
  readonly io?: UdpIo;
}

/** What one bound socket owns besides the socket: its count of answers in progress, whether it closed. */
interface SocketState {
  inFlight: number;
  closed: boolean;
}

/** A dgram socket and its reused context. */
interface DgramState extends SocketState {
  readonly socket: dgram.Socket;
  readonly ctx: UdpContext;
}

/** A batched socket: the addon's handle and the buffers it shares with JS, all created once. */
interface BatchState extends SocketState {
  readonly handle: object;
  /** One view per receive slot, each the slot's full size (the datagram's length is in `lens`). */
  readonly views: readonly Uint8Array[];
  readonly lens: Int32Array;
  readonly peers: Uint8Array;
  readonly out: Uint8Array;
  readonly meta: Int32Array;
  readonly ctx: BatchUdpContext;
  readonly buffers: { recv: number; send: number };
}

/** The in-place form of a RespondFn that createResponder did not make: its answer copied into the batch. */
function copyingResponder(respond: RespondFn): InPlaceResponder {
  let taken: QueryResult = null;
  return {
    maxAnswer: 0,
    into(query, n, ctx, out, at) {
      const r = respond(query.subarray(0, n), ctx);
      if (r === null) return 0;
      if (r instanceof Uint8Array && r.length > 0 && at + r.length <= out.length) {
        out.set(r, at);
        return r.length;
      }
      taken = r;
      return -1;
    },
    take() {
      const r = taken;
      taken = null;
      return r;
    },
  };
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
  readonly #batched: BatchState[] = [];
  readonly #addon: UdpAddon | null;
  readonly #io: 'batched' | 'dgram';
  readonly #ioReason: string;
  readonly #inPlace: InPlaceResponder;
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
    this.#inPlace = inPlaceResponder(this.#respond) ?? copyingResponder(this.#respond);
    const io = opts.io ?? 'auto';
    const { addon, why } = io === 'dgram' ? { addon: null, why: 'udp.io is dgram' } : udpAddon();
    if (io === 'batched' && addon === null) throw new Error(`udp.io is batched but the addon is unavailable: ${why}`);
    this.#addon = addon;
    this.#io = addon === null ? 'dgram' : 'batched';
    this.#ioReason = why;
  }

  /** The UDP I/O in use: `batched` (recvmmsg/sendmmsg addon) or `dgram`. */
  get io(): 'batched' | 'dgram' {
    return this.#io;
  }

  /** Why this I/O: 'loaded', or why the addon is not used. */
  get ioReason(): string {
    return this.#ioReason;
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
    // A zone index (fe80::1%eth0) is not an inet_pton address: such a socket stays on dgram.
    if (this.#addon !== null && !addr.host.includes('%')) return this.#bindBatched(this.#addon, addr, v6);
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
    const state: DgramState = { socket, ctx: new UdpContext(socket), inFlight: 0, closed: false };
    this.#states.push(state);
    socket.on('message', this.#handler(state));
    const a = socket.address();
    return { host: a.address, port: a.port, family: a.family === 'IPv6' ? 'IPv6' : 'IPv4' };
  }

  #bindBatched(addon: UdpAddon, addr: ListenAddress, v6: boolean): BoundAddress {
    let st: BatchState | null = null;
    const [handle, input, lens, peers, out, meta, port, recv, send] = addon.open(addr.host, addr.port, v6, this.#reusePort, this.#bufferBytes, (n) => {
      if (st !== null) this.#onBatch(addon, st, n);
    });
    const views: Uint8Array[] = [];
    for (let i = 0; i < addon.slots; i++) views.push(new Uint8Array(input, i * addon.slotBytes, addon.slotBytes));
    const peerBytes = new Uint8Array(peers);
    st = {
      handle, views, lens: new Int32Array(lens), peers: peerBytes, out: new Uint8Array(out), meta: new Int32Array(meta),
      ctx: new BatchUdpContext(peerBytes, addr.host, port), buffers: { recv, send }, inFlight: 0, closed: false,
    };
    this.#batched.push(st);
    this.#states.push(st);
    return { host: addr.host, port, family: v6 ? 'IPv6' : 'IPv4' };
  }

  /**
   * One call per recvmmsg batch: every answer is written into the shared output buffer and the
   * lot goes out in one sendmmsg. Nothing is allocated per datagram on the synchronous path.
   */
  #onBatch(addon: UdpAddon, st: BatchState, n: number): void {
    if (st.closed) return;
    const { views, lens, out, meta, ctx } = st;
    const inPlace = this.#inPlace;
    const room = inPlace.maxAnswer;
    let at = 0;
    let m = 0;
    for (let i = 0; i < n; i++) {
      this.#queries++;
      const len = lens[i]!;
      if (len < 0) {
        this.#dropped++; // larger than a slot (cannot happen with 64 KiB slots; counted all the same)
        continue;
      }
      if (out.length - at < room) {
        this.#flush(addon, st, m);
        at = 0;
        m = 0;
      }
      ctx.slot = i;
      ctx.begin();
      let w: number;
      try {
        w = inPlace.into(views[i]!, len, ctx, out, at);
      } catch (err) {
        // RespondFn must never throw; a bug there drops one datagram, never the process.
        this.#dropped++;
        if (this.#sendErrors.take() >= 0) this.#log?.error({ err }, 'responder threw on a udp query');
        continue;
      }
      if (w > 0) {
        meta[3 * m] = i;
        meta[3 * m + 1] = at;
        meta[3 * m + 2] = w;
        m++;
        at += w;
        continue;
      }
      if (w === 0) {
        this.#dropped++;
        continue;
      }
      // Not answered in place: bytes that did not fit, a Promise (NOTIFY, UPDATE) or a stream.
      const r = inPlace.take();
      const peer = st.peers.slice(i * PEER_BYTES, (i + 1) * PEER_BYTES);
      if (r instanceof Uint8Array) this.#sendOne(addon, st, r, peer);
      else if (r === null) this.#dropped++;
      else this.#later(st, r, views[i]!.slice(0, len), (a) => this.#sendOne(addon, st, a, peer), ctx.takeController());
    }
    if (m > 0) this.#flush(addon, st, m);
  }

  #flush(addon: UdpAddon, st: BatchState, m: number): void {
    if (m === 0 || st.closed) return;
    const sent = addon.send(st.handle, m);
    if (sent < m) this.#onError({ code: addon.lastError(st.handle), syscall: 'sendmmsg' }, m - sent);
  }

  #sendOne(addon: UdpAddon, st: BatchState, bytes: Uint8Array, peer: Uint8Array): void {
    if (st.closed) return;
    const r = addon.sendTo(st.handle, bytes, peer);
    if (r !== 0) this.#onError({ code: r, syscall: 'sendto' }, 1);
  }

  /** One closure per socket; nothing is allocated per datagram here beyond what dgram does. */
  #handler(state: DgramState): (msg: Buffer, rinfo: dgram.RemoteInfo) => void {
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
      this.#later(state, out, msg, (a) => socket.send(a, rinfo.port, rinfo.address), ctx.takeController());
    };
  }

  /** An answer that is not ready yet: sent when it resolves, SERVFAIL after the timeout, dropped if the socket closed. */
  #later(state: SocketState, out: Promise<Answer> | AnswerStream, query: Uint8Array, send: (answer: Uint8Array) => void, ac: AbortController | null): void {
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
      send(answer);
    };
    p.timer = setTimeout(() => finish(failureAnswer(query), true), this.#answerTimeoutMs);
    p.timer.unref();
    out.then((a) => finish(a, false), () => finish(failureAnswer(query), false));
  }

  #onError(err: { readonly code?: string | undefined; readonly syscall?: string | undefined }, count = 1): void {
    // Send errors (ENOBUFS, EAGAIN, EPERM from a firewall, unreachable peers) never stop the socket.
    this.#sendFailures += count;
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
    const b = this.#batched[0];
    if (b !== undefined) return { ...b.buffers };
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
    // The addon closes its fd at once (uv_poll_stop, close(2)); libuv frees the poll handle later.
    for (const b of this.#batched.splice(0)) this.#addon?.close(b.handle);
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

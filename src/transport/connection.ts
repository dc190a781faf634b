// Owns one TCP connection's life: RFC 7766 framing, pipelined, asynchronous and streamed answers, timeouts, backpressure, and its one exit path.
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { formatHostPort } from '../wire/bytes.ts';
import { failureAnswer } from '../responder/responder.ts';
import type { Answer, AnswerStream, RespondFn } from '../responder/types.ts';
import { TcpContext } from './context.ts';
import { FrameBatch, FrameDecoder, MAX_FRAME } from './framing.ts';
import type { TcpLimits } from './limits.ts';
import type { ConnectionRegistry, TrackedConnection } from './registry.ts';
import type { CloseReason, ConnState, ConnectionSnapshot } from './registry-types.ts';
import type { Timed, TimerList, TimerQueue } from './timers.ts';

/** What a connection needs from the transport that accepted it. */
export interface ConnectionOwner {
  readonly respond: RespondFn;
  readonly limits: TcpLimits;
  readonly registry: ConnectionRegistry;
  readonly log: Logger | null;
  /** The deadlines of every connection of the transport. */
  readonly timers: TimerQueue;
  /** Queries answered over this transport (all connections). */
  queries: number;
  /** The idle timeout now (shorter when the transport is busy). */
  idleTimeoutMs(): number;
  /** Called once, synchronously, when destroy() is first requested. */
  connectionDestroying(c: Connection): void;
  /** Called once, from the socket's 'close' event, after the connection left the registry. */
  connectionClosed(c: Connection, reason: CloseReason): void;
}

/** The socket's connection: the socket listeners are shared functions that find it here (no closures per connection). */
const CONN = Symbol('dunlin.connection');
/** Null from 'close' on (see #onClose). */
type ConnSocket = Socket & { [CONN]: Connection | null };

/**
 * What the single deadline of a connection (in the transport's TimerQueue) is waiting for:
 * idle   — no frame in progress, nothing unwritten: idle timeout (RFC 7766 §6.2.3);
 * read   — a frame started and must complete within the read timeout, counted from its first byte
 *          (not refreshed per chunk, so trickling one byte at a time does not keep it alive);
 * write  — reading is paused because answers are not being read by the peer;
 * linger — we sent FIN and wait for the peer's FIN before closing (avoids an RST that would discard answers).
 */
type TimerKind = 'idle' | 'read' | 'write' | 'linger' | 'answer';

/** An asynchronous answer in progress: its timeout, its abort controller (if the handler read the signal), its query (for SERVFAIL). */
interface PendingAnswer {
  readonly query: Uint8Array;
  readonly ac: AbortController | null;
  timer: NodeJS.Timeout | null;
}

/** A stream of answers in progress; at most one per connection, and no query is read while it runs. */
interface StreamState {
  readonly messages: AsyncIterator<Uint8Array, unknown, undefined>;
  readonly ac: AbortController | null;
  /** A next() is outstanding. */
  pulling: boolean;
  /** Stopped because the write buffer is full: pull again on 'drain'. */
  waitingDrain: boolean;
}

function isReset(err: NodeJS.ErrnoException): boolean {
  return err.code === 'ECONNRESET' || err.code === 'EPIPE' || err.code === 'ECONNABORTED' || err.code === 'ETIMEDOUT';
}

export class Connection implements TrackedConnection, Timed {
  readonly id: number;
  // The TimerQueue's links (see timers.ts); nothing else writes them.
  tqPrev: Timed | null = null;
  tqNext: Timed | null = null;
  tqList: TimerList | null = null;
  tqDeadline = 0;
  readonly #socket: Socket;
  readonly #owner: ConnectionOwner;
  readonly #decoder = new FrameDecoder();
  readonly #batch = new FrameBatch();
  /** Formatted on first use: getpeername/getsockname are syscalls most connections never need. */
  #peer: string | null = null;
  #local: string | null = null;
  readonly #createdAt: number;
  #lastActivity: number;
  #state: ConnState = 'reading-length';
  #reason: CloseReason | null = null;
  #timerKind: TimerKind | null = null;
  #queries = 0;
  #bytesIn = 0;
  #bytesOut = 0;
  #paused = false;
  #noDelay = false;
  /** The 'drain' listener is added on the first backpressure pause: most connections never need it. */
  #drainListening = false;
  /** No more queries are answered: limit reached, bad message, peer FIN, or shutdown. */
  #ending = false;
  /** socket.end() was called. */
  #endSent = false;
  /** destroy() was called. */
  #destroyed = false;
  /** 'close' was emitted. */
  #closed = false;
  /** Inside the 'data' handler: ending is deferred until the batch is flushed. */
  #inData = false;
  /** Shutdown requested while a frame was in progress: finish it, then end. */
  #shutdownAfterFrame = false;
  /** The peer sent FIN. */
  #peerEnded = false;
  /** Created with the first query (most connections never need more than one). */
  #ctx: TcpContext | null = null;
  /** Asynchronous answers in progress; created with the first one. */
  #pending: Set<PendingAnswer> | null = null;
  #stream: StreamState | null = null;

  constructor(socket: Socket, owner: ConnectionOwner) {
    this.#socket = socket;
    this.#owner = owner;
    this.id = owner.registry.nextId();
    this.#createdAt = Date.now();
    this.#lastActivity = this.#createdAt;
    (socket as ConnSocket)[CONN] = this;
    socket.on('data', Connection.#socketData);
    socket.on('end', Connection.#socketEnd);
    socket.on('error', Connection.#socketError);
    socket.on('close', Connection.#socketClose);
    owner.registry.register(this);
    this.#arm('idle');
  }

  // The socket listeners, shared by every connection: `this` is the socket (EventEmitter calls them so).
  static #socketData = function (this: Socket, chunk: Buffer): void {
    const c = (this as ConnSocket)[CONN];
    if (c !== null) c.#onData(chunk);
  };

  static #socketEnd = function (this: Socket): void {
    const c = (this as ConnSocket)[CONN];
    if (c !== null) c.#onEnd();
  };

  static #socketError = function (this: Socket, err: Error): void {
    const c = (this as ConnSocket)[CONN];
    if (c !== null) c.#onError(err);
  };

  static #socketClose = function (this: Socket): void {
    const c = (this as ConnSocket)[CONN];
    if (c !== null) c.#onClose();
  };

  static #socketDrain = function (this: Socket): void {
    const c = (this as ConnSocket)[CONN];
    if (c !== null) c.#onDrain();
  };

  /** The frame handler the decoder calls with the connection as `this`. */
  static #frame = function (this: Connection, frame: Buffer): boolean {
    return this.#onFrame(frame);
  };

  get state(): ConnState {
    return this.#state;
  }

  get lastActivity(): number {
    return this.#lastActivity;
  }

  /** A frame is in progress or answers are unwritten: a poor victim for close-idlest. */
  get busy(): boolean {
    return this.#decoder.partial || this.#decoder.held || this.#socket.writableLength > 0 || this.#ending || this.#hasWork();
  }

  /** Answers in progress (asynchronous ones, or a stream): the connection is 'answering', never idle. */
  /** Waiting for the next query with nothing half-read, in progress or unwritten. */
  get isIdle(): boolean {
    return this.#state === 'reading-length' && !this.#decoder.partial && !this.#decoder.held && !this.#hasWork() && this.#socket.writableLength === 0;
  }

  #hasWork(): boolean {
    return this.#stream !== null || (this.#pending !== null && this.#pending.size > 0);
  }

  /** Another query may start: no stream running and fewer than maxAnswersInFlight asynchronous answers. */
  #canTakeFrame(): boolean {
    return this.#stream === null && (this.#pending === null || this.#pending.size < this.#owner.limits.maxAnswersInFlight);
  }

  get closeReason(): CloseReason | null {
    return this.#reason;
  }

  /**
   * The peer as IP:port. Read from the socket on first use; after destroy() the socket no longer
   * knows it ('?'), but then its descriptor is closed and no kernel socket can be matched against it.
   */
  get peer(): string {
    this.#peer ??= formatHostPort(this.#socket.remoteAddress, this.#socket.remotePort);
    return this.#peer;
  }

  snapshot(now: number): ConnectionSnapshot {
    this.#local ??= formatHostPort(this.#socket.localAddress, this.#socket.localPort);
    return {
      id: this.id,
      transport: 'tcp',
      state: this.#state,
      peer: this.peer,
      local: this.#local,
      ageMs: now - this.#createdAt,
      idleMs: now - this.#lastActivity,
      bytesIn: this.#bytesIn,
      bytesOut: this.#bytesOut,
      queries: this.#queries,
    };
  }

  /** The one exit path. Idempotent; the first reason wins. Cleanup happens in the 'close' handler. */
  destroy(reason: CloseReason): void {
    this.#reason ??= reason;
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#ending = true;
    this.#state = 'closing';
    this.#clearTimer();
    this.#cancelWork();
    this.#owner.connectionDestroying(this);
    this.#socket.destroy();
  }

  /**
   * Abandons every answer in progress, once: timers cleared, signals aborted, the stream's return()
   * called so its producer releases what it holds. Results that arrive later find nothing to write.
   */
  #cancelWork(): void {
    const s = this.#stream;
    this.#stream = null;
    if (s !== null) {
      s.ac?.abort();
      try {
        s.messages.return?.().catch(() => undefined);
      } catch {
        // A producer whose return() throws has nothing left for us to release.
      }
    }
    const pending = this.#pending;
    if (pending === null) return;
    for (const p of pending) {
      if (p.timer !== null) clearTimeout(p.timer);
      p.timer = null;
      p.ac?.abort();
    }
    pending.clear();
  }

  /** Graceful close for shutdown: answer a frame in progress if it completes in time, flush, FIN, then close. */
  shutdown(): void {
    if (this.#ending) return;
    if (this.isIdle) {
      // Nothing read, owed or unwritten: closing now loses no answer, and the receive queue is empty so close(2) sends FIN, not RST.
      this.destroy('shutdown');
      return;
    }
    if (this.#decoder.partial || this.#decoder.held) {
      this.#shutdownAfterFrame = true;
      return;
    }
    this.#endGracefully('shutdown');
  }

  #onData(chunk: Buffer): void {
    this.#bytesIn += chunk.length;
    // Lingering after FIN: input is discarded, and it does not count as activity (a peer that keeps
    // sending cannot extend the linger or a pending write/answer timer).
    if (this.#ending) return;
    this.#lastActivity = Date.now();
    this.#process(chunk);
  }

  /** Decodes `chunk` (or, with null, the bytes held back by backpressure), answers, writes once, re-arms. */
  #process(chunk: Buffer | null): void {
    this.#state = 'answering';
    this.#inData = true;
    let frames = 0;
    if (chunk !== null && (this.#decoder.held || !this.#canTakeFrame())) {
      // Bytes that arrived before the pause took effect, while no query may start: keep them in order.
      this.#decoder.defer(chunk);
    } else if (this.#canTakeFrame()) {
      frames = chunk === null ? this.#decoder.resume(Connection.#frame, this) : this.#decoder.push(chunk, Connection.#frame, this);
    }
    this.#flush();
    // Held queries continue as long as the kernel takes our writes ('drain' comes only after a write returned false).
    while (this.#decoder.held && this.#canTakeFrame() && !this.#socket.writableNeedDrain && !this.#ending && !this.#destroyed) {
      frames += this.#decoder.resume(Connection.#frame, this);
      this.#flush();
    }
    this.#inData = false;
    if (this.#destroyed) return;
    if (this.#shutdownAfterFrame && !this.#decoder.partial && !this.#decoder.held) {
      this.#ending = true;
      this.#reason ??= 'shutdown';
    }
    if (this.#ending) {
      this.#finishEnd();
      return;
    }
    if (this.#socket.writableNeedDrain && (this.#decoder.held || this.#socket.writableLength > this.#owner.limits.writeBufferBytes)) {
      // Backpressure: stop reading (and decoding what is held) until the peer reads its answers ('drain').
      if (!this.#paused) {
        this.#paused = true;
        this.#socket.pause();
        this.#listenDrain();
      }
      this.#state = 'writing';
      this.#arm('write');
      return;
    }
    if (this.#decoder.held) {
      // Held behind a stream or at maxAnswersInFlight: stop reading until an answer completes (#workDone).
      if (!this.#paused) {
        this.#paused = true;
        this.#socket.pause();
      }
      this.#state = 'answering';
      this.#armWork();
      return;
    }
    if (this.#paused) {
      this.#paused = false;
      this.#socket.resume();
    }
    if (this.#hasWork() && !this.#decoder.partial) {
      this.#state = 'answering';
      this.#armWork();
      return;
    }
    if (this.#decoder.partial) {
      this.#state = this.#decoder.inLength ? 'reading-length' : 'reading-message';
      // The read timer runs from a frame's first byte: keep it while the same frame continues.
      if (this.#timerKind !== 'read' || frames > 0) this.#arm('read');
    } else {
      this.#state = 'reading-length';
      this.#arm('idle');
    }
  }

  #onFrame(frame: Buffer): boolean {
    this.#queries++;
    this.#owner.queries++;
    const ctx = (this.#ctx ??= new TcpContext(this.#socket));
    ctx.begin();
    let out: Answer | Promise<Answer> | AnswerStream;
    try {
      out = this.#owner.respond(frame, ctx);
    } catch (err) {
      // RespondFn must never throw; if it does, this connection ends but the process keeps serving.
      this.#owner.log?.error({ err, conn: this.id }, 'responder threw');
      out = null;
    }
    if (out !== null && !(out instanceof Uint8Array)) {
      if (out instanceof Promise) this.#startAnswer(out, frame, ctx.takeController());
      else this.#startStream(out, ctx.takeController());
      if (this.#queries >= this.#owner.limits.maxQueriesPerConnection) {
        this.#endGracefully('limit');
        return false;
      }
      return this.#canTakeFrame() && this.#batch.byteLength + this.#socket.writableLength <= this.#owner.limits.writeBufferBytes;
    }
    if (out === null || out.length > MAX_FRAME) {
      // Unanswerable (length-0 frame, garbage without a header, a response): nothing to send, close (RFC 7766 §8 leaves it to the server).
      this.#endGracefully('error');
      return false;
    }
    this.#batch.append(out);
    if (this.#queries >= this.#owner.limits.maxQueriesPerConnection) {
      this.#endGracefully('limit');
      return false;
    }
    // Bound the output of one chunk: past the write buffer, hold the remaining queries until 'drain'.
    return this.#batch.byteLength + this.#socket.writableLength <= this.#owner.limits.writeBufferBytes;
  }

  /** An answer that is not ready yet; RFC 7766 §7 lets it overtake the answers to later queries (the ID pairs them). */
  #startAnswer(answer: Promise<Answer>, query: Uint8Array, ac: AbortController | null): void {
    const p: PendingAnswer = { query, ac, timer: null };
    (this.#pending ??= new Set()).add(p);
    p.timer = setTimeout(() => this.#answered(p, failureAnswer(query), true), this.#owner.limits.answerTimeoutMs);
    p.timer.unref();
    answer.then((a) => this.#answered(p, a, false), () => this.#answered(p, failureAnswer(query), false));
  }

  #answered(p: PendingAnswer, answer: Answer, timedOut: boolean): void {
    if (this.#pending === null || !this.#pending.delete(p)) return; // timed out already, or cancelled by destroy()
    if (p.timer !== null) clearTimeout(p.timer);
    p.timer = null;
    if (timedOut) p.ac?.abort();
    if (this.#destroyed) return;
    this.#lastActivity = Date.now();
    if (answer === null || answer.length > MAX_FRAME) {
      this.#endGracefully('error');
    } else {
      this.#batch.append(answer);
      this.#flush();
    }
    this.#workDone();
  }

  #startStream(out: AnswerStream, ac: AbortController | null): void {
    const s: StreamState = { messages: out.messages, ac, pulling: false, waitingDrain: false };
    this.#stream = s;
    this.#pull(s);
  }

  /** Pulls the stream's next message, only while the write buffer is below its limit (backpressure). */
  #pull(s: StreamState): void {
    if (this.#stream !== s || s.pulling || this.#destroyed) return;
    if (this.#socket.writableNeedDrain && this.#batch.byteLength + this.#socket.writableLength > this.#owner.limits.writeBufferBytes) {
      // The peer is not reading fast enough: pull again on 'drain' (which comes only after a write
      // returned false, hence writableNeedDrain); the write timer bounds the wait.
      s.waitingDrain = true;
      this.#listenDrain();
      this.#state = 'writing';
      this.#arm('write');
      return;
    }
    s.pulling = true;
    if (!this.#decoder.partial) this.#arm('answer');
    let next: Promise<IteratorResult<Uint8Array, unknown>>;
    try {
      next = s.messages.next();
    } catch (err) {
      next = Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    next.then((r) => this.#streamed(s, r), (err: unknown) => this.#streamFailed(s, err));
  }

  #streamed(s: StreamState, r: IteratorResult<Uint8Array, unknown>): void {
    s.pulling = false;
    if (this.#stream !== s || this.#destroyed) return; // cancelled meanwhile: return() was already called
    if (r.done === true) {
      this.#stream = null;
      this.#workDone();
      return;
    }
    const msg: unknown = r.value;
    if (!(msg instanceof Uint8Array) || msg.length > MAX_FRAME) {
      this.#streamFailed(s, new Error('a stream yielded something that is not a DNS message of at most 65535 octets'));
      return;
    }
    this.#lastActivity = Date.now();
    this.#batch.append(msg);
    this.#flush();
    this.#pull(s);
  }

  /** The producer failed: the transfer cannot be completed, so the connection ends (the client sees a short transfer). */
  #streamFailed(s: StreamState, err: unknown): void {
    s.pulling = false;
    if (this.#stream !== s || this.#destroyed) return;
    this.#owner.log?.error({ err, conn: this.id }, 'answer stream failed');
    this.destroy('error');
  }

  /** An answer in progress completed: continue held queries, or finish an end that waited for it. */
  #workDone(): void {
    if (this.#destroyed) return;
    if (!this.#ending) {
      this.#process(null);
      return;
    }
    // After the peer's FIN, queries held behind the answers in progress arrived before it: answer them.
    if (this.#peerEnded && this.#reason === 'eof') {
      while (this.#decoder.held && this.#canTakeFrame() && !this.#destroyed) {
        this.#inData = true;
        this.#decoder.resume(Connection.#frame, this);
        this.#inData = false;
        this.#flush();
      }
    }
    this.#finishEnd();
  }

  #armWork(): void {
    const s = this.#stream;
    if (s !== null) this.#arm(s.waitingDrain ? 'write' : 'answer');
    // Asynchronous answers each have their own timeout: no connection timer while only they run.
    else this.#clearTimer();
  }

  #listenDrain(): void {
    if (this.#drainListening) return;
    this.#drainListening = true;
    this.#socket.on('drain', Connection.#socketDrain);
  }

  #flush(): void {
    const data = this.#batch.take();
    if (data === null || this.#destroyed || this.#endSent) return;
    // TCP_NODELAY is set before a connection's second write, not at accept: Nagle only holds back a
    // segment while earlier data is unacknowledged, so the first answer always leaves at once, and
    // the common one-query connection saves a setsockopt(2). From the second write on, pipelined
    // answers must not wait for the client's delayed ACK.
    if (this.#bytesOut !== 0 && !this.#noDelay) {
      this.#noDelay = true;
      this.#socket.setNoDelay(true);
    }
    this.#bytesOut += data.length;
    this.#socket.write(data);
    if (!this.#noDelay && this.#socket.writableLength > 0) {
      // Part of the first answer waits in user space: its tail must not wait for an ACK either.
      this.#noDelay = true;
      this.#socket.setNoDelay(true);
    }
  }

  #endGracefully(reason: CloseReason): void {
    if (this.#ending) return;
    this.#ending = true;
    this.#reason ??= reason;
    if (!this.#inData) this.#finishEnd();
  }

  /** Flushes, sends FIN, keeps reading (and discarding) until the peer's FIN or the linger timer. */
  #finishEnd(): void {
    if (this.#endSent || this.#destroyed) return;
    // Answers in progress are written before our FIN (#workDone calls back); their timeouts, the write
    // timer and the shutdown timeout bound the wait.
    if (this.#hasWork()) return;
    this.#endSent = true;
    this.#state = 'closing';
    this.#decoder.reset();
    if (this.#paused) {
      this.#paused = false;
      this.#socket.resume();
    }
    this.#socket.end();
    this.#arm('linger');
  }

  #onEnd(): void {
    this.#lastActivity = Date.now();
    if (this.#endSent) {
      // Both sides sent FIN: nothing left to do.
      this.destroy(this.#reason ?? 'eof');
      return;
    }
    // Peer half-closed (RFC 7766 §6.2.3 allows it): every complete frame was answered in 'data';
    // a partial frame can never complete. Flush the answers, FIN, and close when written.
    this.#reason ??= 'eof';
    this.#peerEnded = true;
    if (!this.#decoder.held && !this.#paused && this.#socket.writableLength === 0 && !this.#hasWork()) {
      // Every answer is already in the kernel and the receive queue is drained (EOF comes last), so
      // close(2) sends the queued answers and then FIN, never RST: skip shutdown(2), its callback
      // and the linger timer (the common one-query connection).
      this.destroy(this.#reason);
      return;
    }
    this.#ending = true;
    this.#state = 'half-closed';
    this.#finishEnd();
    this.#state = 'half-closed';
  }

  #onError(err: NodeJS.ErrnoException): void {
    // Only record why; Node destroys the socket after 'error' and 'close' does the cleanup.
    this.#reason ??= isReset(err) ? 'reset' : 'error';
    if (this.#owner.log?.isLevelEnabled('debug') === true) this.#owner.log.debug({ conn: this.id, peer: this.peer, code: err.code }, 'tcp connection error');
  }

  #onDrain(): void {
    if (this.#destroyed) return;
    const s = this.#stream;
    if (s !== null && s.waitingDrain) {
      this.#lastActivity = Date.now();
      s.waitingDrain = false;
      if (!this.#decoder.partial) this.#state = this.#ending ? 'half-closed' : 'answering';
      this.#pull(s);
    }
    if (!this.#paused || this.#ending) return;
    this.#lastActivity = Date.now();
    this.#process(null);
  }

  /** Called by the TimerQueue (already unlinked) when the deadline passed. */
  deadlinePassed(): void {
    const kind = this.#timerKind;
    this.#timerKind = null;
    if (kind === 'linger' || kind === null) {
      this.destroy(this.#reason ?? 'shutdown');
      return;
    }
    // Timers run before the poll phase: after an event-loop stall, bytes that arrived in time may
    // still sit unread in the socket. Decide in the check phase, after this loop's reads: if any
    // activity re-armed the deadline meanwhile, the connection is not idle (found by the torture test).
    const seen = this.#lastActivity;
    setImmediate(() => {
      if (this.#destroyed || this.tqList !== null || this.#lastActivity !== seen) return;
      this.#expire(kind);
    });
  }

  #expire(kind: TimerKind): void {
    switch (kind) {
      case 'idle':
        this.destroy('idle-timeout');
        break;
      case 'read':
      case 'write':
        this.destroy('read-timeout');
        break;
      case 'linger':
        this.destroy(this.#reason ?? 'shutdown');
        break;
      case 'answer':
        // A stream's producer gave no message within answerTimeoutMs.
        if (this.#stream !== null) this.destroy('error');
        break;
    }
  }

  #onClose(): void {
    if (this.#closed) return;
    this.#closed = true;
    // The socket may stay reachable after 'close' (Node's handle wrapper points back to it; under
    // churn ~20% of young allocations survive to the old generation): it must not keep the
    // connection and what the connection holds alive with it.
    (this.#socket as ConnSocket)[CONN] = null;
    this.#destroyed = true;
    this.#state = 'closing';
    this.#clearTimer();
    this.#cancelWork();
    const reason = this.#reason ?? 'eof';
    this.#reason = reason;
    this.#owner.registry.unregister(this, reason);
    this.#owner.connectionClosed(this, reason);
  }

  /** (Re)arms the connection's one deadline: `kind`'s period from now (RFC 7766 §6.2.3 timeouts). */
  #arm(kind: TimerKind): void {
    if (this.#destroyed) return;
    const ms = kind === 'idle' ? this.#owner.idleTimeoutMs() : kind === 'answer' ? this.#owner.limits.answerTimeoutMs : this.#owner.limits.readTimeoutMs;
    this.#timerKind = kind;
    this.#owner.timers.arm(this, ms);
  }

  #clearTimer(): void {
    this.#owner.timers.disarm(this);
    this.#timerKind = null;
  }
}

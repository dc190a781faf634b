// Owns the contract between transports and the DNS logic: the query context, the three shapes of an answer, the handler signature.

export type Transport = 'udp' | 'tcp';

/**
 * What a handler knows about the query besides its bytes. Transports implement the address fields
 * as getters read on demand (no syscall, no string for a query that never asks). A transport may
 * reuse one context object for many queries (UDP: one per socket), so the object is valid only
 * during the synchronous call: a handler that answers later keeps `detachContext(ctx)` instead.
 */
export interface QueryContext {
  readonly transport: Transport;
  /** The client's IP address (no brackets, no zone index) and port. */
  readonly peerAddress: string;
  readonly peerPort: number;
  /** The address and port the query arrived on. */
  readonly localAddress: string;
  readonly localPort: number;
  /**
   * Aborted when the transport gives up on this query's answer: the connection or socket closed,
   * the server shuts down, or the answer timed out. Created on first read, so a synchronous answer
   * that never reads it costs nothing.
   */
  readonly signal: AbortSignal;
}

/** One message, or null: send nothing (the query is dropped, or, over TCP, the connection ends). */
export type Answer = Uint8Array | null;

/**
 * A sequence of messages answering one query over TCP (AXFR/IXFR, RFC 5936 §2.2). The transport
 * pulls the next message only while its write buffer is below its limit (backpressure), and calls
 * `return()` when it stops early (peer gone, timeout, shutdown), so the producer can release what
 * it holds. A message over 65535 octets, or a rejected next(), ends the connection.
 */
export interface AnswerStream {
  readonly messages: AsyncIterator<Uint8Array, unknown, undefined>;
}

/**
 * (a) one message or null, synchronously (every plain QUERY); (b) a Promise of one (NOTIFY,
 * UPDATE, data from elsewhere); (c) a stream (zone transfers over TCP only; over UDP a stream is
 * never returned).
 */
export type QueryResult = Answer | Promise<Answer> | AnswerStream;

/**
 * The one function every transport calls. Never throws for any input bytes; a rejected Promise
 * is treated like a timeout (SERVFAIL). The returned bytes belong to the caller: the handler never
 * writes to them again, so a transport may queue them for sending without a copy.
 */
export type RespondFn = (query: Uint8Array, ctx: QueryContext) => QueryResult;

/** The synchronous subset: what the QUERY path and the answer cache are. */
export type SyncRespondFn = (query: Uint8Array, ctx: QueryContext) => Answer;

/** True for a stream result (neither bytes, null, nor a Promise). */
export function isAnswerStream(r: QueryResult): r is AnswerStream {
  return r !== null && !(r instanceof Uint8Array) && !(r instanceof Promise);
}

/** A copy of `ctx` that stays valid after the synchronous call (reads every field once, the signal included). */
export function detachContext(ctx: QueryContext): QueryContext {
  return Object.freeze({
    transport: ctx.transport,
    peerAddress: ctx.peerAddress,
    peerPort: ctx.peerPort,
    localAddress: ctx.localAddress,
    localPort: ctx.localPort,
    signal: ctx.signal,
  });
}

const NEVER_ABORTED = new AbortController().signal;

/** A fixed context (tests, benches, in-process callers): addresses given or unspecified, a signal that never aborts. */
export function fixedContext(transport: Transport, peer: { address?: string; port?: number } = {}, local: { address?: string; port?: number } = {}): QueryContext {
  return Object.freeze({
    transport,
    peerAddress: peer.address ?? '127.0.0.1',
    peerPort: peer.port ?? 0,
    localAddress: local.address ?? '127.0.0.1',
    localPort: local.port ?? 0,
    signal: NEVER_ABORTED,
  });
}

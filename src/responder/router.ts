// Owns routing by opcode and QTYPE: where NOTIFY, UPDATE (async) and AXFR/IXFR (stream) handlers register.
import type { Opcode, RRType } from '../wire/constants.ts';
import type { Message, MessageSpans } from '../wire/message.ts';
import type { Answer, QueryContext } from './types.ts';

/** A request for a slow-path handler: the bytes as received, the full decode with record spans, a detached context. */
export interface Request {
  readonly bytes: Uint8Array;
  readonly message: Message;
  /** Each record's [start, end) in `bytes` (TSIG signs the bytes before its record, RFC 8945 §4.3.3). */
  readonly spans: MessageSpans;
  readonly ctx: QueryContext;
}

/** Answers one message later (NOTIFY, UPDATE). A rejection or throw is answered with SERVFAIL. */
export type AsyncHandler = (req: Request) => Promise<Answer>;

/** Answers with a sequence of messages (AXFR, IXFR over TCP). */
export type StreamHandler = (req: Request) => AsyncIterator<Uint8Array, unknown, undefined>;

/** The opcodes a handler can take over; QUERY stays the responder's own synchronous path. */
export type RoutableOpcode = typeof Opcode.NOTIFY | typeof Opcode.UPDATE;
/** The QTYPEs answered by a stream. */
export type TransferType = typeof RRType.AXFR | typeof RRType.IXFR;

/**
 * Pure table of handlers; the responder consults it only off the QUERY fast path (opcode other
 * than QUERY, or QTYPE AXFR/IXFR over TCP). With nothing registered, the answers are the
 * defaults documented in docs/responder.md (NOTAUTH for NOTIFY/UPDATE and for transfers over TCP, as Knot answers requests no ACL allows).
 */
export class QueryRouter {
  readonly #opcodes = new Map<number, AsyncHandler>();
  readonly #transfers = new Map<number, StreamHandler>();

  /** Routes every message with `opcode` to `handler`; a second registration replaces the first. */
  onOpcode(opcode: RoutableOpcode, handler: AsyncHandler): this {
    this.#opcodes.set(opcode, handler);
    return this;
  }

  /** Routes QUERY messages for `qtype` over TCP to `handler`; over UDP they keep their default answer (RFC 5936 §4.2). */
  onTransfer(qtype: TransferType, handler: StreamHandler): this {
    this.#transfers.set(qtype, handler);
    return this;
  }

  opcodeHandler(opcode: number): AsyncHandler | undefined {
    return this.#opcodes.get(opcode);
  }

  transferHandler(qtype: number): StreamHandler | undefined {
    return this.#transfers.get(qtype);
  }
}

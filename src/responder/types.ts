// Owns the contract between transports and the responder: query bytes in, response bytes (or nothing) out.

export type Transport = 'udp' | 'tcp';

export interface QueryContext {
  readonly transport: Transport;
}

/**
 * The one function every transport calls. Returns the response bytes, or `null` when the
 * message must be dropped (e.g. it is itself a response). Never throws for any input bytes.
 * The returned bytes belong to the caller: the responder never writes to them again, so a
 * transport may queue them for sending without a copy.
 */
export type RespondFn = (query: Uint8Array, ctx: QueryContext) => Uint8Array | null;

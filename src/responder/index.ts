// Owns the public surface of the responder layer.
export { createResponder, queryChannel, RESPONDER_DEFAULTS } from './responder.ts';
export type { QueryEvent, ResponderOptions } from './responder.ts';
export type { RespondFn, QueryContext, Transport } from './types.ts';

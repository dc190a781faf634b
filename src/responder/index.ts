// Owns the public surface of the responder layer.
export { createResponder, failureAnswer, inPlaceResponder, queryChannel, RESPONDER_DEFAULTS } from './responder.ts';
export type { InPlaceResponder, QueryEvent, ResponderOptions } from './responder.ts';
export { QueryRouter } from './router.ts';
export type { AsyncHandler, Request, RoutableOpcode, SignedQueryHandler, StreamHandler, TransferType } from './router.ts';
export { detachContext, fixedContext, isAnswerStream } from './types.ts';
export type { Answer, AnswerStream, QueryContext, QueryResult, RespondFn, SyncRespondFn, Transport } from './types.ts';

// Owns the query path: header/question/EDNS validation, the per-generation answer cache, error responses.
import diagnostics from 'node:diagnostics_channel';
import { Flag, Opcode, Rcode, RRType } from '../wire/constants.ts';
import { decodeMessage, newMessageSpans } from '../wire/message.ts';
import type { Message } from '../wire/message.ts';
import { Name } from '../wire/name.ts';
import { newParsedQuery, parseQuery } from '../wire/query.ts';
import type { ParsedQuery } from '../wire/query.ts';
import type { ZoneSet } from '../store/zone-set.ts';
import { lookup } from '../lookup/lookup.ts';
import { AnswerCache, questionHash } from './cache.ts';
import { encodeAnswer, OPT_SIZE, writeOpt } from './encode.ts';
import type { EdnsOut } from './encode.ts';
import type { QueryRouter, Request } from './router.ts';
import { detachContext } from './types.ts';
import type { Answer, AnswerStream, QueryContext, RespondFn, SyncRespondFn } from './types.ts';

/** Per-query event for metrics; published only when someone subscribes. */
export interface QueryEvent {
  readonly transport: QueryContext['transport'];
  readonly rcode: number;
  readonly qtype: number;
  readonly size: number;
}

export const queryChannel = diagnostics.channel('dunlin:query');

export interface ResponderOptions {
  /** The current zone set; read on every query so a reload is one reference swap. */
  readonly zones: () => ZoneSet;
  /** Our EDNS UDP payload size (RFC 6891 §6.2.5; DNS flag day 2020 default 1232). */
  readonly udpPayloadSize?: number;
  /** Encoded answers kept per zone-set generation. */
  readonly cacheEntries?: number;
  /** Octets of encoded answers kept (TCP answers can be 64 KiB each). */
  readonly cacheBytes?: number;
  /** Handlers for NOTIFY, UPDATE and zone transfers; without one, those get the default answers. */
  readonly router?: QueryRouter;
}

export const RESPONDER_DEFAULTS = { udpPayloadSize: 1232, cacheEntries: 50_000, cacheBytes: 32 * 1024 * 1024 } as const;

const MAX_UDP_NO_EDNS = 512; // RFC 1035 §4.2.1
const TCP_LIMIT = 65535; // RFC 1035 §4.2.2 length prefix

/**
 * A response buffer the caller owns. Buffer.allocUnsafe carves small sizes out of Node's shared
 * pool (one view object, no zeroing), so a UDP transport can hand it to the kernel without the
 * copy a reused output buffer would need.
 */
const fresh = (len: number): Uint8Array => Buffer.allocUnsafe(len);

/**
 * A response without records: header, the question when it parsed, OPT when the query had a valid
 * one. `payload` is the EDNS UDP size we advertise.
 */
function errorMessage(q: Uint8Array, pq: ParsedQuery, rcode: number, payload: number): Uint8Array {
  const withQ = pq.qEnd > 0;
  const qLen = withQ ? pq.qEnd - 12 : 0;
  const edns: EdnsOut | null = pq.edns === 1 ? { payload, extRcode: rcode >>> 4, do: pq.ednsDo } : null;
  const len = 12 + qLen + (edns ? OPT_SIZE : 0);
  const out = fresh(len);
  out[0] = q[0]!;
  out[1] = q[1]!;
  // QR, the query's opcode and RD/CD copied (RFC 1035 §4.1.1); AA never set on errors. NOTIMP
  // keeps RD but not CD: we did not look at the body, so there is no checking to disable (Knot,
  // NSD and BIND all clear it).
  const copied = rcode === Rcode.NOTIMP ? 0x7800 | Flag.RD : 0x7800 | Flag.RD | Flag.CD;
  const flags = Flag.QR | (pq.flags & copied) | (rcode & 0xf);
  out[2] = flags >>> 8;
  out[3] = flags & 0xff;
  out[4] = 0;
  out[5] = withQ ? 1 : 0;
  out.fill(0, 6, 12);
  if (withQ) for (let i = 12; i < pq.qEnd; i++) out[i] = q[i]!;
  if (edns) {
    writeOpt(out, 12 + qLen, edns);
    out[11] = 1;
  }
  return out;
}

const scratch = newParsedQuery();

/**
 * The answer a transport sends when an asynchronous answer failed or timed out: SERVFAIL with the
 * question and, when the query had OPT, an OPT advertising `payload`. Null when the bytes are not a
 * query (shorter than a header, or QR set).
 */
export function failureAnswer(query: Uint8Array, rcode: number = Rcode.SERVFAIL, payload: number = RESPONDER_DEFAULTS.udpPayloadSize): Uint8Array | null {
  if (query.length < 12 || (query[2]! & 0x80) !== 0) return null;
  parseQuery(query, scratch);
  return errorMessage(query, scratch, rcode, payload);
}

/**
 * Creates the responder every transport calls. Pure apart from publishing diagnostics: no I/O,
 * no timers. Responses are cached per (qname, qtype, EDNS, DO, size limit) for the current zone
 * set; a hit copies the bytes and patches ID, RD/CD and the question's case. Plain QUERY is always
 * answered synchronously; only routed opcodes and transfers (with `router`) return a Promise or a
 * stream.
 */
export function createResponder(opts: ResponderOptions & { readonly router?: undefined }): SyncRespondFn;
export function createResponder(opts: ResponderOptions): RespondFn;
export function createResponder(opts: ResponderOptions): RespondFn {
  const ourPayload = Math.max(512, Math.min(65535, opts.udpPayloadSize ?? RESPONDER_DEFAULTS.udpPayloadSize));
  const maxEntries = Math.max(0, opts.cacheEntries ?? RESPONDER_DEFAULTS.cacheEntries);
  const maxBytes = Math.max(0, opts.cacheBytes ?? RESPONDER_DEFAULTS.cacheBytes);
  const cache = maxEntries > 0 ? new AnswerCache(maxEntries, maxBytes) : null;
  const router = opts.router ?? null;
  let generation: ZoneSet | null = null;
  const parsed = newParsedQuery();

  function publish(ctx: QueryContext, rcode: number, qtype: number, size: number): void {
    if (queryChannel.hasSubscribers) {
      const ev: QueryEvent = { transport: ctx.transport, rcode, qtype, size };
      queryChannel.publish(ev);
    }
  }

  function errorResponse(q: Uint8Array, pq: ParsedQuery, rcode: number, ctx: QueryContext): Uint8Array {
    const out = errorMessage(q, pq, rcode, ourPayload);
    publish(ctx, rcode, pq.qtype, out.length);
    return out;
  }

  /**
   * The slow path's request: a copy of the bytes (the transport's buffer may be reused once we
   * return), the full decode with record spans, a context that outlives this call. Null when the
   * full decoder rejects what the fast parser let through.
   */
  function request(query: Uint8Array, ctx: QueryContext): Request | null {
    const bytes = Uint8Array.from(query);
    const spans = newMessageSpans();
    let message: Message;
    try {
      message = decodeMessage(bytes, spans);
    } catch {
      return null;
    }
    return { bytes, message, spans, ctx: detachContext(ctx) };
  }

  /** Runs an async handler: a throw or rejection becomes SERVFAIL (prepared now: `parsed` is reused). */
  function answerLater(run: (req: Request) => Promise<Answer>, req: Request, pq: ParsedQuery, ctx: QueryContext): Promise<Answer> {
    const servfail = errorMessage(req.bytes, pq, Rcode.SERVFAIL, ourPayload);
    const qtype = pq.qtype;
    let p: Promise<Answer>;
    try {
      p = run(req);
    } catch {
      p = Promise.resolve(servfail);
    }
    return p.then(
      (a) => {
        if (a !== null && a.length >= 4) publish(ctx, a[3]! & 0xf, qtype, a.length);
        return a;
      },
      () => {
        publish(ctx, Rcode.SERVFAIL, qtype, servfail.length);
        return servfail;
      },
    );
  }

  return function respond(query: Uint8Array, ctx: QueryContext): Answer | Promise<Answer> | AnswerStream {
    // Shorter than a header, or itself a response: drop (RFC 1035 §4.1.1; never answer answers).
    if (query.length < 12 || (query[2]! & 0x80) !== 0) return null;
    const pq = parsed;
    parseQuery(query, pq);
    if (pq.opcode !== Opcode.QUERY) {
      const handler = router?.opcodeHandler(pq.opcode);
      if (handler === undefined) {
        // NOTIFY and UPDATE are opcodes we implement; with nothing configured to accept them, they
        // are refused as Knot refuses them (NOTAUTH: not authorised by any ACL), after a FORMERR check.
        if (pq.opcode === Opcode.NOTIFY) return errorResponse(query, pq, pq.formerr ? Rcode.FORMERR : Rcode.NOTAUTH, ctx);
        // An UPDATE's zone section is one SOA question (RFC 2136 §3.1.1): anything else is FORMERR.
        if (pq.opcode === Opcode.UPDATE) return errorResponse(query, pq, pq.formerr || pq.qdcount !== 1 || pq.qtype !== RRType.SOA ? Rcode.FORMERR : Rcode.NOTAUTH, ctx);
        // The body of an opcode we do not implement is not ours to judge: NOTIMP before FORMERR.
        return errorResponse(query, pq, Rcode.NOTIMP, ctx);
      }
      if (pq.formerr) return errorResponse(query, pq, Rcode.FORMERR, ctx);
      const req = request(query, ctx);
      if (req === null) return errorResponse(query, pq, Rcode.FORMERR, ctx);
      return answerLater(handler, req, pq, ctx);
    }
    // A query carries no answer records (RFC 1035 §4.1.1, §7.3): FORMERR, as Knot, NSD and BIND.
    if (pq.formerr || pq.ancount !== 0) return errorResponse(query, pq, Rcode.FORMERR, ctx);
    // EDNS version we do not speak (RFC 6891 §6.1.3): BADVERS, advertising version 0.
    if (pq.edns === 1 && pq.ednsVersion > 0) return errorResponse(query, pq, Rcode.BADVERS, ctx);
    // We serve class IN only; QCLASS * (ANY, RFC 1035 §3.2.5) is answered from IN, as Knot does.
    const classAny = pq.qclass === 255;
    if (pq.qclass !== 1 && !classAny) return errorResponse(query, pq, Rcode.REFUSED, ctx);
    const qtype = pq.qtype;
    const tcp = ctx.transport === 'tcp';
    if (qtype === RRType.AXFR || qtype === RRType.IXFR) {
      // Transfers are streams over TCP only (RFC 5936 §4.2); over UDP they keep the default answer.
      const handler = tcp ? router?.transferHandler(qtype) : undefined;
      if (handler !== undefined) {
        const req = request(query, ctx);
        if (req === null) return errorResponse(query, pq, Rcode.FORMERR, ctx);
        try {
          return { messages: handler(req) };
        } catch {
          return errorResponse(query, pq, Rcode.SERVFAIL, ctx);
        }
      }
      // Denied until configured (as Knot: AXFR over UDP is NOTIMP, RFC 5936 §4.2).
      if (qtype === RRType.AXFR) return errorResponse(query, pq, tcp ? Rcode.NOTAUTH : Rcode.NOTIMP, ctx);
      return errorResponse(query, pq, Rcode.NOTAUTH, ctx);
    }

    // UDP limit: max(512, min(client's EDNS size, ours)) (RFC 6891 §6.2.3-6.2.5); TCP: 65535.
    const hasEdns = pq.edns === 1;
    const limit = tcp ? TCP_LIMIT : hasEdns ? Math.max(MAX_UDP_NO_EDNS, Math.min(pq.ednsPayload, ourPayload)) : MAX_UDP_NO_EDNS;
    const zs = opts.zones();
    if (zs !== generation) {
      cache?.clear();
      generation = zs;
    }
    // The question (name case-folded, QTYPE, QCLASS) is compared inside the cache; the rest of the key:
    const variant = (hasEdns ? 1 : 0) | (pq.ednsDo ? 2 : 0) | (limit << 2);
    const hash = cache ? questionHash(query, pq.qEnd) : 0;
    let cached = cache?.get(query, pq.qEnd, hash, variant);
    if (!cached) {
      const qname = Name.fromWire(query.slice(12, pq.qnameEnd - 0));
      const ans = lookup(zs, qname, qtype);
      const edns: EdnsOut | null = hasEdns ? { payload: ourPayload, extRcode: 0, do: pq.ednsDo } : null;
      cached = encodeAnswer(qname, qtype, pq.qclass, ans, edns, limit);
      cache?.set(hash, variant, cached);
    }
    const len = cached.length;
    const out = fresh(len);
    out.set(cached);
    out[0] = query[0]!;
    out[1] = query[1]!;
    // RD and CD are copied from the query (RFC 1035 §4.1.1, RFC 4035 §3.1.6); RA is never set.
    out[2] = cached[2]! | (query[2]! & (Flag.RD >>> 8));
    out[3] = cached[3]! | (query[3]! & Flag.CD);
    // The question keeps the client's spelling; names that equal it are pointers to it.
    for (let i = 12; i < pq.qnameEnd; i++) out[i] = query[i]!;
    if (queryChannel.hasSubscribers) publish(ctx, cached[3]! & 0xf, qtype, len);
    return out;
  };
}

// Owns the query path: header/question/EDNS validation, the per-generation answer cache, error responses.
import diagnostics from 'node:diagnostics_channel';
import { Flag, Opcode, Rcode, RRType } from '../wire/constants.ts';
import { Name } from '../wire/name.ts';
import type { ZoneSet } from '../store/zone-set.ts';
import { lookup } from '../lookup/lookup.ts';
import { AnswerCache, questionHash } from './cache.ts';
import { encodeAnswer, OPT_SIZE, writeOpt } from './encode.ts';
import type { EdnsOut } from './encode.ts';
import type { QueryContext, RespondFn } from './types.ts';

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
}

export const RESPONDER_DEFAULTS = { udpPayloadSize: 1232, cacheEntries: 50_000, cacheBytes: 32 * 1024 * 1024 } as const;

const MAX_UDP_NO_EDNS = 512; // RFC 1035 §4.2.1
const TCP_LIMIT = 65535; // RFC 1035 §4.2.2 length prefix

/** Where the parse of a query stopped and what it found. Reused: the responder is single-threaded. */
interface Parsed {
  id: number;
  flags: number;
  opcode: number;
  /** Offset after QTYPE/QCLASS, or -1 when no single question could be read. */
  qEnd: number;
  qnameEnd: number;
  qtype: number;
  qclass: number;
  formerr: boolean;
  /** 0: no OPT; 1: a valid OPT; -1: an invalid OPT (FORMERR, not echoed). */
  edns: number;
  ednsPayload: number;
  ednsVersion: number;
  ednsDo: boolean;
}

const u16 = (b: Uint8Array, at: number): number => (b[at]! << 8) | b[at + 1]!;

/** Skips a (possibly compressed) name; returns the offset after it, or -1 if malformed. */
function skipName(b: Uint8Array, p: number): number {
  for (let guard = 0; guard < 128; guard++) {
    if (p >= b.length) return -1;
    const len = b[p]!;
    if (len === 0) return p + 1;
    if ((len & 0xc0) === 0xc0) return p + 2 <= b.length ? p + 2 : -1;
    if (len & 0xc0) return -1;
    p += len + 1;
  }
  return -1;
}

/**
 * Validates the whole query in one pass without building a Message (RFC 1035 §4.1): the
 * question, every RR of the other sections, at most one OPT, root-owned, whose options exactly
 * fill its RDATA (RFC 6891 §6.1.1, §6.1.2), and no trailing octets.
 */
function parse(q: Uint8Array, out: Parsed): void {
  out.id = u16(q, 0);
  out.flags = u16(q, 2);
  out.opcode = (out.flags >>> 11) & 0xf;
  out.qEnd = -1;
  out.qnameEnd = -1;
  out.qtype = 0;
  out.qclass = 0;
  out.formerr = false;
  out.edns = 0;
  out.ednsPayload = 0;
  out.ednsVersion = 0;
  out.ednsDo = false;
  const qd = u16(q, 4);
  const an = u16(q, 6);
  const ns = u16(q, 8);
  const ar = u16(q, 10);
  let p = 12;
  if (qd !== 1) {
    out.formerr = true;
    return;
  }
  // The question name is never compressed (nothing precedes it to point to).
  for (;;) {
    if (p >= q.length) {
      out.formerr = true;
      return;
    }
    const len = q[p]!;
    if (len === 0) break;
    if (len > 63 || p + 1 + len > q.length || p + len + 2 - 12 > 255) {
      out.formerr = true;
      return;
    }
    p += len + 1;
  }
  p++;
  if (p + 4 > q.length) {
    out.formerr = true;
    return;
  }
  out.qnameEnd = p;
  out.qtype = u16(q, p);
  out.qclass = u16(q, p + 2);
  p += 4;
  out.qEnd = p;
  const total = an + ns + ar;
  for (let i = 0; i < total; i++) {
    const nameAt = p;
    p = skipName(q, p);
    if (p < 0 || p + 10 > q.length) {
      out.formerr = true;
      return;
    }
    const type = u16(q, p);
    const rdlen = u16(q, p + 8);
    const rdAt = p + 10;
    if (rdAt + rdlen > q.length) {
      out.formerr = true;
      return;
    }
    if (type === RRType.OPT) {
      // One OPT, in the additional section, owned by the root (RFC 6891 §6.1.1-6.1.2).
      if (i < an + ns || out.edns !== 0 || q[nameAt] !== 0) {
        out.edns = -1;
        out.formerr = true;
        return;
      }
      let o = rdAt;
      while (o < rdAt + rdlen) {
        if (o + 4 > rdAt + rdlen) break;
        o += 4 + u16(q, o + 2);
      }
      if (o !== rdAt + rdlen) {
        out.edns = -1;
        out.formerr = true;
        return;
      }
      out.edns = 1;
      out.ednsPayload = u16(q, p + 2);
      out.ednsVersion = q[p + 5]!;
      out.ednsDo = (q[p + 6]! & 0x80) !== 0;
    }
    p = rdAt + rdlen;
  }
  if (p !== q.length) out.formerr = true;
}

/**
 * A response buffer the caller owns. Buffer.allocUnsafe carves small sizes out of Node's shared
 * pool (one view object, no zeroing), so a UDP transport can hand it to the kernel without the
 * copy a reused output buffer would need.
 */
const fresh = (len: number): Uint8Array => Buffer.allocUnsafe(len);

/**
 * Creates the responder every transport calls. Pure apart from publishing diagnostics: no I/O,
 * no timers. Responses are cached per (qname, qtype, EDNS, DO, size limit) for the current zone
 * set; a hit copies the bytes and patches ID, RD/CD and the question's case.
 */
export function createResponder(opts: ResponderOptions): RespondFn {
  const ourPayload = Math.max(512, Math.min(65535, opts.udpPayloadSize ?? RESPONDER_DEFAULTS.udpPayloadSize));
  const maxEntries = Math.max(0, opts.cacheEntries ?? RESPONDER_DEFAULTS.cacheEntries);
  const maxBytes = Math.max(0, opts.cacheBytes ?? RESPONDER_DEFAULTS.cacheBytes);
  const cache = maxEntries > 0 ? new AnswerCache(maxEntries, maxBytes) : null;
  let generation: ZoneSet | null = null;
  const parsed: Parsed = {
    id: 0, flags: 0, opcode: 0, qEnd: -1, qnameEnd: -1, qtype: 0, qclass: 0, formerr: false,
    edns: 0, ednsPayload: 0, ednsVersion: 0, ednsDo: false,
  };

  function publish(ctx: QueryContext, rcode: number, qtype: number, size: number): void {
    if (queryChannel.hasSubscribers) {
      const ev: QueryEvent = { transport: ctx.transport, rcode, qtype, size };
      queryChannel.publish(ev);
    }
  }

  /** A response without records: header, the question when it parsed, OPT when the query had a valid one. */
  function errorResponse(q: Uint8Array, pq: Parsed, rcode: number, ctx: QueryContext): Uint8Array {
    const withQ = pq.qEnd > 0;
    const qLen = withQ ? pq.qEnd - 12 : 0;
    const edns: EdnsOut | null = pq.edns === 1 ? { payload: ourPayload, extRcode: rcode >>> 4, do: pq.ednsDo } : null;
    const len = 12 + qLen + (edns ? OPT_SIZE : 0);
    const out = fresh(len);
    out[0] = q[0]!;
    out[1] = q[1]!;
    // QR, the query's opcode and RD/CD copied (RFC 1035 §4.1.1); AA never set on errors.
    const flags = Flag.QR | (pq.flags & (0x7800 | Flag.RD | Flag.CD)) | (rcode & 0xf);
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
    publish(ctx, rcode, pq.qtype, len);
    return out;
  }

  return function respond(query: Uint8Array, ctx: QueryContext): Uint8Array | null {
    // Shorter than a header, or itself a response: drop (RFC 1035 §4.1.1; never answer answers).
    if (query.length < 12 || (query[2]! & 0x80) !== 0) return null;
    const pq = parsed;
    parse(query, pq);
    // The body of an opcode we do not implement is not ours to judge: NOTIMP before FORMERR.
    if (pq.opcode !== Opcode.QUERY) return errorResponse(query, pq, Rcode.NOTIMP, ctx);
    if (pq.formerr) return errorResponse(query, pq, Rcode.FORMERR, ctx);
    // EDNS version we do not speak (RFC 6891 §6.1.3): BADVERS, advertising version 0.
    if (pq.edns === 1 && pq.ednsVersion > 0) return errorResponse(query, pq, Rcode.BADVERS, ctx);
    // We serve class IN only; QCLASS * (ANY, RFC 1035 §3.2.5) is answered from IN, as Knot does.
    const classAny = pq.qclass === 255;
    if (pq.qclass !== 1 && !classAny) return errorResponse(query, pq, Rcode.REFUSED, ctx);
    const qtype = pq.qtype;
    const tcp = ctx.transport === 'tcp';
    // Zone transfers are denied until configured (as Knot: AXFR over UDP is NOTIMP, RFC 5936 §4.2).
    if (qtype === RRType.AXFR) return errorResponse(query, pq, tcp ? Rcode.NOTAUTH : Rcode.NOTIMP, ctx);
    if (qtype === RRType.IXFR) return errorResponse(query, pq, Rcode.NOTAUTH, ctx);

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

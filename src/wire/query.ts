// Owns the fast query parser: one pass over a query's header, question and records without building a Message.
import { RRType } from './constants.ts';
import { readU16 } from './bytes.ts';

/** Where the parse of a query stopped and what it found. Meant to be reused: parseQuery overwrites every field. */
export interface ParsedQuery {
  id: number;
  flags: number;
  opcode: number;
  /** QDCOUNT, ANCOUNT, NSCOUNT, ARCOUNT as in the header. */
  qdcount: number;
  ancount: number;
  nscount: number;
  arcount: number;
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
  /** The last additional record is a TSIG (RFC 8945 §5.1): the answer must be signed. */
  tsig: boolean;
}

export function newParsedQuery(): ParsedQuery {
  return {
    id: 0, flags: 0, opcode: 0, qdcount: 0, ancount: 0, nscount: 0, arcount: 0, qEnd: -1, qnameEnd: -1, qtype: 0, qclass: 0,
    formerr: false, edns: 0, ednsPayload: 0, ednsVersion: 0, ednsDo: false, tsig: false,
  };
}

/** Skips a (possibly compressed) name; returns the offset after it, or -1 if malformed. */
export function skipName(b: Uint8Array, p: number, end: number = b.length): number {
  for (let guard = 0; guard < 128; guard++) {
    if (p >= end) return -1;
    const len = b[p]!;
    if (len === 0) return p + 1;
    if ((len & 0xc0) === 0xc0) return p + 2 <= end ? p + 2 : -1;
    if (len & 0xc0) return -1;
    p += len + 1;
  }
  return -1;
}

/**
 * Validates the whole query in one pass without building a Message (RFC 1035 §4.1): the
 * question, every RR of the other sections, at most one OPT, root-owned, whose options exactly
 * fill its RDATA (RFC 6891 §6.1.1, §6.1.2), and no trailing octets. The message is q[0..n): a
 * batched transport passes a reused buffer longer than the datagram. It must hold at least the
 * 12-octet header.
 */
export function parseQuery(q: Uint8Array, out: ParsedQuery, n: number = q.length): void {
  out.id = readU16(q, 0);
  out.flags = readU16(q, 2);
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
  out.tsig = false;
  const qd = (out.qdcount = readU16(q, 4));
  const an = (out.ancount = readU16(q, 6));
  const ns = (out.nscount = readU16(q, 8));
  const ar = (out.arcount = readU16(q, 10));
  let p = 12;
  if (qd > 1) {
    out.formerr = true;
    return;
  }
  if (qd === 1) {
    // The question name is never compressed (nothing precedes it to point to).
    for (;;) {
      if (p >= n) {
        out.formerr = true;
        return;
      }
      const len = q[p]!;
      if (len === 0) break;
      if (len > 63 || p + 1 + len > n || p + len + 2 - 12 > 255) {
        out.formerr = true;
        return;
      }
      p += len + 1;
    }
    p++;
    if (p + 4 > n) {
      out.formerr = true;
      return;
    }
    out.qnameEnd = p;
    out.qtype = readU16(q, p);
    out.qclass = readU16(q, p + 2);
    p += 4;
    out.qEnd = p;
  } else {
    // No question is FORMERR, but the records are still read so that a valid OPT is echoed in it,
    // as Knot, NSD and BIND do (RFC 6891 §7: a responder that sees OPT includes OPT).
    out.formerr = true;
  }
  const total = an + ns + ar;
  for (let i = 0; i < total; i++) {
    const nameAt = p;
    p = skipName(q, p, n);
    if (p < 0 || p + 10 > n) {
      out.formerr = true;
      return;
    }
    const type = readU16(q, p);
    const rdlen = readU16(q, p + 8);
    const rdAt = p + 10;
    if (rdAt + rdlen > n) {
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
        o += 4 + readU16(q, o + 2);
      }
      if (o !== rdAt + rdlen) {
        out.edns = -1;
        out.formerr = true;
        return;
      }
      out.edns = 1;
      out.ednsPayload = readU16(q, p + 2);
      out.ednsVersion = q[p + 5]!;
      out.ednsDo = (q[p + 6]! & 0x80) !== 0;
    }
    if (type === RRType.TSIG && i === total - 1 && i >= an + ns) out.tsig = true;
    p = rdAt + rdlen;
  }
  if (p !== n) out.formerr = true;
}

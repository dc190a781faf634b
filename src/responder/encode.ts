// Owns turning a lookup Answer into response bytes: header, question, sections, truncation, OPT.
import { Flag, RRType } from '../wire/constants.ts';
import { WireError } from '../wire/errors.ts';
import type { Name } from '../wire/name.ts';
import { writeRdata } from '../wire/registry.ts';
import { Writer } from '../wire/writer.ts';
import type { Answer, Item } from '../lookup/lookup.ts';

/** What the response echoes of the query's EDNS (RFC 6891 §6.1.3). */
export interface EdnsOut {
  /** Our advertised UDP payload size. */
  readonly payload: number;
  /** Upper 8 bits of the 12-bit rcode. */
  readonly extRcode: number;
  /** DO bit echoed (RFC 3225 §3). */
  readonly do: boolean;
}

export const OPT_SIZE = 11;

/** Appends the OPT pseudo-record (RFC 6891 §6.1.2): root owner, no options. */
export function writeOpt(buf: Uint8Array, at: number, e: EdnsOut): number {
  buf[at] = 0;
  buf[at + 1] = 0;
  buf[at + 2] = RRType.OPT;
  buf[at + 3] = e.payload >>> 8;
  buf[at + 4] = e.payload & 0xff;
  buf[at + 5] = e.extRcode;
  buf[at + 6] = 0; // version 0
  buf[at + 7] = e.do ? 0x80 : 0;
  buf[at + 8] = 0;
  buf[at + 9] = 0;
  buf[at + 10] = 0;
  return at + OPT_SIZE;
}

/** Writes an item's RRset and then its RRSIGs (one unit: the caller rolls back both when either does not fit). */
function writeItem(w: Writer, item: Item): number {
  const n = writeSet(w, item.owner, item.rrset);
  return item.sigs ? n + writeSet(w, item.owner, item.sigs) : n;
}

function writeSet(w: Writer, owner: Name, rr: Item['rrset']): number {
  const d = rr.data;
  let p = rr.start;
  let n = 0;
  while (p < rr.end) {
    const len = (d[p]! << 8) | d[p + 1]!;
    w.name(owner, true);
    w.u16(rr.type);
    w.u16(1);
    w.u32(rr.ttl);
    const lenAt = w.pos;
    w.u16(0);
    writeRdata(w, rr.type, d.subarray(p + 2, p + 2 + len));
    w.setU16(lenAt, w.pos - lenAt - 2);
    p += 2 + len;
    n++;
  }
  return n;
}

/** Writes a whole section; returns the record count, or -1 when an RRset did not fit (rolled back). */
function writeSection(w: Writer, items: readonly Item[]): number {
  let n = 0;
  for (const item of items) {
    const m = w.mark();
    try {
      n += writeItem(w, item);
    } catch (e) {
      if (!(e instanceof WireError) || e.code !== 'DUNLIN_ERR_WIRE_OVERFLOW') throw e;
      w.rollback(m);
      return -1;
    }
  }
  return n;
}

const OPT_ROOM = new Uint8Array(OPT_SIZE);

/** One writer for every response: encoding is synchronous and the caller copies the result out. */
const scratch = new Writer(65535, 512);

/**
 * Encodes a full response with ID 0 and RD/CD clear (the caller patches them). `limit` is the
 * whole message budget. When the answer or authority section, or required glue, does not fit,
 * the response is TC=1 with empty sections, as Knot sends it (RFC 2181 §9 allows dropping whole
 * RRsets; the client retries over TCP anyway). Optional additional RRsets are dropped silently.
 * The result is a view of a buffer the next call overwrites: copy it before encoding again.
 */
export function encodeAnswer(qname: Name, qtype: number, qclass: number, ans: Answer, edns: EdnsOut | null, limit: number): Uint8Array {
  const optLen = edns ? OPT_SIZE : 0;
  const w = scratch;
  w.reset(Math.max(limit - optLen, 12));
  w.u32(0);
  w.u32(0x00010000); // QDCOUNT 1, ANCOUNT 0
  w.u32(0);
  w.name(qname, true);
  w.u16(qtype);
  w.u16(qclass);
  const afterQuestion = w.mark();
  let flags = Flag.QR | (ans.aa ? Flag.AA : 0) | (ans.rcode & 0xf);
  let an = writeSection(w, ans.answer);
  let ns = an < 0 ? -1 : writeSection(w, ans.authority);
  let ar = 0;
  if (an >= 0 && ns >= 0) {
    for (const item of ans.additional) {
      const m = w.mark();
      try {
        ar += writeItem(w, item);
      } catch (e) {
        if (!(e instanceof WireError) || e.code !== 'DUNLIN_ERR_WIRE_OVERFLOW') throw e;
        w.rollback(m);
        if (item.required) ar = -1;
        break;
      }
    }
  }
  if (an < 0 || ns < 0 || ar < 0) {
    w.rollback(afterQuestion);
    flags |= Flag.TC;
    an = 0;
    ns = 0;
    ar = 0;
  }
  if (edns) {
    ar++;
    // The OPT record was left out of the budget above; it always fits in `limit`.
    w.limit += OPT_SIZE;
    const at = w.pos;
    w.bytes(OPT_ROOM);
    writeOpt(w.buf, at, edns);
  }
  const out = w.buf;
  out[2] = flags >>> 8;
  out[3] = flags & 0xff;
  out[6] = an >>> 8;
  out[7] = an & 0xff;
  out[8] = ns >>> 8;
  out[9] = ns & 0xff;
  out[10] = ar >>> 8;
  out[11] = ar & 0xff;
  return w.view();
}

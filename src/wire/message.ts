// Owns whole-message decode/encode (RFC 1035 §4.1) with EDNS (RFC 6891) folded into the header fields.
import { RRType } from './constants.ts';
import { WireError } from './errors.ts';
import { parseOpt, writeOpt, type Edns } from './edns.ts';
import type { Name } from './name.ts';
import { Reader } from './reader.ts';
import type { Question, ResourceRecord } from './record.ts';
import { rdataFromWire, writeRdata } from './registry.ts';
import { Writer } from './writer.ts';

export type { Edns, EdnsOption } from './edns.ts';

export interface Message {
  id: number;
  /** The 16-bit flags word as on the wire (QR, opcode, AA, TC, RD, RA, Z, AD, CD, low 4 rcode bits). */
  flags: number;
  opcode: number;
  /** Full 12-bit rcode: low 4 bits from the header, upper 8 from OPT (RFC 6891 §6.1.3). */
  rcode: number;
  questions: Question[];
  answers: ResourceRecord[];
  authority: ResourceRecord[];
  /** Additional records without the OPT RR (which is in `edns`). */
  additional: ResourceRecord[];
  edns: Edns | null;
}

export const HEADER_SIZE = 12;

/** Where one record lies in the message: octets [start, end), owner name to the end of RDATA. */
export interface Span {
  readonly start: number;
  readonly end: number;
}

/**
 * The raw byte spans of a decoded message's records, index-aligned with its sections (`opt` is the
 * OPT record's). A signature over "the message up to the TSIG record" (RFC 8945 §4.3.3) needs the
 * bytes as received, which a re-encode cannot reproduce (compression, case, order).
 */
export interface MessageSpans {
  answers: Span[];
  authority: Span[];
  additional: Span[];
  opt: Span | null;
}

export function newMessageSpans(): MessageSpans {
  return { answers: [], authority: [], additional: [], opt: null };
}

/** Reads an owner name, TYPE, CLASS, TTL, RDLENGTH and RDATA. */
function readRecord(r: Reader): { name: Name; type: number; class: number; ttl: number; rdata: Uint8Array } {
  const name = r.name(true);
  const type = r.u16();
  const cls = r.u16();
  const ttl = r.u32();
  const len = r.u16();
  if (len > r.remaining) throw new WireError('DUNLIN_ERR_WIRE_TRUNCATED', `RDLENGTH ${len} runs past the end of the message`, r.pos);
  // OPT options are opaque here; edns.ts parses them.
  const rdata = type === RRType.OPT ? r.copy(len) : rdataFromWire(type, r, len);
  return { name, type, class: cls, ttl, rdata };
}

/**
 * Decodes a whole message. Throws only WireError; trailing octets, a second OPT, or OPT outside
 * additional / with a non-root owner are errors. When `spans` is given, it is reset and filled with
 * each record's byte span.
 */
export function decodeMessage(bytes: Uint8Array, spans?: MessageSpans): Message {
  const r = new Reader(bytes);
  if (bytes.length < HEADER_SIZE) throw new WireError('DUNLIN_ERR_WIRE_TRUNCATED', `message of ${bytes.length} octets is shorter than the header`, 0);
  const id = r.u16();
  const flags = r.u16();
  const qd = r.u16();
  const an = r.u16();
  const ns = r.u16();
  const ar = r.u16();
  const questions: Question[] = [];
  for (let i = 0; i < qd; i++) {
    const name = r.name(true);
    const type = r.u16();
    const cls = r.u16();
    questions.push({ name, type, class: cls });
  }
  if (spans) {
    spans.answers = [];
    spans.authority = [];
    spans.additional = [];
    spans.opt = null;
  }
  const section = (n: number, where: string, outSpans: Span[] | undefined): ResourceRecord[] => {
    const out: ResourceRecord[] = [];
    for (let i = 0; i < n; i++) {
      const at = r.pos;
      const rr = readRecord(r);
      if (rr.type === RRType.OPT) throw new WireError('DUNLIN_ERR_WIRE_BAD_RDATA', `OPT record in the ${where} section (RFC 6891 §6.1.1)`, at);
      out.push(rr);
      outSpans?.push({ start: at, end: r.pos });
    }
    return out;
  };
  const answers = section(an, 'answer', spans?.answers);
  const authority = section(ns, 'authority', spans?.authority);
  const additional: ResourceRecord[] = [];
  let edns: Edns | null = null;
  for (let i = 0; i < ar; i++) {
    const at = r.pos;
    const rr = readRecord(r);
    if (rr.type !== RRType.OPT) {
      additional.push(rr);
      spans?.additional.push({ start: at, end: r.pos });
      continue;
    }
    if (edns) throw new WireError('DUNLIN_ERR_WIRE_BAD_RDATA', 'more than one OPT record (RFC 6891 §6.1.1)', at);
    if (!rr.name.isRoot()) throw new WireError('DUNLIN_ERR_WIRE_BAD_RDATA', 'OPT owner is not the root (RFC 6891 §6.1.2)', at);
    edns = parseOpt(rr.class, rr.ttl, rr.rdata);
    if (spans) spans.opt = { start: at, end: r.pos };
  }
  if (r.remaining > 0) throw new WireError('DUNLIN_ERR_WIRE_TRAILING', `${r.remaining} octet(s) after the last record`, r.pos);
  return {
    id,
    flags,
    opcode: (flags >>> 11) & 0xf,
    rcode: ((edns?.extendedRcode ?? 0) << 4) | (flags & 0xf),
    questions,
    answers,
    authority,
    additional,
    edns,
  };
}

export interface EncodeOptions {
  /** Maximum message size; exceeding it throws DUNLIN_ERR_WIRE_OVERFLOW. Default 65535. */
  limit?: number;
}

function writeRecord(w: Writer, rr: ResourceRecord): void {
  w.name(rr.name, true);
  w.u16(rr.type);
  w.u16(rr.class);
  w.u32(rr.ttl >>> 0);
  const lenAt = w.pos;
  w.u16(0);
  writeRdata(w, rr.type, rr.rdata);
  const len = w.pos - lenAt - 2;
  if (len > 0xffff) throw new WireError('DUNLIN_ERR_WIRE_OVERFLOW', 'RDATA over 65535 octets', lenAt);
  w.setU16(lenAt, len);
}

/**
 * Encodes a message with name compression. `opcode` and `rcode` win over the matching bits of
 * `flags`; the rcode's upper 8 bits go into OPT, so an rcode over 15 needs `edns`.
 */
export function encodeMessage(msg: Message, opts: EncodeOptions = {}): Uint8Array {
  const w = new Writer(opts.limit ?? 65535);
  if (msg.rcode > 0xf && !msg.edns) throw new WireError('DUNLIN_ERR_WIRE_OVERFLOW', `rcode ${msg.rcode} needs EDNS to be sent`);
  w.u16(msg.id & 0xffff);
  w.u16(((msg.flags & ~0x780f) | ((msg.opcode & 0xf) << 11) | (msg.rcode & 0xf)) & 0xffff);
  const counts = [msg.questions.length, msg.answers.length, msg.authority.length, msg.additional.length + (msg.edns ? 1 : 0)];
  for (const c of counts) {
    if (c > 0xffff) throw new WireError('DUNLIN_ERR_WIRE_OVERFLOW', 'more than 65535 entries in a section');
    w.u16(c);
  }
  for (const q of msg.questions) {
    w.name(q.name, true);
    w.u16(q.type);
    w.u16(q.class);
  }
  for (const rr of msg.answers) writeRecord(w, rr);
  for (const rr of msg.authority) writeRecord(w, rr);
  for (const rr of msg.additional) writeRecord(w, rr);
  if (msg.edns) writeOpt(w, { ...msg.edns, extendedRcode: msg.rcode >>> 4 });
  return w.toBytes();
}

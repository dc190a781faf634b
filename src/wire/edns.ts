// Owns the EDNS(0) OPT pseudo-record (RFC 6891 §6): parsing its fields and options, and writing it.
import { EDNS_DO, RRType } from './constants.ts';
import { WireError } from './errors.ts';
import { Reader } from './reader.ts';
import type { Writer } from './writer.ts';

export interface EdnsOption {
  code: number;
  data: Uint8Array;
}

export interface Edns {
  /** Requestor's UDP payload size (the OPT CLASS field). */
  udpSize: number;
  /** Upper 8 bits of the 12-bit rcode (RFC 6891 §6.1.3). */
  extendedRcode: number;
  version: number;
  /** The DO bit (RFC 3225), also present in `flags`. */
  dnssecOk: boolean;
  /** The 16-bit flags field of the OPT TTL, DO included. */
  flags: number;
  options: EdnsOption[];
}

/** Option codes Dunlin knows by name (IANA "DNS EDNS0 Option Codes"). */
export const EdnsOptionCode = {
  NSID: 3, CLIENT_SUBNET: 8, EXPIRE: 9, COOKIE: 10, TCP_KEEPALIVE: 11, PADDING: 12, CHAIN: 13, KEY_TAG: 14, EDE: 15,
} as const;

/** Builds Edns from the OPT RR's CLASS, TTL and RDATA; the options must fill RDATA exactly. */
export function parseOpt(cls: number, ttl: number, rdata: Uint8Array): Edns {
  const r = new Reader(rdata);
  const options: EdnsOption[] = [];
  while (r.remaining > 0) {
    if (r.remaining < 4) throw new WireError('DUNLIN_ERR_WIRE_BAD_RDATA', 'truncated EDNS option header', r.pos);
    const code = r.u16();
    const len = r.u16();
    if (len > r.remaining) throw new WireError('DUNLIN_ERR_WIRE_BAD_RDATA', `EDNS option ${code} length ${len} runs past the OPT RDATA`, r.pos);
    options.push({ code, data: r.copy(len) });
  }
  const flags = ttl & 0xffff;
  return {
    udpSize: cls,
    extendedRcode: ttl >>> 24,
    version: (ttl >>> 16) & 0xff,
    dnssecOk: (flags & EDNS_DO) !== 0,
    flags,
    options,
  };
}

/** Octets the OPT RR will take on the wire. */
export function optSize(e: Edns): number {
  let n = 11;
  for (const o of e.options) n += 4 + o.data.length;
  return n;
}

/** Writes the whole OPT RR (root owner, type 41). `dnssecOk` wins over the DO bit in `flags`. */
export function writeOpt(w: Writer, e: Edns): void {
  w.u8(0);
  w.u16(RRType.OPT);
  w.u16(e.udpSize & 0xffff);
  const flags = (e.flags & ~EDNS_DO & 0xffff) | (e.dnssecOk ? EDNS_DO : 0);
  w.u32((((e.extendedRcode & 0xff) << 24) | ((e.version & 0xff) << 16) | flags) >>> 0);
  let len = 0;
  for (const o of e.options) len += 4 + o.data.length;
  if (len > 0xffff) throw new WireError('DUNLIN_ERR_WIRE_OVERFLOW', 'EDNS options exceed 65535 octets');
  w.u16(len);
  for (const o of e.options) {
    w.u16(o.code);
    w.u16(o.data.length);
    w.bytes(o.data);
  }
}

/** A fresh Edns with defaults (RFC 6891 §6.2.5 recommends 1232 for the payload size nowadays). */
export function defaultEdns(udpSize = 1232): Edns {
  return { udpSize, extendedRcode: 0, version: 0, dnssecOk: false, flags: 0, options: [] };
}

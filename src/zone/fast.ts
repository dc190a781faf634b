// Owns the allocation-free fast paths for the commonest RDATA (A, AAAA, NS, CNAME, PTR, MX, TXT); anything unusual goes to the codecs.
import { RRType } from '../wire/constants.ts';
import type { Name } from '../wire/name.ts';
import type { Token } from './lexer.ts';

/**
 * Fast path for plain names: labels of printable ASCII without escapes, `@`, quotes or
 * parentheses. Writes the wire form (relative names completed with `origin`) into `wire` at `at`
 * and returns its length; anything unusual returns -1 and goes through Name.fromText, which
 * gives the same octets for what this accepts and produces the error messages for the rest.
 */
export function plainNameInto(text: string, origin: Name, wire: Uint8Array, at: number): number {
  const n = text.length;
  if (n === 0 || n > 254) return -1;
  let labelLen = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x2e) {
      if (labelLen === 0) return -1;
      labelLen = 0;
      continue;
    }
    if (c <= 0x20 || c > 0x7e || c === 0x5c || c === 0x40 || c === 0x22 || c === 0x28 || c === 0x29 || c === 0x3b) return -1;
    if (++labelLen > 63) return -1;
  }
  const absolute = labelLen === 0;
  // n characters become n + 1 octets: each dot turns into the next label's length octet (or the root).
  const total = absolute ? n + 1 : n + 1 + origin.wire.length;
  if (total > 255) return -1;
  let lenAt = at;
  let p = at + 1;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x2e) {
      wire[lenAt] = p - lenAt - 1;
      lenAt = p++;
    } else {
      wire[p++] = c;
    }
  }
  if (absolute) {
    // The trailing dot's slot is the root label.
    wire[lenAt] = 0;
    return total;
  }
  wire[lenAt] = p - lenAt - 1;
  wire.set(origin.wire, p);
  return total;
}

/** s[from..to) as a dotted quad exactly as the A codec accepts it (1-3 digits, <= 255, no leading zero); 4, or -1 otherwise. */
export function ipv4Into(s: string, from: number, to: number, out: Uint8Array, at: number): number {
  let part = 0;
  let v = 0;
  let digits = 0;
  let lead = false;
  for (let i = from; i <= to; i++) {
    const c = i < to ? s.charCodeAt(i) : 0x2e;
    if (c === 0x2e) {
      if (digits === 0 || v > 255 || (lead && digits > 1) || part > 3) return -1;
      out[at + part++] = v;
      v = 0;
      digits = 0;
      continue;
    }
    if (c < 0x30 || c > 0x39 || ++digits > 3) return -1;
    if (digits === 1) lead = c === 0x30;
    v = v * 10 + c - 0x30;
  }
  return part === 4 ? 4 : -1;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  if (l >= 0x61 && l <= 0x66) return l - 0x61 + 10;
  return -1;
}

const groups: number[] = [];

/**
 * s[from..to) as RFC 4291 §2.2 hex groups with at most one `::` (no embedded dotted quad: those
 * go to the codec). Returns 16 or -1.
 */
export function ipv6Into(s: string, from: number, to: number, out: Uint8Array, at: number): number {
  const n = to;
  if (to - from < 2 || to - from > 45) return -1;
  groups.length = 0;
  let gap = -1;
  let i = from;
  if (s.charCodeAt(from) === 0x3a) {
    if (s.charCodeAt(from + 1) !== 0x3a) return -1;
    gap = 0;
    i = from + 2;
    if (i === n) return ipv6Fill(groups, gap, out, at);
  }
  for (;;) {
    let v = 0;
    let d = 0;
    while (i < n && s.charCodeAt(i) !== 0x3a) {
      const h = hexValue(s.charCodeAt(i));
      if (h < 0 || ++d > 4) return -1;
      v = v * 16 + h;
      i++;
    }
    if (d === 0) return -1;
    groups.push(v);
    if (groups.length > 8) return -1;
    if (i === n) break;
    i++; // ':'
    if (i < n && s.charCodeAt(i) === 0x3a) {
      if (gap >= 0) return -1;
      gap = groups.length;
      i++;
      if (i === n) break;
    } else if (i === n) {
      return -1; // a single trailing ':'
    }
  }
  return ipv6Fill(groups, gap, out, at);
}

function ipv6Fill(groups: readonly number[], gap: number, out: Uint8Array, at: number): number {
  if (gap < 0 ? groups.length !== 8 : groups.length > 7) return -1;
  const zeros = gap < 0 ? 0 : 8 - groups.length;
  let g = 0;
  for (let k = 0; k < 8; k++) {
    const v = gap >= 0 && k >= gap && k < gap + zeros ? 0 : groups[g++]!;
    out[at + 2 * k] = v >>> 8;
    out[at + 2 * k + 1] = v & 0xff;
  }
  return 16;
}

/**
 * RDATA of the common types straight into `out` (>= 65536 octets) from tokens toks[from..];
 * returns the length, or -1 when the codec must handle it (including every error case, so the
 * messages and positions stay the codec's). The result equals the codec's output octet for octet.
 */
export function fastRdata(type: number, toks: readonly Token[], from: number, origin: Name, out: Uint8Array): number {
  const count = toks.length - from;
  if (count <= 0) return -1;
  const t0 = toks[from]!;
  switch (type) {
    case RRType.A:
      return count === 1 && !t0.quoted ? ipv4Into(t0.text, 0, t0.text.length, out, 0) : -1;
    case RRType.AAAA:
      return count === 1 && !t0.quoted ? ipv6Into(t0.text, 0, t0.text.length, out, 0) : -1;
    case RRType.NS:
    case RRType.CNAME:
    case RRType.PTR:
      return count === 1 && !t0.quoted ? plainNameInto(t0.text, origin, out, 0) : -1;
    case RRType.MX: {
      if (count !== 2 || t0.quoted) return -1;
      const p = t0.text;
      if (p.length === 0 || p.length > 5) return -1;
      let v = 0;
      for (let i = 0; i < p.length; i++) {
        const c = p.charCodeAt(i);
        if (c < 0x30 || c > 0x39) return -1;
        v = v * 10 + c - 0x30;
      }
      const t1 = toks[from + 1]!;
      if (v > 0xffff || t1.quoted) return -1;
      out[0] = v >>> 8;
      out[1] = v & 0xff;
      const len = plainNameInto(t1.text, origin, out, 2);
      return len < 0 ? -1 : len + 2;
    }
    case RRType.TXT: {
      // Character-strings without escapes: the octets are the characters (the lexer already made octets above 0x7E into \DDD).
      let p = 0;
      for (let k = from; k < toks.length; k++) {
        const s = toks[k]!.text;
        const n = s.length;
        if (n > 255 || p + 1 + n > 65535) return -1;
        out[p++] = n;
        for (let i = 0; i < n; i++) {
          const c = s.charCodeAt(i);
          if (c === 0x5c || c > 0x7f) return -1;
          out[p++] = c;
        }
      }
      return p;
    }
    default:
      return -1;
  }
}

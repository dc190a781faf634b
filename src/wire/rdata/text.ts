// Owns the presentation-format primitives shared by RDATA codecs: integers, periods, character-strings, base64/base32hex/hex, IP addresses.
import { TextError } from '../errors.ts';
import type { TextToken } from './codec.ts';

export { ipv4ToText, ipv6ToText, parseIpv4Text, parseIpv6Text } from '../bytes.ts';

/** Sequential access to RDATA tokens with token-indexed errors. */
export class Tokens {
  readonly list: readonly TextToken[];
  i = 0;
  constructor(list: readonly TextToken[]) {
    this.list = list;
  }
  get done(): boolean {
    return this.i >= this.list.length;
  }
  next(what: string): TextToken {
    const t = this.list[this.i];
    if (!t) throw new TextError(`missing ${what}`, this.i);
    this.i++;
    return t;
  }
  /** Every remaining token (possibly none). */
  rest(): TextToken[] {
    const r = this.list.slice(this.i);
    this.i = this.list.length;
    return r;
  }
  fail(message: string, back = 1): never {
    throw new TextError(message, Math.max(0, this.i - back));
  }
  end(): void {
    if (!this.done) throw new TextError(`unexpected extra RDATA field "${this.list[this.i]!.text}"`, this.i);
  }
}

export function parseUint(t: Tokens, what: string, max: number): number {
  const tok = t.next(what);
  if (tok.quoted || !/^\d+$/.test(tok.text)) t.fail(`${what}: expected a decimal number, got "${tok.text}"`);
  const v = Number(tok.text);
  if (v > max) t.fail(`${what}: ${tok.text} is over ${max}`);
  return v;
}

const unitSeconds: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/** A 32-bit period: plain seconds or BIND-style units (`1h30m`, `2w`); used by SOA timers. */
export function parsePeriodText(text: string): number | undefined {
  if (/^\d+$/.test(text)) {
    const v = Number(text);
    return v <= 0xffffffff ? v : undefined;
  }
  if (!/^(\d+[smhdwSMHDW])+$/.test(text)) return undefined;
  let total = 0;
  for (const m of text.matchAll(/(\d+)([smhdwSMHDW])/g)) total += Number(m[1]) * unitSeconds[m[2]!.toLowerCase()]!;
  return total <= 0xffffffff ? total : undefined;
}

export function parsePeriod(t: Tokens, what: string): number {
  const tok = t.next(what);
  const v = tok.quoted ? undefined : parsePeriodText(tok.text);
  if (v === undefined) t.fail(`${what}: expected seconds or a period like 1h30m, got "${tok.text}"`);
  return v;
}

/**
 * Unescapes a presentation token into octets (RFC 1035 §5.1): `\DDD` is a decimal octet, `\X` is
 * X itself. Characters above U+00FF are taken as UTF-8.
 */
export function unescapeText(text: string, onError: (msg: string) => never): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5c) {
      const d = text.slice(i + 1, i + 4);
      if (/^\d{3}$/.test(d)) {
        const v = Number(d);
        if (v > 255) onError(`escape \\${d} is over 255`);
        out.push(v);
        i += 3;
        continue;
      }
      if (/^\d/.test(d)) onError(`escape \\${d} must be three decimal digits`);
      if (i + 1 >= text.length) onError('dangling backslash');
      i++;
      const e = text.codePointAt(i)!;
      if (e > 0x7f) {
        for (const b of new TextEncoder().encode(String.fromCodePoint(e))) out.push(b);
        if (e > 0xffff) i++;
      } else out.push(e);
      continue;
    }
    if (c > 0x7f) {
      const cp = text.codePointAt(i)!;
      for (const b of new TextEncoder().encode(String.fromCodePoint(cp))) out.push(b);
      if (cp > 0xffff) i++;
      continue;
    }
    out.push(c);
  }
  return Uint8Array.from(out);
}

/** One <character-string> token (quoted or not), at most 255 octets once unescaped. */
export function parseCharString(t: Tokens, what: string): Uint8Array {
  const tok = t.next(what);
  const b = unescapeText(tok.text, (m) => t.fail(`${what}: ${m}`));
  if (b.length > 255) t.fail(`${what}: character-string is ${b.length} octets, over 255`);
  return b;
}

/** Presentation of octets inside double quotes: `"` and `\` escaped, non-printables as \DDD. */
export function quoteBytes(b: Uint8Array): string {
  let s = '"';
  for (const c of b) {
    if (c === 0x22 || c === 0x5c) s += '\\' + String.fromCharCode(c);
    else if (c < 0x20 || c > 0x7e) s += '\\' + String(c).padStart(3, '0');
    else s += String.fromCharCode(c);
  }
  return s + '"';
}

// ---- hex / base64 / base32hex ----

export function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex').toUpperCase();
}

export function hexToBytes(hex: string, onError: (msg: string) => never): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) onError(`"${hex.length > 40 ? hex.slice(0, 40) + '…' : hex}" is not an even number of hex digits`);
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

export function toBase64(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString('base64');
}

/** Strict base64 (RFC 4648 §4): alphabet, length and padding are checked (Buffer alone is lenient). */
export function base64ToBytes(s: string, onError: (msg: string) => never): Uint8Array {
  if (s.length % 4 !== 0 || !/^[A-Za-z0-9+/]*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(s)) onError('invalid base64');
  return Uint8Array.from(Buffer.from(s, 'base64'));
}

const B32HEX = '0123456789ABCDEFGHIJKLMNOPQRSTUV';

/** Base32hex without padding (RFC 4648 §7; NSEC3 owner hashes, RFC 5155 §3.3). */
export function toBase32Hex(b: Uint8Array): string {
  let s = '';
  let acc = 0;
  let bits = 0;
  for (const x of b) {
    acc = (acc << 8) | x;
    bits += 8;
    while (bits >= 5) {
      s += B32HEX.charAt((acc >>> (bits - 5)) & 31);
      bits -= 5;
    }
    acc &= (1 << bits) - 1;
  }
  if (bits > 0) s += B32HEX.charAt((acc << (5 - bits)) & 31);
  return s;
}

export function base32HexToBytes(s: string, onError: (msg: string) => never): Uint8Array {
  const up = s.toUpperCase();
  const out: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const ch of up) {
    const v = B32HEX.indexOf(ch);
    if (v < 0) onError(`invalid base32hex character "${ch}"`);
    acc = (acc << 5) | v;
    bits += 5;
    if (bits >= 8) {
      out.push((acc >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
    acc &= (1 << bits) - 1;
  }
  // Leftover bits must be zero padding of a whole number of octets (lengths 2,4,5,7 mod 8 chars).
  if (bits >= 5 || acc !== 0) onError('base32hex has a trailing partial octet');
  return Uint8Array.from(out);
}

// ---- IP addresses: src/wire/bytes.ts (re-exported above) ----

// ---- time (RRSIG) ----

/** RRSIG time (RFC 4034 §3.2): YYYYMMDDHHmmSS in UTC, or a plain number of seconds. */
export function parseTimeText(s: string): number | undefined {
  if (/^\d{14}$/.test(s)) {
    const y = Number(s.slice(0, 4));
    const mo = Number(s.slice(4, 6));
    const d = Number(s.slice(6, 8));
    const h = Number(s.slice(8, 10));
    const mi = Number(s.slice(10, 12));
    const se = Number(s.slice(12, 14));
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 59) return undefined;
    const ms = Date.UTC(y, mo - 1, d, h, mi, se);
    if (new Date(ms).getUTCDate() !== d) return undefined;
    // Serial arithmetic (RFC 4034 §3.1.5): the field holds the time modulo 2^32.
    return (((ms / 1000) % 0x100000000) + 0x100000000) % 0x100000000;
  }
  if (/^\d{1,10}$/.test(s)) {
    const v = Number(s);
    return v <= 0xffffffff ? v : undefined;
  }
  return undefined;
}

export function timeToText(v: number): string {
  const d = new Date(v * 1000);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${p(d.getUTCFullYear(), 4)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`;
}

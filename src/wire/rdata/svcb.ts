// Owns SVCB and HTTPS RDATA (RFC 9460): SvcParams wire validation, presentation (value-lists, escapes), sorting and duplicate/mandatory checks.
import { TextError, WireError } from '../errors.ts';
import type { Name } from '../name.ts';
import type { Reader } from '../reader.ts';
import type { Writer } from '../writer.ts';
import { RRType } from '../constants.ts';
import type { TextToken } from './codec.ts';
import { Bytes, boundedDecode, nameAt, parseName, type DunlinCodec } from './fields.ts';
import {
  Tokens, base64ToBytes, ipv4ToText, ipv6ToText, parseIpv4Text, parseIpv6Text, quoteBytes, toBase64, unescapeText,
} from './text.ts';

/** SvcParamKeys with a registered name (RFC 9460 §14.3.2, RFC 9461 dohpath, RFC 9540 ohttp). */
const KEY_NAMES: readonly string[] = ['mandatory', 'alpn', 'no-default-alpn', 'port', 'ipv4hint', 'ech', 'ipv6hint', 'dohpath', 'ohttp'];
const K = { MANDATORY: 0, ALPN: 1, NO_DEFAULT_ALPN: 2, PORT: 3, IPV4HINT: 4, ECH: 5, IPV6HINT: 6, DOHPATH: 7, OHTTP: 8, INVALID: 65535 } as const;

export function svcKeyToText(k: number): string {
  return KEY_NAMES[k] ?? `key${k}`;
}

function svcKeyFromText(s: string): number | undefined {
  const i = KEY_NAMES.indexOf(s.toLowerCase());
  if (i >= 0) return i;
  const m = /^key(\d{1,5})$/i.exec(s);
  if (!m) return undefined;
  const v = Number(m[1]);
  return v <= 0xffff ? v : undefined;
}

function bad(msg: string, at = -1): never {
  throw new WireError('DUNLIN_ERR_WIRE_BAD_RDATA', msg, at);
}

/** Checks one SvcParam value's wire format (RFC 9460 §7, §8). */
function checkValue(key: number, v: Uint8Array, at: number): void {
  switch (key) {
    case K.MANDATORY: {
      if (v.length === 0 || v.length % 2 !== 0) bad('mandatory: value must be a non-empty list of 16-bit keys', at);
      let last = -1;
      for (let i = 0; i < v.length; i += 2) {
        const k = (v[i]! << 8) | v[i + 1]!;
        if (k === K.MANDATORY) bad('mandatory: must not list "mandatory" itself (RFC 9460 §8)', at);
        if (k <= last) bad('mandatory: keys must be strictly increasing (RFC 9460 §8)', at);
        last = k;
      }
      return;
    }
    case K.ALPN: {
      if (v.length === 0) bad('alpn: empty value', at);
      let p = 0;
      while (p < v.length) {
        const n = v[p]!;
        if (n === 0) bad('alpn: empty protocol id', at);
        if (p + 1 + n > v.length) bad('alpn: protocol id runs past the value', at);
        p += 1 + n;
      }
      return;
    }
    case K.NO_DEFAULT_ALPN: case K.OHTTP:
      if (v.length !== 0) bad(`${svcKeyToText(key)}: value must be empty`, at);
      return;
    case K.PORT:
      if (v.length !== 2) bad('port: value must be 2 octets', at);
      return;
    case K.IPV4HINT:
      if (v.length === 0 || v.length % 4 !== 0) bad('ipv4hint: value must be a non-empty list of IPv4 addresses', at);
      return;
    case K.IPV6HINT:
      if (v.length === 0 || v.length % 16 !== 0) bad('ipv6hint: value must be a non-empty list of IPv6 addresses', at);
      return;
    case K.INVALID:
      return bad('key65535 is reserved ("Invalid key", RFC 9460 §14.3.2)', at);
    default:
      return;
  }
}

/** Validates the SvcParams of an RDATA whose params start at `off`; returns [key, value-start, value-end][]. */
function params(b: Uint8Array, off: number): [number, number, number][] {
  const out: [number, number, number][] = [];
  let p = off;
  let last = -1;
  while (p < b.length) {
    if (p + 4 > b.length) bad('truncated SvcParam header', p);
    const key = (b[p]! << 8) | b[p + 1]!;
    const len = (b[p + 2]! << 8) | b[p + 3]!;
    if (p + 4 + len > b.length) bad(`SvcParam ${svcKeyToText(key)} runs past the RDATA`, p);
    // RFC 9460 §2.2: keys appear in strictly increasing order, so duplicates are malformed too.
    if (key <= last) bad(`SvcParam ${svcKeyToText(key)} is out of order or repeated`, p);
    checkValue(key, b.subarray(p + 4, p + 4 + len), p);
    out.push([key, p + 4, p + 4 + len]);
    last = key;
    p += 4 + len;
  }
  const present = new Set(out.map((x) => x[0]));
  // RFC 9460 §7.1.1: no-default-alpn without alpn is not self-consistent.
  if (present.has(K.NO_DEFAULT_ALPN) && !present.has(K.ALPN)) bad('no-default-alpn without alpn (RFC 9460 §7.1.1)');
  const mand = out.find((x) => x[0] === K.MANDATORY);
  if (mand) {
    for (let i = mand[1]; i < mand[2]; i += 2) {
      const k = (b[i]! << 8) | b[i + 1]!;
      if (!present.has(k)) bad(`mandatory lists ${svcKeyToText(k)}, which is not present (RFC 9460 §8)`);
    }
  }
  return out;
}

/** Value-list item escaping (RFC 9460 Appendix A.1): `,` and `\` inside an item get a backslash. */
function escapeListItem(item: Uint8Array): Uint8Array {
  const out: number[] = [];
  for (const c of item) {
    if (c === 0x2c || c === 0x5c) out.push(0x5c);
    out.push(c);
  }
  return Uint8Array.from(out);
}

function splitValueList(v: Uint8Array, fail: (m: string) => never): Uint8Array[] {
  const items: Uint8Array[] = [];
  let cur: number[] = [];
  for (let i = 0; i < v.length; i++) {
    const c = v[i]!;
    if (c === 0x5c) {
      if (i + 1 >= v.length) fail('dangling backslash in value-list');
      cur.push(v[++i]!);
    } else if (c === 0x2c) {
      items.push(Uint8Array.from(cur));
      cur = [];
    } else cur.push(c);
  }
  items.push(Uint8Array.from(cur));
  return items;
}

function valueToText(key: number, v: Uint8Array): string {
  switch (key) {
    case K.MANDATORY: {
      const ks: string[] = [];
      for (let i = 0; i < v.length; i += 2) ks.push(svcKeyToText((v[i]! << 8) | v[i + 1]!));
      return ks.join(',');
    }
    case K.ALPN: {
      const items: Uint8Array[] = [];
      let p = 0;
      while (p < v.length) {
        items.push(escapeListItem(v.subarray(p + 1, p + 1 + v[p]!)));
        p += 1 + v[p]!;
      }
      const joined: number[] = [];
      items.forEach((it, i) => {
        if (i > 0) joined.push(0x2c);
        joined.push(...it);
      });
      return quoteBytes(Uint8Array.from(joined));
    }
    case K.PORT: return String((v[0]! << 8) | v[1]!);
    case K.IPV4HINT: {
      const a: string[] = [];
      for (let i = 0; i < v.length; i += 4) a.push(ipv4ToText(v, i));
      return a.join(',');
    }
    case K.IPV6HINT: {
      const a: string[] = [];
      for (let i = 0; i < v.length; i += 16) a.push(ipv6ToText(v, i));
      return a.join(',');
    }
    case K.ECH: return toBase64(v);
    default: return quoteBytes(v);
  }
}

function svcbToText(b: Uint8Array): string {
  const prio = (b[0]! << 8) | b[1]!;
  const target = nameAt(b, 2);
  const off = 2 + target.wire.length;
  const parts = [String(prio), target.toText()];
  for (const [key, s, e] of params(b, off)) {
    const v = b.subarray(s, e);
    if (v.length === 0 && (key === K.NO_DEFAULT_ALPN || key === K.OHTTP || key >= KEY_NAMES.length)) parts.push(svcKeyToText(key));
    else if (v.length === 0) parts.push(`${svcKeyToText(key)}=""`);
    else parts.push(`${svcKeyToText(key)}=${valueToText(key, v)}`);
  }
  return parts.join(' ');
}

/** Parses one presentation value into wire octets. */
function valueFromText(key: number, raw: Uint8Array, fail: (m: string) => never): Uint8Array {
  const text = Buffer.from(raw).toString('latin1');
  switch (key) {
    case K.MANDATORY: {
      const ks: number[] = [];
      for (const item of text.split(',')) {
        const k = svcKeyFromText(item);
        if (k === undefined) fail(`mandatory: unknown key "${item}"`);
        if (k === K.MANDATORY) fail('mandatory: must not list "mandatory" itself (RFC 9460 §8)');
        if (ks.includes(k)) fail(`mandatory: key "${item}" listed twice (RFC 9460 §8)`);
        ks.push(k);
      }
      ks.sort((a, b) => a - b);
      const out = new Bytes();
      for (const k of ks) out.u16(k);
      return out.done();
    }
    case K.ALPN: {
      const out = new Bytes();
      for (const item of splitValueList(raw, fail)) {
        if (item.length === 0 || item.length > 255) fail('alpn: each protocol id must be 1..255 octets');
        out.lp8(item);
      }
      return out.done();
    }
    case K.NO_DEFAULT_ALPN: case K.OHTTP:
      if (raw.length !== 0) fail(`${svcKeyToText(key)}: takes no value`);
      return raw;
    case K.PORT: {
      if (!/^\d{1,5}$/.test(text) || Number(text) > 65535) fail(`port: "${text}" is not a port number`);
      return Uint8Array.of(Number(text) >>> 8, Number(text) & 0xff);
    }
    case K.IPV4HINT: case K.IPV6HINT: {
      const out = new Bytes();
      for (const a of text.split(',')) {
        const v = key === K.IPV4HINT ? parseIpv4Text(a) : parseIpv6Text(a);
        if (!v) fail(`${svcKeyToText(key)}: "${a}" is not an address`);
        out.bytes(v);
      }
      return out.done();
    }
    case K.ECH: return base64ToBytes(text, (m) => fail(`ech: ${m}`));
    case K.INVALID: return fail('key65535 is reserved');
    default: return raw;
  }
}

function svcbFromText(tokens: readonly TextToken[], origin: Name): Uint8Array {
  const t = new Tokens(tokens);
  const tok0 = t.next('SvcPriority');
  if (tok0.quoted || !/^\d+$/.test(tok0.text) || Number(tok0.text) > 0xffff) t.fail(`SvcPriority: expected 0..65535, got "${tok0.text}"`);
  const target = parseName(t, 'TargetName', origin);
  const seen = new Map<number, Uint8Array>();
  while (!t.done) {
    const tok = t.next('SvcParam');
    const idx = t.i - 1;
    const fail: (m: string) => never = (m) => {
      throw new TextError(m, idx);
    };
    if (tok.quoted) fail(`SvcParam: unexpected quoted string "${tok.text}"`);
    const eq = tok.text.indexOf('=');
    const keyText = eq < 0 ? tok.text : tok.text.slice(0, eq);
    const key = svcKeyFromText(keyText);
    if (key === undefined) fail(`unknown SvcParamKey "${keyText}"`);
    let raw: Uint8Array;
    if (eq < 0) raw = new Uint8Array(0);
    else if (eq === tok.text.length - 1 && t.list[t.i]?.quoted) {
      // `key="value"`: the lexer splits at the quote, so the value is the next (quoted) token.
      raw = unescapeText(t.next('value').text, fail);
    } else raw = unescapeText(tok.text.slice(eq + 1), fail);
    if (eq < 0 && key !== K.NO_DEFAULT_ALPN && key !== K.OHTTP && key < KEY_NAMES.length) fail(`${keyText}: a value is required`);
    if (seen.has(key)) fail(`SvcParamKey ${svcKeyToText(key)} appears twice (RFC 9460 §2.1)`);
    seen.set(key, valueFromText(key, raw, fail));
  }
  const keys = [...seen.keys()].sort((a, b) => a - b);
  if (seen.has(K.NO_DEFAULT_ALPN) && !seen.has(K.ALPN)) throw new TextError('no-default-alpn requires alpn (RFC 9460 §7.1.1)');
  const out = new Bytes();
  out.u16(Number(tok0.text));
  out.bytes(target.wire);
  for (const k of keys) {
    const v = seen.get(k)!;
    if (v.length > 0xffff) throw new TextError(`${svcKeyToText(k)}: value over 65535 octets`);
    out.u16(k);
    out.u16(v.length);
    out.bytes(v);
  }
  const bytes = out.done();
  try {
    params(bytes, 2 + target.wire.length);
  } catch (e) {
    if (e instanceof WireError) throw new TextError(e.message);
    throw e;
  }
  return bytes;
}

function svcbCodec(type: number): DunlinCodec {
  return {
    type,
    mnemonic: type === RRType.SVCB ? 'SVCB' : 'HTTPS',
    decode(r: Reader, length: number): Uint8Array {
      return boundedDecode(r, length, (sub) => {
        const start = sub.pos;
        sub.u16();
        // RFC 9460 §2.2: TargetName is never compressed.
        sub.name(false);
        const out = sub.msg.slice(start, sub.end);
        params(out, sub.pos - start);
        sub.pos = sub.end;
        return out;
      });
    },
    encode(w: Writer, rdata: Uint8Array): void {
      w.bytes(rdata);
    },
    toText: svcbToText,
    fromText: svcbFromText,
    nameOffsets: () => [2],
    target(rdata: Uint8Array): Name | null {
      // RFC 9460 §4.1: "." means the owner itself, so there is nothing extra to look up.
      const n = nameAt(rdata, 2);
      return n.isRoot() ? null : n;
    },
  };
}

export const svcbCodecs: readonly DunlinCodec[] = [svcbCodec(RRType.SVCB), svcbCodec(RRType.HTTPS)];

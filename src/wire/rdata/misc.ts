// Owns the RDATA types with a type-dependent or list layout: IPSECKEY (RFC 4025), AMTRELAY (RFC 8777), APL (RFC 3123), CAA (RFC 8659), HIP (RFC 8005).
import { WireError } from '../errors.ts';
import type { Name } from '../name.ts';
import type { Reader } from '../reader.ts';
import type { Writer } from '../writer.ts';
import { RRType } from '../constants.ts';
import type { TextToken } from './codec.ts';
import { Bytes, boundedDecode, nameAt, nameLength, parseName, type DunlinCodec } from './fields.ts';
import {
  Tokens, base64ToBytes, hexToBytes, ipv4ToText, ipv6ToText, parseIpv4Text, parseIpv6Text, parseUint, quoteBytes, toBase64, toHex, unescapeText,
} from './text.ts';

function bad(msg: string, at = -1): never {
  throw new WireError('DUNLIN_ERR_WIRE_BAD_RDATA', msg, at);
}

function opaque(type: number, mnemonic: string, parts: {
  decode: (r: Reader) => Uint8Array;
  toText: (b: Uint8Array) => string;
  fromText: (t: Tokens, origin: Name) => Uint8Array;
  nameOffsets?: (b: Uint8Array) => number[];
}): DunlinCodec {
  return {
    type,
    mnemonic,
    decode: (r, length) => boundedDecode(r, length, parts.decode),
    encode(w: Writer, rdata: Uint8Array): void {
      w.bytes(rdata);
    },
    toText: parts.toText,
    fromText(tokens: readonly TextToken[], origin: Name): Uint8Array {
      const t = new Tokens(tokens);
      const out = parts.fromText(t, origin);
      t.end();
      return out;
    },
    nameOffsets: parts.nameOffsets ?? (() => []),
    target: () => null,
  };
}

// ---- gateway / relay by type (IPSECKEY RFC 4025 §2.5, AMTRELAY RFC 8777 §4.2) ----

function readGateway(r: Reader, gtype: number): void {
  switch (gtype) {
    case 0: return;
    case 1: r.bytes(4); return;
    case 2: r.bytes(16); return;
    case 3: r.name(false); return;
    default: bad(`gateway type ${gtype} is not 0..3`, r.pos);
  }
}

function gatewayEnd(b: Uint8Array, off: number, gtype: number): number {
  switch (gtype) {
    case 1: return off + 4;
    case 2: return off + 16;
    case 3: return off + nameLength(b, off);
    default: return off;
  }
}

function gatewayToText(b: Uint8Array, off: number, gtype: number): string {
  switch (gtype) {
    case 1: return ipv4ToText(b, off);
    case 2: return ipv6ToText(b, off);
    case 3: return nameAt(b, off).toText();
    default: return '.';
  }
}

function gatewayFromText(t: Tokens, gtype: number, origin: Name, out: Bytes): void {
  if (gtype === 3) {
    out.bytes(parseName(t, 'gateway', origin).wire);
    return;
  }
  const tok = t.next('gateway');
  if (gtype === 0) {
    if (tok.text !== '.') t.fail(`gateway: type 0 needs ".", got "${tok.text}"`);
    return;
  }
  const v = gtype === 1 ? parseIpv4Text(tok.text) : parseIpv6Text(tok.text);
  if (!v) t.fail(`gateway: "${tok.text}" is not an IPv${gtype === 1 ? 4 : 6} address`);
  out.bytes(v);
}

const ipseckey = opaque(RRType.IPSECKEY, 'IPSECKEY', {
  decode(r) {
    const start = r.pos;
    r.u8();
    const gtype = r.u8();
    r.u8();
    readGateway(r, gtype);
    r.pos = r.end;
    return r.msg.slice(start, r.end);
  },
  toText(b) {
    const end = gatewayEnd(b, 3, b[1]!);
    const key = b.length > end ? ' ' + toBase64(b.subarray(end)) : '';
    return `${b[0]} ${b[1]} ${b[2]} ${gatewayToText(b, 3, b[1]!)}${key}`;
  },
  fromText(t: Tokens, origin: Name) {
    const out = new Bytes();
    out.u8(parseUint(t, 'precedence', 255));
    const gtype = parseUint(t, 'gateway type', 3);
    out.u8(gtype);
    out.u8(parseUint(t, 'algorithm', 255));
    gatewayFromText(t, gtype, origin, out);
    const key = t.rest().map((x) => x.text).join('');
    out.bytes(base64ToBytes(key, (m) => t.fail(`public key: ${m}`)));
    return out.done();
  },
  nameOffsets: (b) => (b[1] === 3 ? [3] : []),
});

const amtrelay = opaque(RRType.AMTRELAY, 'AMTRELAY', {
  decode(r) {
    const start = r.pos;
    r.u8();
    const dt = r.u8();
    readGateway(r, dt & 0x7f);
    if (r.remaining > 0) bad('AMTRELAY has octets after the relay', r.pos);
    return r.msg.slice(start, r.end);
  },
  toText(b) {
    return `${b[0]} ${b[1]! >> 7} ${b[1]! & 0x7f} ${gatewayToText(b, 2, b[1]! & 0x7f)}`;
  },
  fromText(t: Tokens, origin: Name) {
    const out = new Bytes();
    out.u8(parseUint(t, 'precedence', 255));
    const d = parseUint(t, 'discovery optional', 1);
    const rtype = parseUint(t, 'relay type', 3);
    out.u8((d << 7) | rtype);
    gatewayFromText(t, rtype, origin, out);
    return out.done();
  },
  nameOffsets: (b) => ((b[1]! & 0x7f) === 3 ? [2] : []),
});

// ---- APL (RFC 3123 §4) ----

const apl = opaque(RRType.APL, 'APL', {
  decode(r) {
    const start = r.pos;
    while (r.remaining > 0) {
      const at = r.pos;
      const family = r.u16();
      const prefix = r.u8();
      const nlen = r.u8();
      const len = nlen & 0x7f;
      const afd = r.bytes(len);
      const max = family === 1 ? 4 : family === 2 ? 16 : -1;
      if (max < 0) bad(`APL address family ${family} is not 1 or 2`, at);
      if (prefix > max * 8) bad(`APL prefix ${prefix} too long for family ${family}`, at);
      if (len > max) bad(`APL AFDLENGTH ${len} too long for family ${family}`, at);
      // RFC 3123 §4: trailing zero octets of the address part MUST NOT be sent.
      if (len > 0 && afd[len - 1] === 0) bad('APL address part has a trailing zero octet', at);
    }
    return r.msg.slice(start, r.end);
  },
  toText(b) {
    const items: string[] = [];
    let p = 0;
    while (p < b.length) {
      const family = (b[p]! << 8) | b[p + 1]!;
      const prefix = b[p + 2]!;
      const neg = b[p + 3]! & 0x80;
      const len = b[p + 3]! & 0x7f;
      const addr = new Uint8Array(family === 1 ? 4 : 16);
      addr.set(b.subarray(p + 4, p + 4 + len));
      items.push(`${neg ? '!' : ''}${family}:${family === 1 ? ipv4ToText(addr) : ipv6ToText(addr)}/${prefix}`);
      p += 4 + len;
    }
    return items.join(' ');
  },
  fromText(t: Tokens) {
    const out = new Bytes();
    while (!t.done) {
      const tok = t.next('APL item');
      const m = /^(!?)([12]):([^/]+)\/(\d{1,3})$/.exec(tok.text);
      if (!m) t.fail(`APL item: expected [!]afi:address/prefix, got "${tok.text}"`);
      const family = Number(m[2]);
      const addr = family === 1 ? parseIpv4Text(m[3]!) : parseIpv6Text(m[3]!);
      if (!addr) t.fail(`APL item: "${m[3]}" is not an IPv${family === 1 ? 4 : 6} address`);
      const prefix = Number(m[4]);
      if (prefix > addr.length * 8) t.fail(`APL item: prefix /${prefix} too long`);
      let len = addr.length;
      while (len > 0 && addr[len - 1] === 0) len--;
      out.u16(family);
      out.u8(prefix);
      out.u8((m[1] ? 0x80 : 0) | len);
      out.bytes(addr.subarray(0, len));
    }
    return out.done();
  },
});

// ---- CAA (RFC 8659 §4.1) ----

const caa = opaque(RRType.CAA, 'CAA', {
  decode(r) {
    const start = r.pos;
    r.u8();
    const tag = r.charString();
    if (tag.length < 1 || tag.length > 15) bad(`CAA tag length ${tag.length} not in 1..15`, start + 1);
    for (const c of tag) {
      const alnum = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
      if (!alnum) bad('CAA tag must be letters and digits only', start + 1);
    }
    r.pos = r.end;
    return r.msg.slice(start, r.end);
  },
  toText(b) {
    const tagLen = b[1]!;
    const tag = Buffer.from(b.subarray(2, 2 + tagLen)).toString('latin1');
    return `${b[0]} ${tag} ${quoteBytes(b.subarray(2 + tagLen))}`;
  },
  fromText(t: Tokens) {
    const out = new Bytes();
    out.u8(parseUint(t, 'flags', 255));
    const tag = t.next('tag');
    if (!/^[A-Za-z0-9]{1,15}$/.test(tag.text)) t.fail(`tag: must be 1..15 letters and digits, got "${tag.text}"`);
    out.lp8(Uint8Array.from(Buffer.from(tag.text, 'latin1')));
    const v = t.next('value');
    out.bytes(unescapeText(v.text, (m) => t.fail(`value: ${m}`)));
    return out.done();
  },
});

// ---- HIP (RFC 8005 §5) ----

const hip = opaque(RRType.HIP, 'HIP', {
  decode(r) {
    const start = r.pos;
    const hitLen = r.u8();
    r.u8();
    const pkLen = r.u16();
    if (hitLen === 0) bad('HIP HIT is empty', start);
    if (pkLen === 0) bad('HIP public key is empty (RFC 8005 §5)', start);
    r.bytes(hitLen);
    r.bytes(pkLen);
    const parts: Uint8Array[] = [r.msg.subarray(start, r.pos)];
    // RFC 8005 §6: rendezvous server names MUST NOT be compressed.
    while (r.remaining > 0) parts.push(r.name(false).wire);
    const out = new Bytes();
    for (const p of parts) out.bytes(Uint8Array.from(p));
    return out.done();
  },
  toText(b) {
    const hitLen = b[0]!;
    const pkLen = (b[2]! << 8) | b[3]!;
    const parts = [String(b[1]), toHex(b.subarray(4, 4 + hitLen)), toBase64(b.subarray(4 + hitLen, 4 + hitLen + pkLen))];
    let p = 4 + hitLen + pkLen;
    while (p < b.length) {
      const n = nameAt(b, p);
      parts.push(n.toText());
      p += n.wire.length;
    }
    return parts.join(' ');
  },
  fromText(t: Tokens, origin: Name) {
    const alg = parseUint(t, 'PK algorithm', 255);
    const hitTok = t.next('HIT');
    const hit = hexToBytes(hitTok.text, (m) => t.fail(`HIT: ${m}`));
    if (hit.length < 1 || hit.length > 255) t.fail('HIT: must be 1..255 octets');
    const pkTok = t.next('public key');
    const pk = base64ToBytes(pkTok.text, (m) => t.fail(`public key: ${m}`));
    const out = new Bytes();
    out.u8(hit.length);
    out.u8(alg);
    out.u16(pk.length);
    out.bytes(hit);
    out.bytes(pk);
    while (!t.done) out.bytes(parseName(t, 'rendezvous server', origin).wire);
    return out.done();
  },
  nameOffsets(b) {
    const offs: number[] = [];
    let p = 4 + b[0]! + ((b[2]! << 8) | b[3]!);
    while (p < b.length) {
      offs.push(p);
      p += nameLength(b, p);
    }
    return offs;
  },
});

// ---- WKS (RFC 1035 §3.4.2) ----

const PROTOCOLS: Record<string, number> = { tcp: 6, udp: 17 };
// Well-known service names a zone may use instead of port numbers (IANA service names).
const SERVICES: Record<string, number> = {
  echo: 7, discard: 9, daytime: 13, 'ftp-data': 20, ftp: 21, ssh: 22, telnet: 23, smtp: 25, time: 37, domain: 53, tftp: 69,
  gopher: 70, finger: 79, http: 80, www: 80, kerberos: 88, pop3: 110, sunrpc: 111, auth: 113, nntp: 119, ntp: 123, imap: 143,
  snmp: 161, ldap: 389, https: 443, submission: 587, ldaps: 636, imaps: 993, pop3s: 995,
};

const wks = opaque(RRType.WKS, 'WKS', {
  decode(r) {
    const start = r.pos;
    r.bytes(5);
    const bits = r.bytes(r.remaining);
    // A bitmap with trailing zero octets has no presentation of its own; text always gives the minimal one.
    if (bits.length > 0 && bits[bits.length - 1] === 0) bad('WKS bitmap ends with a zero octet', start + 5);
    if (bits.length > 8192) bad('WKS bitmap longer than 65536 ports', start + 5);
    return r.msg.slice(start, r.end);
  },
  toText(b) {
    const ports: number[] = [];
    for (let i = 5; i < b.length; i++) {
      for (let bit = 0; bit < 8; bit++) if (b[i]! & (0x80 >> bit)) ports.push((i - 5) * 8 + bit);
    }
    return [ipv4ToText(b, 0), String(b[4]), ...ports.map(String)].join(' ');
  },
  fromText(t: Tokens) {
    const out = new Bytes();
    const addr = t.next('address');
    const a = parseIpv4Text(addr.text);
    if (!a) t.fail(`address: "${addr.text}" is not an IPv4 address`);
    out.bytes(a);
    const proto = t.list[t.i];
    const named = proto ? PROTOCOLS[proto.text.toLowerCase()] : undefined;
    if (named !== undefined) {
      t.i++;
      out.u8(named);
    } else out.u8(parseUint(t, 'protocol', 255));
    const bits = new Uint8Array(8192);
    let max = -1;
    while (!t.done) {
      const tok = t.next('service');
      const port = /^\d+$/.test(tok.text) ? Number(tok.text) : SERVICES[tok.text.toLowerCase()];
      if (port === undefined || port > 65535) t.fail(`service: "${tok.text}" is not a port number or known service name`);
      bits[port >> 3]! |= 0x80 >> (port & 7);
      max = Math.max(max, port >> 3);
    }
    out.bytes(bits.slice(0, max + 1));
    return out.done();
  },
});

export const miscCodecs: readonly DunlinCodec[] = [ipseckey, amtrelay, apl, caa, hip, wks];

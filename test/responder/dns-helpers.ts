// Owns query building and response decoding (via dns-packet) into comparable presentation strings for responder tests.
import dnsPacket from 'dns-packet';
import { Name } from '../../src/wire/name.ts';
import { typeFromText, typeToText } from '../../src/wire/constants.ts';

export interface QueryOpts {
  id?: number;
  rd?: boolean;
  cd?: boolean;
  ad?: boolean;
  /** Add an OPT RR (default true). */
  edns?: boolean;
  udpSize?: number;
  do?: boolean;
  ednsVersion?: number;
  /** Extra EDNS options as [code, hex]. */
  ednsOptions?: [number, string][];
  /** EDNS flag bits other than DO (RFC 8906 §8.2.4 style). */
  ednsFlags?: number;
  opcode?: number;
  qclass?: number;
}

/** A query in wire form, built by hand so malformed variants are easy to derive. */
export function buildQuery(qname: string, qtype: string | number, o: QueryOpts = {}): Uint8Array {
  const name = Name.fromText(qname.endsWith('.') ? qname : qname + '.');
  const type = typeof qtype === 'number' ? qtype : typeFromText(qtype)!;
  const edns = o.edns ?? true;
  const parts: number[] = [];
  const id = o.id ?? 0x1234;
  const flags = ((o.opcode ?? 0) << 11) | (o.rd ? 0x0100 : 0) | (o.ad ? 0x20 : 0) | (o.cd ? 0x10 : 0);
  parts.push(id >> 8, id & 0xff, flags >> 8, flags & 0xff, 0, 1, 0, 0, 0, 0, 0, edns ? 1 : 0);
  parts.push(...name.wire, type >> 8, type & 0xff, 0, o.qclass ?? 1);
  if (edns) {
    const size = o.udpSize ?? 1232;
    const eflags = (o.do ? 0x8000 : 0) | (o.ednsFlags ?? 0);
    const opts: number[] = [];
    for (const [code, hex] of o.ednsOptions ?? []) {
      const data = Buffer.from(hex, 'hex');
      opts.push(code >> 8, code & 0xff, data.length >> 8, data.length & 0xff, ...data);
    }
    parts.push(0, 0, 41, size >> 8, size & 0xff, 0, o.ednsVersion ?? 0, eflags >> 8, eflags & 0xff, opts.length >> 8, opts.length & 0xff, ...opts);
  }
  return Uint8Array.from(parts);
}

export interface Decoded {
  id: number;
  rcode: string;
  /** Header flags present, in the order qr aa tc rd ra ad cd. */
  flags: string[];
  opcode: number;
  question: string[];
  answer: string[];
  authority: string[];
  additional: string[];
  /** The OPT RR when present: payload, version, DO, extended rcode. */
  opt: { payload: number; version: number; do: boolean; extRcode: number } | null;
  raw: Uint8Array;
}

const RCODES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED', 'YXDOMAIN', 'YXRRSET', 'NXRRSET', 'NOTAUTH', 'NOTZONE'];

function absName(n: string): string {
  return n === '' || n === '.' ? '.' : n + '.';
}

function txt(b: Buffer): string {
  let s = '"';
  for (const c of b) {
    if (c === 0x22 || c === 0x5c) s += '\\' + String.fromCharCode(c);
    else if (c < 0x20 || c > 0x7e) s += '\\' + String(c).padStart(3, '0');
    else s += String.fromCharCode(c);
  }
  return s + '"';
}

/** Presentation form of one decoded answer (owner lower-cased; compare is case-insensitive on owners). */
export function rrText(a: dnsPacket.Answer, lowerOwner = true): string {
  const owner = lowerOwner ? absName(a.name).toLowerCase() : absName(a.name);
  const r = a as unknown as { type: string; ttl: number; data: unknown; class?: string };
  const d = r.data as never;
  let rdata: string;
  const t = r.type;
  switch (t) {
    case 'A': case 'AAAA': rdata = String(d); break;
    case 'NS': case 'CNAME': case 'DNAME': case 'PTR': rdata = absName(String(d)).toLowerCase(); break;
    case 'MX': { const m = d as { preference: number; exchange: string }; rdata = `${m.preference} ${absName(m.exchange).toLowerCase()}`; break; }
    case 'SRV': { const m = d as { priority: number; weight: number; port: number; target: string }; rdata = `${m.priority} ${m.weight} ${m.port} ${absName(m.target).toLowerCase()}`; break; }
    case 'SOA': { const m = d as { mname: string; rname: string; serial: number; refresh: number; retry: number; expire: number; minimum: number }; rdata = `${absName(m.mname).toLowerCase()} ${absName(m.rname).toLowerCase()} ${m.serial} ${m.refresh} ${m.retry} ${m.expire} ${m.minimum}`; break; }
    case 'TXT': rdata = (d as Buffer[]).map(txt).join(' '); break;
    case 'HINFO': { const m = d as { cpu: string; os: string }; rdata = `"${m.cpu}" "${m.os}"`; break; }
    case 'DS': { const m = d as { keyTag: number; algorithm: number; digestType: number; digest: Buffer }; rdata = `${m.keyTag} ${m.algorithm} ${m.digestType} ${m.digest.toString('hex').toUpperCase()}`; break; }
    default: {
      const b = d as Buffer;
      rdata = `\\# ${b.length} ${b.toString('hex').toUpperCase()}`;
    }
  }
  const typeText = /^UNKNOWN_(\d+)$/.exec(t) ? `TYPE${/^UNKNOWN_(\d+)$/.exec(t)![1]}` : t;
  return `${owner} ${r.ttl} ${r.class ?? 'IN'} ${typeText} ${rdata}`;
}

export function decode(raw: Uint8Array): Decoded {
  const p = dnsPacket.decode(Buffer.from(raw)) as dnsPacket.DecodedPacket & { flags: number; opcode: string };
  // dns-packet keeps QR out of `flags` and reports it as `type`.
  const fl = (p.flags ?? 0) | (p.type === 'response' ? 0x8000 : 0);
  const flags: string[] = [];
  if (fl & 0x8000) flags.push('qr');
  if (fl & 0x0400) flags.push('aa');
  if (fl & 0x0200) flags.push('tc');
  if (fl & 0x0100) flags.push('rd');
  if (fl & 0x0080) flags.push('ra');
  if (fl & 0x0020) flags.push('ad');
  if (fl & 0x0010) flags.push('cd');
  let opt: Decoded['opt'] = null;
  const additional: string[] = [];
  for (const a of p.additionals ?? []) {
    if (a.type === 'OPT') {
      const o = a as unknown as { udpPayloadSize: number; extendedRcode: number; ednsVersion: number; flags: number };
      opt = { payload: o.udpPayloadSize, version: o.ednsVersion, do: (o.flags & 0x8000) !== 0, extRcode: o.extendedRcode };
    } else additional.push(rrText(a));
  }
  const low = fl & 0xf;
  const full = low | ((opt?.extRcode ?? 0) << 4);
  const rcode = full === 16 ? 'BADVERS' : (RCODES[full] ?? `RCODE${full}`);
  return {
    id: p.id ?? 0,
    rcode,
    flags,
    opcode: (fl >> 11) & 0xf,
    question: (p.questions ?? []).map((q) => `${absName(q.name)} ${q.class} ${q.type}`),
    answer: (p.answers ?? []).map((a) => rrText(a)),
    authority: (p.authorities ?? []).map((a) => rrText(a)),
    additional,
    opt,
    raw,
  };
}

export { typeToText };

// Owns a small test-only master-file reader (the types the lookup fixtures use) so store/lookup tests need no zone parser.
import { RRType, typeFromText } from '../../src/wire/constants.ts';
import { Name } from '../../src/wire/name.ts';
import type { ResourceRecord } from '../../src/wire/record.ts';
import { buildZone } from '../../src/store/zone.ts';
import type { Zone } from '../../src/store/zone.ts';

function tokenize(line: string): { tokens: string[]; quoted: boolean[] } {
  const tokens: string[] = [];
  const quoted: boolean[] = [];
  let i = 0;
  while (i < line.length) {
    const c = line[i]!;
    if (c === ';') break;
    if (c === ' ' || c === '\t') { i++; continue; }
    if (c === '"') {
      let j = i + 1;
      let s = '';
      while (j < line.length && line[j] !== '"') { if (line[j] === '\\') { s += line[j + 1] ?? ''; j += 2; } else s += line[j++] ?? ''; }
      tokens.push(s);
      quoted.push(true);
      i = j + 1;
      continue;
    }
    let j = i;
    while (j < line.length && line[j] !== ' ' && line[j] !== '\t') j++;
    tokens.push(line.slice(i, j));
    quoted.push(false);
    i = j;
  }
  return { tokens, quoted };
}

function ipv4(s: string): number[] {
  const p = s.split('.').map(Number);
  if (p.length !== 4 || p.some((x) => !(x >= 0 && x <= 255))) throw new Error(`bad IPv4 ${s}`);
  return p;
}

function ipv6(s: string): number[] {
  const [head, tail] = s.includes('::') ? s.split('::') as [string, string] : [s, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  if (groups.length !== 8) throw new Error(`bad IPv6 ${s}`);
  return groups.flatMap((g) => { const v = parseInt(g, 16); return [v >> 8, v & 0xff]; });
}

const u16 = (v: number): number[] => [v >> 8, v & 0xff];
const u32 = (v: number): number[] => [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];

/** RDATA (uncompressed wire) for the types the fixtures use; `\# len hex` for any type. */
export function rdataOf(type: number, t: string[], origin: Name): Uint8Array {
  const name = (s: string): number[] => [...Name.fromText(s, origin).wire];
  const str = (s: string): number[] => { const b = [...Buffer.from(s, 'latin1')]; return [b.length, ...b]; };
  if (t[0] === '\\#') return Uint8Array.from(Buffer.from(t.slice(2).join(''), 'hex'));
  switch (type) {
    case RRType.A: return Uint8Array.from(ipv4(t[0]!));
    case RRType.AAAA: return Uint8Array.from(ipv6(t[0]!));
    case RRType.NS: case RRType.CNAME: case RRType.DNAME: case RRType.PTR: return Uint8Array.from(name(t[0]!));
    case RRType.MX: return Uint8Array.from([...u16(Number(t[0])), ...name(t[1]!)]);
    case RRType.SRV: return Uint8Array.from([...u16(Number(t[0])), ...u16(Number(t[1])), ...u16(Number(t[2])), ...name(t[3]!)]);
    case RRType.SOA: return Uint8Array.from([...name(t[0]!), ...name(t[1]!), ...t.slice(2, 7).flatMap((x) => u32(Number(x)))]);
    case RRType.TXT: case RRType.HINFO: return Uint8Array.from(t.flatMap(str));
    case RRType.DS: return Uint8Array.from([...u16(Number(t[0])), Number(t[1]), Number(t[2]), ...Buffer.from(t.slice(3).join(''), 'hex')]);
    default: throw new Error(`test zone reader: no text form for type ${type}`);
  }
}

/** Parses a master file (one record per line, no parentheses) into records. */
export function recordsFromText(text: string, originText: string): ResourceRecord[] {
  let origin = Name.fromText(originText);
  let defTtl = 3600;
  let last: Name = origin;
  const out: ResourceRecord[] = [];
  for (const raw of text.split('\n')) {
    if (raw.trim() === '' || raw.trim().startsWith(';')) continue;
    const { tokens } = tokenize(raw);
    if (tokens.length === 0) continue;
    if (tokens[0] === '$ORIGIN') { origin = Name.fromText(tokens[1]!); continue; }
    if (tokens[0] === '$TTL') { defTtl = Number(tokens[1]); continue; }
    let i = 0;
    let owner = last;
    if (raw[0] !== ' ' && raw[0] !== '\t') owner = Name.fromText(tokens[i++]!, origin);
    last = owner;
    let ttl = defTtl;
    if (/^\d+$/.test(tokens[i]!)) ttl = Number(tokens[i++]);
    if (tokens[i] === 'IN') i++;
    const type = typeFromText(tokens[i++]!);
    if (type === undefined) throw new Error(`unknown type in "${raw}"`);
    out.push({ name: owner, type, class: 1, ttl, rdata: rdataOf(type, tokens.slice(i), origin) });
  }
  return out;
}

export function zoneFromText(text: string, origin: string): Zone {
  return buildZone(Name.fromText(origin), recordsFromText(text, origin));
}

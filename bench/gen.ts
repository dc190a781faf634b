// Owns the benchmark inputs: the seeded ~10k-name zone, its 100k-query dnsperf datafile, the random-subdomain flood datafile, and the 1M-record zone.
import { closeSync, existsSync, mkdirSync, openSync, readSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Prng } from './prng.ts';

export const SMALL_ORIGIN = 'bench.test.';
export const BIG_ORIGIN = 'big.test.';

/** What the query mix asks for; `kind` lets the report say which part of the mix a mismatch comes from. */
export type QueryKind = 'existing' | 'nxdomain' | 'nodata' | 'cname' | 'wildcard' | 'referral';
export interface BenchQuery {
  readonly name: string;
  readonly type: string;
  readonly kind: QueryKind;
}

export interface SmallSet {
  readonly origin: string;
  readonly zoneFile: string;
  readonly queryFile: string;
  readonly names: number;
  readonly records: number;
  readonly queries: readonly BenchQuery[];
  readonly mix: Readonly<Record<QueryKind, number>>;
}

export interface BigSet {
  readonly origin: string;
  readonly zoneFile: string;
  readonly records: number;
}

const ALPHA = 'abcdefghijklmnopqrstuvwxyz';
const ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';

function label(rng: Prng, min: number, max: number): string {
  const len = rng.range(min, max);
  let s = ALPHA[rng.int(ALPHA.length)]!;
  for (let i = 1; i < len; i++) s += ALNUM[rng.int(ALNUM.length)]!;
  return s;
}

function ipv4(rng: Prng): string {
  // 198.18.0.0/15 is the benchmarking range (RFC 2544 / RFC 6890); it never collides with real hosts.
  return `198.${18 + rng.int(2)}.${rng.int(256)}.${1 + rng.int(254)}`;
}

function ipv6(rng: Prng): string {
  // 2001:db8::/32 is the documentation prefix (RFC 3849).
  const h = (): string => rng.int(0x10000).toString(16);
  return `2001:db8:${h()}:${h()}::${h()}`;
}

function txt(rng: Prng): string {
  const words = rng.range(1, 3);
  const parts: string[] = [];
  for (let i = 0; i < words; i++) parts.push(`"${label(rng, 8, 40)}=${label(rng, 4, 30)}"`);
  return parts.join(' ');
}

function shuffle<T>(rng: Prng, items: T[]): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = items[i]!;
    items[i] = items[j]!;
    items[j] = t;
  }
}

/** Everything about the small zone a query can be built from. */
interface ZoneModel {
  lines: string[];
  names: Set<string>;
  existing: { name: string; type: string }[];
  nodata: { name: string; type: string }[];
  cnames: string[];
  delegations: string[];
  wildcardParent: string;
}

function soaLines(origin: string, ttl: number): string[] {
  return [
    `${origin} ${ttl} IN SOA ns1.${origin} hostmaster.${origin} 2024010101 3600 900 604800 300`,
    `${origin} ${ttl} IN NS ns1.${origin}`,
    `${origin} ${ttl} IN NS ns2.${origin}`,
    `ns1.${origin} ${ttl} IN A 198.18.0.53`,
    `ns2.${origin} ${ttl} IN A 198.18.0.54`,
    `ns1.${origin} ${ttl} IN AAAA 2001:db8::53`,
  ];
}

function buildSmallZone(rng: Prng, hostCount: number): ZoneModel {
  const o = SMALL_ORIGIN;
  const lines = soaLines(o, 3600);
  const names = new Set<string>([o, `ns1.${o}`, `ns2.${o}`]);
  const existing: { name: string; type: string }[] = [
    { name: o, type: 'SOA' }, { name: o, type: 'NS' }, { name: o, type: 'MX' }, { name: o, type: 'TXT' },
    { name: `ns1.${o}`, type: 'A' }, { name: `ns2.${o}`, type: 'A' }, { name: `ns1.${o}`, type: 'AAAA' },
  ];
  const nodata: { name: string; type: string }[] = [{ name: o, type: 'AAAA' }, { name: `ns2.${o}`, type: 'AAAA' }];
  const fresh = (prefix = ''): string => {
    for (;;) {
      const n = `${prefix}${label(rng, 3, 12)}.${o}`;
      if (!names.has(n)) {
        names.add(n);
        return n;
      }
    }
  };
  lines.push(`${o} 3600 IN MX 10 mx1.${o}`, `${o} 3600 IN MX 20 mx2.${o}`, `${o} 3600 IN TXT "v=spf1 mx -all"`);
  for (const mx of ['mx1', 'mx2']) {
    names.add(`${mx}.${o}`);
    lines.push(`${mx}.${o} 3600 IN A ${ipv4(rng)}`);
    existing.push({ name: `${mx}.${o}`, type: 'A' });
  }

  const hosts: string[] = [];
  for (let i = 0; i < hostCount; i++) {
    const n = fresh();
    hosts.push(n);
    const ttl = rng.pick([300, 3600, 86400]);
    const have = new Set<string>();
    if (rng.float() < 0.85) {
      // Distinct addresses: a duplicate RR would be dropped by some servers and not others (RFC 2181 section 5).
      const addrs = new Set<string>();
      const count = rng.range(1, 4);
      while (addrs.size < count) addrs.add(ipv4(rng));
      for (const a of addrs) lines.push(`${n} ${ttl} IN A ${a}`);
      have.add('A');
    }
    if (rng.float() < 0.4 || have.size === 0) {
      lines.push(`${n} ${ttl} IN AAAA ${ipv6(rng)}`);
      if (rng.float() < 0.3) lines.push(`${n} ${ttl} IN AAAA 2001:db8:ffff::${rng.int(0x10000).toString(16)}`);
      have.add('AAAA');
    }
    if (rng.float() < 0.15) {
      lines.push(`${n} ${ttl} IN TXT ${txt(rng)}`);
      have.add('TXT');
    }
    if (rng.float() < 0.1) {
      lines.push(`${n} ${ttl} IN MX ${rng.pick([5, 10, 20])} mx${rng.range(1, 2)}.${o}`);
      have.add('MX');
    }
    for (const t of have) existing.push({ name: n, type: t });
    for (const t of ['A', 'AAAA', 'TXT', 'MX']) if (!have.has(t)) nodata.push({ name: n, type: t });
  }

  const srvParents = new Set<string>();
  // SRV owners sit under _tcp labels of existing hosts' names (RFC 2782 naming).
  for (let i = 0; i < 300; i++) {
    const target = rng.pick(hosts);
    const svc = rng.pick(['_sip', '_xmpp-server', '_ldap', '_imaps']);
    const parent = `${label(rng, 4, 10)}.${o}`;
    const n = `${svc}._tcp.${parent}`;
    if (names.has(n) || (names.has(parent) && !srvParents.has(parent))) continue;
    // The parent and the _tcp label are empty non-terminals: NODATA, not NXDOMAIN (RFC 8020).
    srvParents.add(parent);
    names.add(parent).add(`_tcp.${parent}`).add(n);
    const count = rng.range(1, 3);
    for (let k = 0; k < count; k++) lines.push(`${n} 3600 IN SRV ${rng.range(0, 20)} ${rng.range(0, 100)} ${rng.range(1024, 65535)} ${target}`);
    existing.push({ name: n, type: 'SRV' });
    nodata.push({ name: n, type: 'A' });
  }

  const cnames: string[] = [];
  for (let i = 0; i < 1000; i++) {
    const n = fresh();
    lines.push(`${n} 3600 IN CNAME ${rng.pick(hosts)}`);
    cnames.push(n);
    existing.push({ name: n, type: 'CNAME' });
  }

  // One wildcard (RFC 4592) with A and TXT; queries below it synthesise answers.
  const wildcardParent = `wild.${o}`;
  names.add(wildcardParent).add(`*.${wildcardParent}`);
  lines.push(`*.${wildcardParent} 3600 IN A 198.18.1.80`, `*.${wildcardParent} 3600 IN TXT "wildcard"`);

  // Delegations with in-bailiwick glue: answers below them are referrals (RFC 1034 section 4.3.2, step 3b).
  const delegations: string[] = [];
  for (let i = 0; i < 300; i++) {
    const n = fresh('d');
    delegations.push(n);
    for (const ns of ['ns1', 'ns2']) {
      lines.push(`${n} 86400 IN NS ${ns}.${n}`);
      lines.push(`${ns}.${n} 86400 IN A ${ipv4(rng)}`);
    }
  }
  return { lines, names, existing, nodata, cnames, delegations, wildcardParent };
}

/** Exact mix of the 100k queries: 70% existing, 15% NXDOMAIN, 10% NODATA, 5% CNAME/wildcard/referral. */
function mixCounts(total: number): Record<QueryKind, number> {
  const existing = Math.round(total * 0.7);
  const nxdomain = Math.round(total * 0.15);
  const nodata = Math.round(total * 0.1);
  const rest = total - existing - nxdomain - nodata;
  const cname = Math.round(rest * 0.4);
  const wildcard = Math.round(rest * 0.3);
  return { existing, nxdomain, nodata, cname, wildcard, referral: rest - cname - wildcard };
}

function buildQueries(rng: Prng, z: ZoneModel, total: number): { queries: BenchQuery[]; mix: Record<QueryKind, number> } {
  const mix = mixCounts(total);
  const out: BenchQuery[] = [];
  for (let i = 0; i < mix.existing; i++) {
    const e = rng.pick(z.existing);
    out.push({ name: e.name, type: e.type, kind: 'existing' });
  }
  for (let i = 0; i < mix.nxdomain; i++) {
    let n: string;
    do {
      // One in five goes below an existing host, which is NXDOMAIN too (no empty non-terminals there).
      n = rng.float() < 0.2 ? `${label(rng, 3, 8)}.${rng.pick(z.existing).name}` : `${label(rng, 3, 14)}.${SMALL_ORIGIN}`;
    } while (z.names.has(n) || n.endsWith(`.${z.wildcardParent}`) || z.delegations.some((d) => n.endsWith(`.${d}`)) || /^[^.]+\._tcp\./.test(n));
    out.push({ name: n, type: rng.pick(['A', 'A', 'AAAA', 'MX', 'TXT']), kind: 'nxdomain' });
  }
  for (let i = 0; i < mix.nodata; i++) {
    const e = rng.pick(z.nodata);
    out.push({ name: e.name, type: e.type, kind: 'nodata' });
  }
  for (let i = 0; i < mix.cname; i++) out.push({ name: rng.pick(z.cnames), type: rng.pick(['A', 'AAAA']), kind: 'cname' });
  for (let i = 0; i < mix.wildcard; i++) out.push({ name: `${label(rng, 3, 10)}.${z.wildcardParent}`, type: rng.pick(['A', 'TXT', 'MX']), kind: 'wildcard' });
  for (let i = 0; i < mix.referral; i++) out.push({ name: `${rng.pick(['www', 'mail', 'api'])}.${rng.pick(z.delegations)}`, type: 'A', kind: 'referral' });
  shuffle(rng, out);
  return { queries: out, mix };
}

/** Writes (or reuses, when the seed and sizes match) the small zone and its query file. */
export function generateSmall(dir: string, seed: number, queryCount = 100_000, hostCount = 8_400): SmallSet {
  mkdirSync(dir, { recursive: true });
  const rng = new Prng(seed);
  const z = buildSmallZone(rng, hostCount);
  const { queries, mix } = buildQueries(rng, z, queryCount);
  const zoneFile = join(dir, `small-${seed}.zone`);
  const queryFile = join(dir, `small-${seed}.queries`);
  writeFileSync(zoneFile, `; Dunlin benchmark zone, seed ${seed}, generated by bench/gen.ts\n${z.lines.join('\n')}\n`);
  writeFileSync(queryFile, queries.map((q) => `${q.name} ${q.type}\n`).join(''));
  return { origin: SMALL_ORIGIN, zoneFile, queryFile, names: z.names.size, records: z.lines.length, queries, mix };
}

export interface FloodSet {
  readonly queryFile: string;
  readonly names: number;
}

/**
 * The random-subdomain ("water torture") flood: `count` distinct names directly under the small
 * zone's apex, type A, each asked once per pass of the file. Every label starts with a digit, which
 * no name of the small zone does, so every answer is NXDOMAIN; a counter part keeps them distinct.
 */
export function generateFlood(dir: string, seed: number, count = 1_000_000): FloodSet {
  mkdirSync(dir, { recursive: true });
  const queryFile = join(dir, `flood-${seed}-${count}.queries`);
  if (existsSync(queryFile)) return { queryFile, names: count };
  const rng = new Prng(seed ^ 0x2545f491);
  const fd = openSync(queryFile + '.tmp', 'w');
  try {
    let buf = '';
    for (let i = 0; i < count; i++) {
      let l = `${rng.int(10)}${i.toString(36)}-`;
      for (let k = 0; k < 8; k++) l += ALNUM[rng.int(ALNUM.length)]!;
      buf += `${l}.${SMALL_ORIGIN} A\n`;
      if (buf.length > 1 << 20) {
        writeSync(fd, buf);
        buf = '';
      }
    }
    writeSync(fd, buf);
  } finally {
    closeSync(fd);
  }
  renameSync(queryFile + '.tmp', queryFile);
  return { queryFile, names: count };
}

function startsWith(file: string, prefix: string): boolean {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(prefix.length);
    const n = readSync(fd, buf, 0, buf.length, 0);
    return n === buf.length && buf.toString('latin1') === prefix;
  } finally {
    closeSync(fd);
  }
}

/** Writes the 1,000,000-record zone (A on every name, some AAAA/TXT/MX), unless the same file already exists. */
export function generateBig(dir: string, seed: number, records = 1_000_000): BigSet {
  mkdirSync(dir, { recursive: true });
  const zoneFile = join(dir, `big-${seed}-${records}.zone`);
  const header = `; Dunlin benchmark zone, seed ${seed}, ${records} records, generated by bench/gen.ts\n`;
  if (existsSync(zoneFile) && startsWith(zoneFile, header)) {
    return { origin: BIG_ORIGIN, zoneFile, records };
  }
  const rng = new Prng(seed ^ 0x5bd1e995);
  const o = BIG_ORIGIN;
  const fd = openSync(zoneFile + '.tmp', 'w');
  try {
    let buf = header;
    const head = soaLines(o, 3600);
    buf += head.join('\n') + '\n';
    let written = head.length;
    let i = 0;
    while (written < records) {
      // A counter prefix keeps the names unique without a million-entry Set.
      const n = `h${i.toString(36)}-${label(rng, 2, 8)}.${o}`;
      i++;
      buf += `${n} 3600 IN A ${ipv4(rng)}\n`;
      written++;
      if (written < records && rng.float() < 0.5) { buf += `${n} 3600 IN AAAA ${ipv6(rng)}\n`; written++; }
      if (written < records && rng.float() < 0.15) { buf += `${n} 3600 IN TXT ${txt(rng)}\n`; written++; }
      if (written < records && rng.float() < 0.1) { buf += `${n} 3600 IN MX 10 ns1.${o}\n`; written++; }
      if (buf.length > 1 << 20) {
        writeSync(fd, buf);
        buf = '';
      }
    }
    writeSync(fd, buf);
  } finally {
    closeSync(fd);
  }
  renameSync(zoneFile + '.tmp', zoneFile);
  return { origin: BIG_ORIGIN, zoneFile, records };
}

// Owns the responder micro-benchmark: responses per second of createResponder in-process, cache hits and misses (run: node bench/micro/lookup.bench.ts [seconds]).
import { join } from 'node:path';
import { Name } from '../../src/wire/name.ts';
import { loadZoneFile } from '../../src/zone/index.ts';
import { buildZone, ZoneSet } from '../../src/store/index.ts';
import { createResponder, fixedContext } from '../../src/responder/index.ts';
import type { SyncRespondFn } from '../../src/responder/index.ts';
import { RRType } from '../../src/wire/constants.ts';

const seconds = Number(process.argv[2] ?? '2');
const fixtures = join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'diff');

function load(origin: string): ReturnType<typeof buildZone> {
  const o = Name.fromText(`${origin}.`);
  const r = loadZoneFile(join(fixtures, `${origin}.zone`), o);
  if (r.errors.length) throw new Error(r.errors.map((e) => e.message).join('\n'));
  return buildZone(o, r.records);
}

function query(name: string, type: number, id: number, edns: boolean, mixCase: boolean): Uint8Array {
  const n = Name.fromText(name);
  const w = [...n.wire];
  if (mixCase) for (let i = 0; i < w.length; i += 2) if (w[i]! >= 0x61 && w[i]! <= 0x7a) w[i]! -= 0x20;
  const opt = edns ? [0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0] : [];
  return Uint8Array.from([id >> 8, id & 0xff, 1, 0, 0, 1, 0, 0, 0, 0, 0, edns ? 1 : 0, ...w, type >> 8, type & 0xff, 0, 1, ...opt]);
}

// A mix like an authoritative server sees: hits, NXDOMAIN, wildcards, CNAMEs, referrals, MX with additional.
const mix: [string, number][] = [
  ['www.example.com.', RRType.A], ['www.example.com.', RRType.AAAA], ['example.com.', RRType.MX], ['example.com.', RRType.NS],
  ['nope.example.com.', RRType.A], ['foo.wild.example.com.', RRType.A], ['chain1.example.com.', RRType.A], ['deleg.example.com.', RRType.A],
  ['x.dnin.example.com.', RRType.A], ['_sip._udp.example.com.', RRType.SRV], ['host.sub.example.com.', RRType.A], ['www.example.org.', RRType.A],
];
const queries: Uint8Array[] = [];
for (let i = 0; i < 256; i++) {
  const [n, t] = mix[i % mix.length]!;
  queries.push(query(n, t, i, i % 3 !== 0, i % 5 === 0));
}

const ctx = fixedContext('udp');

function run(label: string, respond: SyncRespondFn, qs: readonly Uint8Array[]): number {
  for (let i = 0; i < 20_000; i++) respond(qs[i % qs.length]!, ctx); // warm up
  let n = 0;
  let bytes = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  while (performance.now() < end) {
    for (let i = 0; i < 1000; i++) {
      const r = respond(qs[n++ % qs.length]!, ctx);
      if (r) bytes += r.length;
    }
  }
  const rate = n / ((performance.now() - start) / 1000);
  console.log(`${label.padEnd(44)} ${Math.round(rate).toLocaleString('en-US').padStart(12)} responses/s  (avg ${Math.round(bytes / n)} B)`);
  return rate;
}

const zones = new ZoneSet([load('example.com'), load('sub.example.com'), load('other.test')]);
console.log(`node ${process.version}, ${seconds} s per run, ${queries.length} distinct queries`);
run('cached (hit path: copy + patch)', createResponder({ zones: () => zones }), queries);
run('uncached (parse + lookup + encode)', createResponder({ zones: () => zones, cacheEntries: 0 }), queries);
// Unique names: every query misses and then fills the cache (random-subdomain traffic).
const unique: Uint8Array[] = [];
for (let i = 0; i < 100_000; i++) unique.push(query(`r${i}.example.com.`, RRType.A, i, true, false));
run('unique NXDOMAIN names (miss + insert/evict)', createResponder({ zones: () => zones, cacheEntries: 50_000 }), unique);

// Owns the differential test against Knot DNS: the same zones and queries, every answer compared RRset by RRset.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildQuery, decode } from '../responder/dns-helpers.ts';
import type { Decoded, QueryOpts } from '../responder/dns-helpers.ts';
import { startDunlin, startInProcess, startKnot, tcpQuery, udpQuery } from './knot-diff-harness.ts';
import type { Target, ZoneSpec } from './knot-diff-harness.ts';
import { recordsFromText } from '../lookup/zone-text.ts';
import { buildZone, ZoneSet } from '../../src/store/index.ts';
import { createResponder } from '../../src/responder/index.ts';
import { Name } from '../../src/wire/name.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const FIX = join(ROOT, 'test', 'fixtures', 'diff');
const ZONES: ZoneSpec[] = ['example.com', 'sub.example.com', 'other.test'].map((o) => ({ origin: o, file: join(FIX, `${o}.zone`) }));

/** One query of the corpus: a label (the whitelist key), the bytes, and the transport. */
interface Case {
  readonly label: string;
  readonly bytes: Uint8Array;
  readonly tcp: boolean;
}

const E = 'example.com';
const NAMES = [
  E, `www.${E}`, `WwW.ExAmPlE.CoM`, `MixedCase.${E}`, `MIXEDCASE.${E}`, `alias.${E}`, `ALIAS2.${E}`, `chain1.${E}`, `chain3.${E}`,
  `loop1.${E}`, `selfloop.${E}`, `ext.${E}`, `extnx.${E}`, `tochild.${E}`, `todeleg.${E}`, `dangling.${E}`, `nxchain.${E}`, `tomx.${E}`,
  `foo.wild.${E}`, `FOO.Wild.${E}`, `host.wild.${E}`, `a.b.wild.${E}`, `wild.${E}`, `*.wild.${E}`, `x.host.wild.${E}`, `sub.host.wild.${E}`,
  `foo.wcname.${E}`, `foo.wcext.${E}`, `foo.wcloop.${E}`, `x.y.ent.${E}`, `y.ent.${E}`, `ent.${E}`, `a.y.ent.${E}`, `foo.z.ent2.${E}`,
  `z.ent2.${E}`, `ent2.${E}`, `foo.below.ent3.${E}`, `below.ent3.${E}`, `foo.ent3.${E}`, `deep.below.ent3.${E}`, `x.dn.${E}`, `dn.${E}`,
  `a.b.dn.${E}`, `x.dnin.${E}`, `www.dnin.${E}`, `a.dnin.${E}`, `target.${E}`, `x.long.${E}`, `todn.${E}`, `deleg.${E}`, `a.b.deleg.${E}`,
  `ns1.deleg.${E}`, `outdeleg.${E}`, `x.outdeleg.${E}`, `sub.${E}`, `SUB.${E}`, `host.sub.${E}`, `Host2.sub.${E}`, `up.sub.${E}`,
  `foo.wc.sub.${E}`, `ns1.sub.${E}`, `nx.sub.${E}`, `_sip._udp.${E}`, `sipserver.${E}`, `unk.${E}`, `nonexistent.${E}`, `a.nonexistent.${E}`,
  `ns1.${E}`, `mail.${E}`, 'other.test', 'www.other.test', 'back.other.test', 'anyorder.other.test', 'anyorder2.other.test', 'nx.other.test',
  'www.example.org', 'example.net', 'com',
];
const TYPES = ['A', 'AAAA', 'MX', 'TXT', 'NS', 'ANY', 'CNAME', 'DS'];

function corpus(): Case[] {
  const out: Case[] = [];
  const add = (label: string, bytes: Uint8Array, tcp = false): void => { out.push({ label: `${label}${tcp ? ' tcp' : ''}`, bytes, tcp }); };
  const q = (name: string, type: string | number, o: QueryOpts = {}, tcp = false, tag = ''): void => {
    add(`${name} ${type}${tag}`, buildQuery(name, type, { rd: true, ...o }), tcp);
  };
  for (const n of NAMES) for (const t of TYPES) q(n, t);
  // Further types where they matter.
  for (const [n, t] of [[E, 'SOA'], [`_sip._udp.${E}`, 'SRV'], [`dn.${E}`, 'DNAME'], [`x.dn.${E}`, 'DNAME'], [`unk.${E}`, 'TYPE65000'],
    [`www.${E}`, 'TYPE65000'], ['anyorder2.other.test', 'HINFO'], [E, 'RRSIG'], [E, 'NSEC'], [E, 'DNSKEY'], [E, 'MAILB'], [E, 'TSIG'],
    [`sub.${E}`, 'SOA'], [`deleg.${E}`, 'SOA'], [`big.${E}`, 'TXT'], [`manya.${E}`, 'A'], [`x.long.${E}`, 'CNAME'],
    [`a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t.u.v.w.x.y.z.a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t.u.v.w.x.y.z.long.${E}`, 'A'],
  ] as const) q(n, t);
  // TCP: the same answers without the UDP size limit.
  for (const n of [E, `www.${E}`, `big.${E}`, `manya.${E}`, `deleg.${E}`, `tochild.${E}`, `foo.wild.${E}`, `x.dnin.${E}`, `nonexistent.${E}`, `sub.${E}`, 'www.example.org']) {
    for (const t of ['A', 'TXT', 'ANY', 'NS', 'MX']) q(n, t, {}, true);
  }
  // EDNS variants (RFC 6891, RFC 8906 §8).
  for (const n of [`www.${E}`, `big.${E}`, `manya.${E}`, `nonexistent.${E}`, `deleg.${E}`, E, 'www.example.org']) {
    for (const t of ['A', 'TXT', 'ANY']) {
      q(n, t, { edns: false }, false, ' noedns');
      q(n, t, { udpSize: 512 }, false, ' bufsize512');
      q(n, t, { udpSize: 4096 }, false, ' bufsize4096');
      q(n, t, { udpSize: 100 }, false, ' bufsize100');
      q(n, t, { do: true }, false, ' do');
      q(n, t, { ednsVersion: 1 }, false, ' edns1');
      q(n, t, { ednsOptions: [[65001, 'abcd']] }, false, ' unknownopt');
      q(n, t, { ednsFlags: 0x4000 }, false, ' ednsflag');
      q(n, t, { rd: false }, false, ' nord');
      q(n, t, { cd: true, ad: true }, false, ' cdad');
    }
  }
  q(`www.${E}`, 'A', { ednsVersion: 1, do: true, ednsOptions: [[100, '']] }, false, ' edns1 do opt100');
  q(`www.${E}`, 'A', { ednsVersion: 1 }, true, ' edns1');
  q(`big.${E}`, 'TXT', { edns: false }, true, ' noedns');
  // Opcodes, transfers, classes.
  for (const [op, name] of [[1, 'IQUERY'], [2, 'STATUS'], [3, 'OPCODE3'], [4, 'NOTIFY'], [5, 'UPDATE'], [6, 'DSO'], [15, 'OPCODE15']] as const) q(`www.${E}`, 'A', { opcode: op }, false, ` opcode ${name}`);
  // NOTIMP does not echo CD (nor AD).
  for (const [op, name] of [[1, 'IQUERY'], [2, 'STATUS'], [15, 'OPCODE15']] as const) q(`www.${E}`, 'A', { opcode: op, cd: true, ad: true }, false, ` opcode ${name} cdad`);
  q(E, 'AXFR', {}, false); q(E, 'AXFR', {}, true); q(E, 'IXFR', {}, false); q(E, 'IXFR', {}, true); q(`www.${E}`, 'AXFR', {}, false);
  q('version.bind', 'TXT', { qclass: 3 }, false, ' CH'); q(`www.${E}`, 'A', { qclass: 3 }, false, ' CH'); q(`www.${E}`, 'A', { qclass: 255 }, false, ' classANY');
  q(`www.${E}`, 'A', { qclass: 254 }, false, ' classNONE'); q(`www.${E}`, 'A', { qclass: 4 }, false, ' HS');
  // Malformed queries (never crash; FORMERR where the question parsed).
  const base = buildQuery(`www.${E}`, 'A', { rd: true });
  const noOpt = buildQuery(`www.${E}`, 'A', { rd: true, edns: false });
  const mut = (b: Uint8Array, f: (x: Uint8Array) => void): Uint8Array => { const c = Uint8Array.from(b); f(c); return c; };
  add('malformed qdcount0', mut(noOpt.subarray(0, 12), (c) => { c[5] = 0; }));
  add('malformed qdcount0 with question', mut(noOpt, (c) => { c[5] = 0; }));
  add('malformed qdcount2 one question', mut(noOpt, (c) => { c[5] = 2; }));
  add('malformed trailing garbage', Uint8Array.from([...noOpt, 0, 1]));
  add('malformed trailing garbage with opt', Uint8Array.from([...base, 0, 1]));
  add('malformed short header', noOpt.subarray(0, 11));
  add('malformed header only', noOpt.subarray(0, 12));
  add('malformed truncated question', noOpt.subarray(0, 20));
  add('malformed qr set', mut(base, (c) => { c[2]! |= 0x80; }));
  add('malformed two OPT', mut(Uint8Array.from([...base, ...base.subarray(base.length - 11)]), (c) => { c[11] = 2; }));
  add('malformed OPT rdlen too long', mut(base, (c) => { c[c.length - 1] = 4; }));
  add('malformed OPT option overruns', Uint8Array.from([...base.subarray(0, base.length - 2), 0, 4, 0, 10, 0, 8]));
  add('malformed OPT non-root owner', Uint8Array.from([...base.subarray(0, base.length - 11), 1, 0x61, 0, ...base.subarray(base.length - 10)]));
  add('malformed ancount1 no data', mut(noOpt, (c) => { c[7] = 1; }));
  // QDCOUNT=0 with a valid OPT: FORMERR with OPT; with no OPT, FORMERR without.
  const opt = base.subarray(base.length - 11);
  add('malformed qdcount0 with opt', Uint8Array.from([...mut(base.subarray(0, 12), (c) => { c[5] = 0; c[11] = 1; }), ...opt]));
  add('malformed qdcount0 with opt do', Uint8Array.from([...mut(base.subarray(0, 12), (c) => { c[5] = 0; c[11] = 1; }), ...mut(opt, (o) => { o[7] = 0x80; })]));
  // A QUERY carrying an answer record (RFC 1035 §4.1.1): FORMERR.
  const answerRR = [0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1];
  const qEnd = noOpt.length;
  add('malformed query with answer record', mut(Uint8Array.from([...noOpt.subarray(0, qEnd), ...answerRR]), (c) => { c[7] = 1; }));
  add('malformed query with answer record and opt', mut(Uint8Array.from([...base.subarray(0, base.length - 11), ...answerRR, ...opt]), (c) => { c[7] = 1; }));
  add('query with authority record', mut(Uint8Array.from([...noOpt.subarray(0, qEnd), ...answerRR]), (c) => { c[9] = 1; }));
  add('query with AA TC Z bits', mut(base, (c) => { c[2]! |= 0x06; c[3]! |= 0x40; }));
  add('query with RA bit', mut(base, (c) => { c[3]! |= 0x80; }));
  add('malformed label type 0x40', mut(noOpt, (c) => { c[12] = 0x43; }));
  add('malformed compressed qname', Uint8Array.from([...noOpt.subarray(0, 12), 0xc0, 0x0c, 0, 1, 0, 1]));
  return out;
}

/**
 * Differences we keep on purpose, by query label; each is explained with its RFC text in
 * docs/differences.md. Everything else must match Knot exactly.
 */
export const WHITELIST: Record<string, string> = {
  'malformed qdcount2 one question': 'FORMERR (RFC 1035 §4.1.1) where Knot drops',
  'malformed header only': 'FORMERR (RFC 1035 §4.1.1) where Knot drops',
  'malformed truncated question': 'FORMERR (RFC 1035 §4.1.1) where Knot drops',
  'malformed OPT non-root owner': 'FORMERR: the OPT owner MUST be root (RFC 6891 §6.1.2); Knot ignores the owner',
  'malformed label type 0x40': 'FORMERR (RFC 6891 §5: extended label types are unusable) where Knot drops',
  'malformed compressed qname': 'FORMERR for a pointer that cannot point backwards (RFC 1035 §4.1.4) where Knot drops',
  'malformed qdcount0 with question': 'FORMERR (RFC 1035 §4.1.1) where Knot drops',
  'malformed trailing garbage with opt': 'the FORMERR carries an OPT because the query had one (RFC 6891 §6.1.1); Knot omits it',
  'malformed query with answer record': 'FORMERR for a QUERY with answer records, as NSD; Knot answers it',
  'malformed query with answer record and opt': 'FORMERR for a QUERY with answer records, as NSD; Knot answers it',
};
// CD is copied from query to response (RFC 4035 §3.1.6); Knot clears it.
for (const n of [`www.${E}`, `big.${E}`, `manya.${E}`, `nonexistent.${E}`, `deleg.${E}`, E, 'www.example.org']) {
  for (const t of ['A', 'TXT', 'ANY']) WHITELIST[`${n} ${t} cdad`] = 'CD copied to the response (RFC 4035 §3.1.6); Knot clears it';
}

interface Result {
  rcode: string;
  flags: string;
  question: string;
  answer: string;
  authority: string;
  additional: string;
  opt: string;
}

function summarize(d: Decoded | null): Result | null {
  if (!d) return null;
  const set = (xs: string[]): string => [...xs].sort().join('\n');
  return {
    rcode: d.rcode,
    flags: d.flags.join(' '),
    question: d.question.join(' ').toLowerCase(),
    answer: set(d.answer),
    authority: set(d.authority),
    additional: set(d.additional),
    opt: d.opt ? `payload=${d.opt.payload} version=${d.opt.version} do=${d.opt.do}` : 'none',
  };
}

async function ask(t: Target, c: Case): Promise<Result | null | string> {
  let raw = c.tcp ? await tcpQuery(t.tcpPort ?? t.port, c.bytes) : await udpQuery(t.port, c.bytes, 700);
  // A busy machine can lose or delay a datagram; well-formed queries get two more tries.
  for (let i = 0; !raw && !c.tcp && !c.label.startsWith('malformed') && i < 2; i++) raw = await udpQuery(t.port, c.bytes, 1500);
  if (!raw) return null;
  try {
    return summarize(decode(raw));
  } catch (e) {
    return `undecodable: ${(e as Error).message}`;
  }
}

function knotAvailable(): boolean {
  try {
    execFileSync('knotd', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** `dunlin serve` is used once the CLI has it; until then the responder runs in-process behind a tiny listener. */
function serveAvailable(): boolean {
  return existsSync(join(ROOT, 'src', 'cli', 'serve.ts')) && process.env['DUNLIN_DIFF_INPROCESS'] !== '1';
}

let knot: Awaited<ReturnType<typeof startKnot>> | undefined;
let dunlin: { target: Target; stop(): Promise<void> } | undefined;
let mode = 'not started';

before(async () => {
  if (!knotAvailable()) return;
  const probe = buildQuery('example.com', 'SOA', { edns: false });
  knot = await startKnot(ZONES, probe);
  if (serveAvailable()) {
    dunlin = await startDunlin(ZONES, probe, join(ROOT, 'src', 'cli', 'main.ts'));
    mode = 'dunlin serve process';
  } else {
    mode = 'in-process responder';
    const zones = new ZoneSet(ZONES.map((z) => buildZone(Name.fromText(`${z.origin}.`), recordsFromText(readFileSync(z.file, 'utf8'), `${z.origin}.`))));
    const respond = createResponder({ zones: () => zones });
    dunlin = await startInProcess(respond);
  }
}, { timeout: 40_000 });

after(async () => {
  await dunlin?.stop();
  await knot?.stop();
});

test('Dunlin answers like Knot DNS (rcode, flags, every section as RRset sets, OPT)', { timeout: 60_000 }, async (t) => {
  if (!knot || !dunlin) {
    assert.ok(!knotAvailable(), 'knotd is installed but the servers did not start');
    t.skip('knotd not installed');
    return;
  }
  const cases = corpus();
  assert.ok(cases.length >= 300, `corpus has ${cases.length} queries`);
  const mismatches: string[] = [];
  const whitelisted = new Set<string>();
  let compared = 0;
  for (const c of cases) {
    const [k, d] = await Promise.all([ask(knot.target, c), ask(dunlin.target, c)]);
    compared++;
    const same = JSON.stringify(k) === JSON.stringify(d);
    if (same) continue;
    if (WHITELIST[c.label] !== undefined) {
      whitelisted.add(c.label);
      continue;
    }
    const lines = [`--- ${c.label}`];
    if (k === null || d === null || typeof k === 'string' || typeof d === 'string') {
      lines.push(`  knot:   ${JSON.stringify(k)}`, `  dunlin: ${JSON.stringify(d)}`);
    } else {
      for (const f of Object.keys(k) as (keyof Result)[]) {
        if (k[f] !== d[f]) lines.push(`  ${f}:\n    knot:   ${k[f].replaceAll('\n', '\n            ')}\n    dunlin: ${d[f].replaceAll('\n', '\n            ')}`);
      }
    }
    mismatches.push(lines.join('\n'));
  }
  const stale = Object.keys(WHITELIST).filter((l) => !whitelisted.has(l));
  t.diagnostic(`${mode}: compared ${compared} queries, ${mismatches.length} unexplained differences, ${whitelisted.size} whitelisted`);
  assert.equal(mismatches.length, 0, `differences from Knot:\n${mismatches.join('\n')}`);
  assert.deepEqual(stale, [], 'whitelisted queries that now match Knot: remove them from WHITELIST and docs/differences.md');
});

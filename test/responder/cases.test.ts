// Owns the table-driven responder cases (CoreDNS test.Case style): every lookup and EDNS rule, sections compared as sets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createResponder, fixedContext } from '../../src/responder/index.ts';
import { buildQuery, decode } from './dns-helpers.ts';
import type { QueryOpts } from './dns-helpers.ts';
import { fixtureZones } from './fixtures.ts';

interface Case {
  name: string;
  qname: string;
  qtype: string;
  opts?: QueryOpts;
  tcp?: boolean;
  rcode: string;
  flags: string;
  answer?: string[];
  authority?: string[];
  additional?: string[];
  opt?: string;
}

const SOA = 'example.com. 300 IN SOA ns1.example.com. hostmaster.example.com. 2024010101 7200 3600 1209600 300';
const SUB_SOA = 'sub.example.com. 60 IN SOA ns1.sub.example.com. hostmaster.example.com. 7 3600 900 604800 60';
const DELEG_NS = ['deleg.example.com. 3600 IN NS ns1.deleg.example.com.', 'deleg.example.com. 3600 IN NS ns.other.test.'];
const DELEG_GLUE = ['ns1.deleg.example.com. 3600 IN A 192.0.2.53', 'ns1.deleg.example.com. 3600 IN AAAA 2001:db8::53'];
const WWW_A = 'www.example.com. 600 IN A 192.0.2.80';
const LONG = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.ccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc.';

const cases: Case[] = [
  // RFC 1034 §4.3.2: exact match, NODATA, NXDOMAIN.
  { name: 'exact match', qname: 'www.example.com', qtype: 'A', rcode: 'NOERROR', flags: 'qr aa rd', answer: [WWW_A] },
  { name: 'NODATA carries SOA with min(TTL, MINIMUM) (RFC 2308 §3)', qname: 'www.example.com', qtype: 'TXT', rcode: 'NOERROR', flags: 'qr aa rd', authority: [SOA] },
  { name: 'NXDOMAIN', qname: 'nope.example.com', qtype: 'A', rcode: 'NXDOMAIN', flags: 'qr aa rd', authority: [SOA] },
  { name: 'unknown type NODATA', qname: 'www.example.com', qtype: 'TYPE65000', rcode: 'NOERROR', flags: 'qr aa rd', authority: [SOA] },
  { name: 'unknown type answered (RFC 3597)', qname: 'unk.example.com', qtype: 'TYPE65000', rcode: 'NOERROR', flags: 'qr aa rd', answer: ['unk.example.com. 3600 IN TYPE65000 \\# 4 DEADBEEF'] },
  // Empty non-terminals are NODATA (RFC 8020 §2).
  { name: 'ENT is NODATA', qname: 'y.ent.example.com', qtype: 'A', rcode: 'NOERROR', flags: 'qr aa rd', authority: [SOA] },
  { name: 'ENT two levels up', qname: 'ent.example.com', qtype: 'A', rcode: 'NOERROR', flags: 'qr aa rd', authority: [SOA] },
  { name: 'below an ENT, no wildcard', qname: 'a.y.ent.example.com', qtype: 'A', rcode: 'NXDOMAIN', flags: 'qr aa rd', authority: [SOA] },
  // Wildcards (RFC 4592).
  { name: 'wildcard synthesis, owner = qname', qname: 'foo.wild.example.com', qtype: 'A', rcode: 'NOERROR', flags: 'qr aa rd', answer: ['foo.wild.example.com. 3600 IN A 192.0.2.100'] },
  { name: 'wildcard two labels down', qname: 'a.b.wild.example.com', qtype: 'TXT', rcode: 'NOERROR', flags: 'qr aa rd', answer: ['a.b.wild.example.com. 3600 IN TXT "wildcard text"'] },
  { name: 'wildcard NODATA', qname: 'foo.wild.example.com', qtype: 'AAAA', rcode: 'NOERROR', flags: 'qr aa rd', authority: [SOA] },
  { name: 'existing name blocks the wildcard', qname: 'host.wild.example.com', qtype: 'TXT', rcode: 'NOERROR', flags: 'qr aa rd', authority: [SOA] },
  { name: 'closest encloser without wildcard', qname: 'x.host.wild.example.com', qtype: 'A', rcode: 'NXDOMAIN', flags: 'qr aa rd', authority: [SOA] },
  { name: 'wildcard MX gets additional', qname: 'foo.wild.example.com', qtype: 'MX', rcode: 'NOERROR', flags: 'qr aa rd', answer: ['foo.wild.example.com. 3600 IN MX 10 mail.example.com.'], additional: ['mail.example.com. 3600 IN A 192.0.2.25', 'mail.example.com. 3600 IN AAAA 2001:db8::25'] },
  { name: 'wildcard CNAME followed', qname: 'foo.wcname.example.com', qtype: 'A', rcode: 'NOERROR', flags: 'qr aa rd', answer: ['foo.wcname.example.com. 3600 IN CNAME www.example.com.', WWW_A] },
  { name: 'wildcard below an ENT', qname: 'foo.z.ent2.example.com', qtype: 'A', rcode: 'NOERROR', flags: 'qr aa rd', answer: ['foo.z.ent2.example.com. 3600 IN A 192.0.2.8'] },
  { name: 'an ENT stops the wildcard above it', qname: 'foo.below.ent3.example.com', qtype: 'A', rcode: 'NXDOMAIN', flags: 'qr aa rd', authority: [SOA] },
  { name: 'wildcard above the ENT applies beside it', qname: 'foo.ent3.example.com', qtype: 'A', rcode: 'NOERROR', flags: 'qr aa rd', answer: ['foo.ent3.example.com. 3600 IN A 192.0.2.9'] },
  // CNAME (RFC 1034 §3.6.2, §4.3.2; RFC 6604 rcode of the last name).
  { name: 'CNAME chain', qname: 'chain1.example.com', qtype: 'A', rcode: 'NOERROR', flags: 'qr aa rd', answer: ['chain1.example.com. 3600 IN CNAME chain2.example.com.', 'chain2.example.com. 3600 IN CNAME chain3.example.com.', 'chain3.example.com. 3600 IN CNAME www.example.com.', WWW_A] },
  { name: 'CNAME query not followed', qname: 'alias.example.com', qtype: 'CNAME', rcode: 'NOERROR', flags: 'qr aa rd', answer: ['alias.example.com. 3600 IN CNAME www.example.com.'] },
  { name: 'CNAME loop stops', qname: 'loop1.example.com', qtype: 'A', rcode: 'NOERROR', flags: 'qr aa rd', answer: ['loop1.example.com. 3600 IN CNAME loop2.example.com.', 'loop2.example.com. 3600 IN CNAME loop1.example.com.'] },
  { name: 'self loop', qname: 'selfloop.example.com', qtype: 'A', rcode: 'NOERROR', flags: 'qr aa rd', answer: ['selfloop.example.com. 3600 IN CNAME selfloop.example.com.'] },
  { name: 'dangling CNAME is NXDOMAIN (RFC 6604 §2)', qname: 'dangling.example.com', qtype: 'A', rcode: 'NXDOMAIN', flags: 'qr aa rd', answer: ['dangling.example.com. 3600 IN CNAME missing.example.com.'], authority: [SOA] },
  { name: 'out-of-zone target not followed', qname: 'ext.example.com', qtype: 'A', rcode: 'NOERROR', flags: 'qr aa rd', answer: ['ext.example.com. 3600 IN CNAME www.other.test.'] },
  { name: 'CNAME into a delegation gives the referral', qname: 'todeleg.example.com', qtype: 'A', rcode: 'NOERROR', flags: 'qr aa rd', answer: ['todeleg.example.com. 3600 IN CNAME host.deleg.example.com.'], authority: DELEG_NS, additional: DELEG_GLUE },
  { name: 'CNAME to NODATA', qname: 'tomx.example.com', qtype: 'AAAA', rcode: 'NOERROR', flags: 'qr aa rd', answer: ['tomx.example.com. 3600 IN CNAME example.com.'], authority: [SOA] },
  { name: 'ANY at a CNAME is the CNAME', qname: 'alias.example.com', qtype: 'ANY', rcode: 'NOERROR', flags: 'qr aa rd', answer: ['alias.example.com. 3600 IN CNAME www.example.com.'] },
  // DNAME (RFC 6672).
  { name: 'DNAME out of zone', qname: 'x.dn.example.com', qtype: 'A', rcode: 'NOERROR', flags: 'qr aa rd', answer: ['dn.example.com. 3600 IN DNAME other.test.', 'x.dn.example.com. 3600 IN CNAME x.other.test.'] },
  { name: 'DNAME in zone, NXDOMAIN target', qname: 'x.dnin.example.com', qtype: 'A', rcode: 'NXDOMAIN', flags: 'qr aa rd', answer: ['dnin.example.com. 3600 IN DNAME target.example.com.', 'x.dnin.example.com. 3600 IN CNAME x.target.example.com.'], authority: [SOA] },
  { name: 'DNAME then CNAME then data', qname: 'www.dnin.example.com', qtype: 'A', rcode: 'NOERROR', flags: 'qr aa rd', answer: ['dnin.example.com. 3600 IN DNAME target.example.com.', 'www.dnin.example.com. 3600 IN CNAME www.target.example.com.', 'www.target.example.com. 3600 IN CNAME www.example.com.', WWW_A] },
  { name: 'DNAME owner itself', qname: 'dn.example.com', qtype: 'A', rcode: 'NOERROR', flags: 'qr aa rd', authority: [SOA] },
  { name: 'DNAME query', qname: 'dn.example.com', qtype: 'DNAME', rcode: 'NOERROR', flags: 'qr aa rd', answer: ['dn.example.com. 3600 IN DNAME other.test.'] },
  { name: 'DNAME result too long is YXDOMAIN (RFC 6672 §2.2)', qname: 'a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t.u.v.w.x.y.z.a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t.u.v.w.x.y.z.long.example.com', qtype: 'A', rcode: 'YXDOMAIN', flags: 'qr aa rd', answer: [`long.example.com. 3600 IN DNAME ${LONG}`] },
  // Referrals (RFC 1034 §4.3.2 3b) and DS (RFC 4035 §3.1.4.1).
  { name: 'referral at the cut', qname: 'deleg.example.com', qtype: 'A', rcode: 'NOERROR', flags: 'qr rd', authority: DELEG_NS, additional: DELEG_GLUE },
  { name: 'referral below the cut', qname: 'a.b.deleg.example.com', qtype: 'MX', rcode: 'NOERROR', flags: 'qr rd', authority: DELEG_NS, additional: DELEG_GLUE },
  { name: 'NS at the cut is a referral', qname: 'deleg.example.com', qtype: 'NS', rcode: 'NOERROR', flags: 'qr rd', authority: DELEG_NS, additional: DELEG_GLUE },
  { name: 'glue name is a referral', qname: 'ns1.deleg.example.com', qtype: 'A', rcode: 'NOERROR', flags: 'qr rd', authority: DELEG_NS, additional: DELEG_GLUE },
  { name: 'DS at the cut from the parent', qname: 'deleg.example.com', qtype: 'DS', rcode: 'NOERROR', flags: 'qr aa rd', answer: ['deleg.example.com. 3600 IN DS 12345 13 2 3F5A2C9BA1B0E22C4E2E7E2C5A6C3B1A0F9E8D7C6B5A49382716051423324151'] },
  { name: 'no DS at the cut: NODATA from the parent', qname: 'outdeleg.example.com', qtype: 'DS', rcode: 'NOERROR', flags: 'qr aa rd', authority: [SOA] },
  { name: 'out-of-bailiwick NS: no glue', qname: 'x.outdeleg.example.com', qtype: 'A', rcode: 'NOERROR', flags: 'qr rd', authority: ['outdeleg.example.com. 3600 IN NS ns.other.test.', 'outdeleg.example.com. 3600 IN NS ns2.other.test.'] },
  { name: 'DS at a served child apex comes from the parent', qname: 'sub.example.com', qtype: 'DS', rcode: 'NOERROR', flags: 'qr aa rd', answer: ['sub.example.com. 3600 IN DS 54321 13 2 1F5A2C9BA1B0E22C4E2E7E2C5A6C3B1A0F9E8D7C6B5A49382716051423324151'] },
  { name: 'the deepest zone answers', qname: 'sub.example.com', qtype: 'NS', rcode: 'NOERROR', flags: 'qr aa rd', answer: ['sub.example.com. 1800 IN NS ns1.sub.example.com.', 'sub.example.com. 1800 IN NS ns2.example.com.'], additional: ['ns1.sub.example.com. 1800 IN A 192.0.2.54'] },
  { name: 'child zone NXDOMAIN uses the child SOA', qname: 'nope.sub.example.com', qtype: 'A', rcode: 'NXDOMAIN', flags: 'qr aa rd', authority: [SUB_SOA] },
  // Additional section (RFC 1035 §3.3.9, RFC 2782).
  { name: 'MX additional only from our zone', qname: 'example.com', qtype: 'MX', rcode: 'NOERROR', flags: 'qr aa rd', answer: ['example.com. 3600 IN MX 10 mail.example.com.', 'example.com. 3600 IN MX 20 mail.other.test.'], additional: ['mail.example.com. 3600 IN A 192.0.2.25', 'mail.example.com. 3600 IN AAAA 2001:db8::25'] },
  { name: 'SRV additional', qname: '_sip._udp.example.com', qtype: 'SRV', rcode: 'NOERROR', flags: 'qr aa rd', answer: ['_sip._udp.example.com. 3600 IN SRV 10 5 5060 sipserver.example.com.', '_sip._udp.example.com. 3600 IN SRV 20 5 5060 sip.other.test.'], additional: ['sipserver.example.com. 3600 IN A 192.0.2.60', 'sipserver.example.com. 3600 IN AAAA 2001:db8::60'] },
  // ANY (RFC 8482 §4.2): one RRset, lowest type.
  { name: 'ANY is minimal', qname: 'example.com', qtype: 'ANY', rcode: 'NOERROR', flags: 'qr aa rd', answer: ['example.com. 3600 IN NS ns1.example.com.', 'example.com. 3600 IN NS ns2.example.com.'], additional: ['ns1.example.com. 3600 IN A 192.0.2.1', 'ns1.example.com. 3600 IN AAAA 2001:db8::1', 'ns2.example.com. 3600 IN A 192.0.2.2'] },
  { name: 'ANY over TCP is minimal too', qname: 'www.example.com', qtype: 'ANY', tcp: true, rcode: 'NOERROR', flags: 'qr aa rd', answer: [WWW_A] },
  // Names in no zone (RFC 8906 §3.1.3 style): REFUSED, no AA.
  { name: 'REFUSED outside our zones', qname: 'www.example.org', qtype: 'A', rcode: 'REFUSED', flags: 'qr rd' },
  // Size limits and truncation (RFC 1035 §4.2.1, RFC 6891 §6.2.5, RFC 2181 §9).
  { name: 'too big for 1232: TC with empty sections', qname: 'big.example.com', qtype: 'TXT', rcode: 'NOERROR', flags: 'qr aa tc rd', opt: 'payload=1232 version=0 do=false' },
  { name: 'TCP has room', qname: 'manya.example.com', qtype: 'A', tcp: true, opts: { edns: false }, rcode: 'NOERROR', flags: 'qr aa rd', answer: Array.from({ length: 40 }, (_, i) => `manya.example.com. 3600 IN A 192.0.2.${101 + i}`), opt: 'none' },
  { name: 'no EDNS: 512 octets', qname: 'manya.example.com', qtype: 'A', opts: { edns: false }, rcode: 'NOERROR', flags: 'qr aa tc rd', opt: 'none' },
  { name: 'EDNS size below 512 counts as 512', qname: 'manya.example.com', qtype: 'A', opts: { udpSize: 100 }, rcode: 'NOERROR', flags: 'qr aa tc rd', opt: 'payload=1232 version=0 do=false' },
  { name: 'EDNS 1232 fits 40 A', qname: 'manya.example.com', qtype: 'A', opts: { udpSize: 4096 }, rcode: 'NOERROR', flags: 'qr aa rd', answer: Array.from({ length: 40 }, (_, i) => `manya.example.com. 3600 IN A 192.0.2.${101 + i}`) },
  // EDNS (RFC 6891, RFC 3225).
  { name: 'DO echoed', qname: 'www.example.com', qtype: 'A', opts: { do: true }, rcode: 'NOERROR', flags: 'qr aa rd', answer: [WWW_A], opt: 'payload=1232 version=0 do=true' },
  { name: 'no OPT in, none out', qname: 'www.example.com', qtype: 'A', opts: { edns: false }, rcode: 'NOERROR', flags: 'qr aa rd', answer: [WWW_A], opt: 'none' },
  { name: 'version 1 is BADVERS', qname: 'www.example.com', qtype: 'A', opts: { ednsVersion: 1 }, rcode: 'BADVERS', flags: 'qr rd', opt: 'payload=1232 version=0 do=false' },
  { name: 'unknown option ignored', qname: 'www.example.com', qtype: 'A', opts: { ednsOptions: [[65001, 'abcd']] }, rcode: 'NOERROR', flags: 'qr aa rd', answer: [WWW_A] },
  { name: 'unknown EDNS flag ignored, not echoed', qname: 'www.example.com', qtype: 'A', opts: { ednsFlags: 0x4000 }, rcode: 'NOERROR', flags: 'qr aa rd', answer: [WWW_A], opt: 'payload=1232 version=0 do=false' },
  // Header bits (RFC 1035 §4.1.1, RFC 4035 §3.1.6).
  { name: 'RD clear stays clear', qname: 'www.example.com', qtype: 'A', opts: { rd: false }, rcode: 'NOERROR', flags: 'qr aa', answer: [WWW_A] },
  { name: 'CD copied, AD not', qname: 'www.example.com', qtype: 'A', opts: { cd: true, ad: true }, rcode: 'NOERROR', flags: 'qr aa rd cd', answer: [WWW_A] },
  // Transfers and other opcodes.
  { name: 'AXFR over UDP is NOTIMP', qname: 'example.com', qtype: 'AXFR', rcode: 'NOTIMP', flags: 'qr rd' },
  { name: 'AXFR over TCP is NOTAUTH until transfers are configured', qname: 'example.com', qtype: 'AXFR', tcp: true, rcode: 'NOTAUTH', flags: 'qr rd' },
  { name: 'IXFR is NOTAUTH', qname: 'example.com', qtype: 'IXFR', rcode: 'NOTAUTH', flags: 'qr rd' },
  { name: 'STATUS opcode is NOTIMP', qname: 'example.com', qtype: 'A', opts: { opcode: 2 }, rcode: 'NOTIMP', flags: 'qr rd' },
  { name: 'class CH is REFUSED', qname: 'www.example.com', qtype: 'A', opts: { qclass: 3 }, rcode: 'REFUSED', flags: 'qr rd' },
];

const zones = fixtureZones();
const respond = createResponder({ zones: () => zones });

for (const c of cases) {
  test(`case: ${c.name} (${c.qname} ${c.qtype})`, () => {
    const out = respond(buildQuery(c.qname, c.qtype, { rd: true, ...c.opts }), fixedContext(c.tcp ? 'tcp' : 'udp'));
    assert.ok(out, 'a response');
    const d = decode(out);
    assert.equal(d.rcode, c.rcode, 'rcode');
    assert.equal(d.flags.join(' '), c.flags, 'flags');
    assert.deepEqual([...d.answer].sort(), [...(c.answer ?? [])].sort(), 'answer');
    assert.deepEqual([...d.authority].sort(), [...(c.authority ?? [])].sort(), 'authority');
    assert.deepEqual([...d.additional].sort(), [...(c.additional ?? [])].sort(), 'additional');
    if (c.opt !== undefined) {
      assert.equal(d.opt ? `payload=${d.opt.payload} version=${d.opt.version} do=${d.opt.do}` : 'none', c.opt, 'OPT');
    }
    assert.equal(d.question.length, 1, 'question echoed');
  });
}

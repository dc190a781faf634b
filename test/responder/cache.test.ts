// Owns the tests of the answer cache (hit == miss, ID/RD/CD/case patched, generation swap) and of malformed input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import diagnostics from 'node:diagnostics_channel';
import { createResponder, fixedContext, queryChannel } from '../../src/responder/index.ts';

const UDP = fixedContext('udp');
const TCP = fixedContext('tcp');
import type { QueryEvent } from '../../src/responder/index.ts';
import { ZoneSet } from '../../src/store/index.ts';
import { buildQuery, decode } from './dns-helpers.ts';
import { fixtureZones, loadFixture } from './fixtures.ts';
import { zoneFromText } from '../lookup/zone-text.ts';

const zones = fixtureZones();

test('a cache hit returns the bytes a cache miss produces, with ID, RD, CD and question case patched', () => {
  const cached = createResponder({ zones: () => zones });
  const uncached = createResponder({ zones: () => zones, cacheEntries: 0 });
  const variants = [
    buildQuery('www.example.com', 'A', { id: 1, rd: true }),
    buildQuery('WWW.Example.COM', 'A', { id: 0xbeef, rd: false, cd: true }),
    buildQuery('wWw.eXaMpLe.cOm', 'A', { id: 0x7777, rd: true, cd: true }),
    buildQuery('Foo.WILD.example.com', 'MX', { id: 9 }),
    buildQuery('FOO.wild.EXAMPLE.com', 'MX', { id: 10, rd: true }),
    buildQuery('Chain1.Example.Com', 'A', { id: 11, do: true }),
    buildQuery('chain1.example.com', 'A', { id: 12, do: true }),
    buildQuery('NOPE.example.com', 'A', { id: 13 }),
    buildQuery('nope.EXAMPLE.com', 'A', { id: 14, edns: false }),
  ];
  for (const q of [...variants, ...variants, ...variants]) {
    const hitOrMiss = Uint8Array.from(cached(q, UDP)!);
    const fresh = Uint8Array.from(uncached(q, UDP)!);
    assert.deepEqual(hitOrMiss, fresh, 'cached bytes equal freshly encoded bytes');
    const d = decode(hitOrMiss);
    assert.equal(d.id, (q[0]! << 8) | q[1]!, 'ID patched');
    assert.equal(d.flags.includes('rd'), (q[2]! & 1) !== 0, 'RD copied');
    assert.equal(d.flags.includes('cd'), (q[3]! & 0x10) !== 0, 'CD copied');
    // The question is the client's spelling, octet for octet.
    assert.deepEqual(hitOrMiss.subarray(12, 12 + q.indexOf(0, 12) - 11), q.subarray(12, 12 + q.indexOf(0, 12) - 11));
  }
});

test('answer owners equal to the qname keep the query case (they point at the question)', () => {
  const r = createResponder({ zones: () => zones });
  // Warm the cache with lower case (an answer is stored on its second miss).
  r(buildQuery('www.example.com', 'A'), UDP);
  r(buildQuery('www.example.com', 'A'), UDP);
  const out = r(buildQuery('WwW.ExAmPlE.CoM', 'A'), UDP)!;
  const raw = decode(out);
  assert.equal(raw.question[0], 'WwW.ExAmPlE.CoM. IN A');
  // Owner of the first answer is a pointer to offset 12.
  const qEnd = 12 + 'WwW.ExAmPlE.CoM'.length + 2 + 4;
  assert.equal(out[qEnd], 0xc0);
  assert.equal(out[qEnd + 1], 12);
});

test('a new zone set generation is answered from the new data', () => {
  let current = new ZoneSet([loadFixture('example.com')]);
  const r = createResponder({ zones: () => current });
  const q = buildQuery('www.example.com', 'A');
  assert.deepEqual(decode(r(q, UDP)!).answer, ['www.example.com. 600 IN A 192.0.2.80']);
  const replacement = zoneFromText('$TTL 60\n@ SOA ns1 h 2 1 1 1 1\n@ NS ns1\nns1 A 192.0.2.1\nwww A 203.0.113.1\n', 'example.com.');
  current = current.with(replacement);
  assert.deepEqual(decode(r(q, UDP)!).answer, ['www.example.com. 60 IN A 203.0.113.1']);
  current = current.without('\x07example\x03com\x00');
  assert.equal(decode(r(q, UDP)!).rcode, 'REFUSED');
});

test('the cache is bounded in octets too', () => {
  // Each TCP answer for manya is ~700 octets; 2000 octets hold two of them.
  const r = createResponder({ zones: () => zones, cacheBytes: 2000 });
  for (let i = 0; i < 50; i++) {
    const d = decode(r(buildQuery('manya.example.com', 'A', { id: i, do: i % 2 === 0, udpSize: 1232 + i }), TCP)!);
    assert.equal(d.answer.length, 40);
  }
  const huge = createResponder({ zones: () => zones, cacheBytes: 10 });
  assert.equal(decode(huge(buildQuery('www.example.com', 'A'), UDP)!).answer.length, 1, 'answers bigger than the cache are not cached but still sent');
});

test('the cache stays bounded', () => {
  const r = createResponder({ zones: () => zones, cacheEntries: 8 });
  for (let i = 0; i < 100; i++) {
    const d = decode(r(buildQuery(`n${i}.example.com`, 'A'), UDP)!);
    assert.equal(d.rcode, 'NXDOMAIN');
  }
  // Still correct for an early name after eviction.
  assert.equal(decode(r(buildQuery('www.example.com', 'A'), UDP)!).answer.length, 1);
});

test('responses and short messages are dropped; malformed queries get FORMERR without throwing', () => {
  const r = createResponder({ zones: () => zones });
  const q = buildQuery('www.example.com', 'A', { edns: false });
  assert.equal(r(new Uint8Array(0), UDP), null);
  assert.equal(r(q.subarray(0, 11), UDP), null);
  const resp = Uint8Array.from(q);
  resp[2]! |= 0x80;
  assert.equal(r(resp, UDP), null, 'QR=1 dropped');
  const formerr = (b: Uint8Array, withQuestion: boolean): void => {
    const d = decode(r(b, UDP)!);
    assert.equal(d.rcode, 'FORMERR');
    assert.equal(d.question.length, withQuestion ? 1 : 0);
    assert.ok(!d.flags.includes('aa'));
  };
  formerr(q.subarray(0, 12), false);
  formerr(Uint8Array.from([...q, 0]), true);
  const two = Uint8Array.from(q);
  two[5] = 2;
  formerr(two, false);
  const withOpt = buildQuery('www.example.com', 'A');
  const twoOpt = Uint8Array.from([...withOpt, ...withOpt.subarray(withOpt.length - 11)]);
  twoOpt[11] = 2;
  formerr(twoOpt, true);
  // An unknown opcode is NOTIMP whatever its body (RFC 1035 §4.1.1).
  const op15 = Uint8Array.from(q.subarray(0, 12));
  op15[2] = 15 << 3;
  op15[5] = 0;
  const n = decode(r(op15, UDP)!);
  assert.equal(n.rcode, 'NOTIMP');
  assert.equal(n.opcode, 15);
  // FORMERR keeps the OPT of a query whose OPT was valid (RFC 6891 §6.1.1).
  const d = decode(r(Uint8Array.from([...withOpt, 0, 0]), UDP)!);
  assert.equal(d.rcode, 'FORMERR');
  assert.ok(d.opt);
});

test('random and mutated bytes never throw', () => {
  const r = createResponder({ zones: () => zones });
  let seed = 12345;
  const rnd = (): number => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed; };
  const base = buildQuery('foo.wild.example.com', 'MX', { do: true });
  for (let i = 0; i < 5000; i++) {
    let b: Uint8Array;
    if (i % 2 === 0) {
      b = new Uint8Array(rnd() % 80);
      for (let j = 0; j < b.length; j++) b[j] = rnd() & 0xff;
      if (b.length > 2) b[2]! &= 0x7f;
    } else {
      b = Uint8Array.from(base.subarray(0, base.length - (rnd() % 4)));
      for (let k = 0; k < 3; k++) b[12 + (rnd() % (b.length - 12))] = rnd() & 0xff;
    }
    for (const transport of ['udp', 'tcp'] as const) {
      const out = r(b, fixedContext(transport));
      if (out) {
        assert.ok(out.length >= 12);
        assert.ok(transport === 'tcp' || out.length <= 1232);
      }
    }
  }
});

test('dunlin:query diagnostics are published only with a subscriber', () => {
  const r = createResponder({ zones: () => zones });
  const seen: QueryEvent[] = [];
  const sub = (m: unknown): void => { seen.push(m as QueryEvent); };
  r(buildQuery('www.example.com', 'A'), UDP);
  assert.equal(seen.length, 0);
  diagnostics.subscribe('dunlin:query', sub);
  try {
    assert.ok(queryChannel.hasSubscribers);
    r(buildQuery('www.example.com', 'A'), UDP);
    r(buildQuery('nope.example.com', 'AAAA'), TCP);
    r(buildQuery('www.example.com', 'A', { opcode: 2 }), UDP);
  } finally {
    diagnostics.unsubscribe('dunlin:query', sub);
  }
  assert.equal(seen.length, 3);
  assert.deepEqual(seen.map((e) => [e.transport, e.rcode, e.qtype]), [['udp', 0, 1], ['tcp', 3, 28], ['udp', 4, 1]]);
  assert.ok(seen.every((e) => e.size > 12));
});

test('in-domain glue that does not fit sets TC (RFC 9471 §3)', () => {
  const ns = Array.from({ length: 12 }, (_, i) => `child NS ns${i}.a-rather-long-label-for-the-name-server.child`).join('\n');
  const glue = Array.from({ length: 12 }, (_, i) => `ns${i}.a-rather-long-label-for-the-name-server.child A 192.0.2.${i}\nns${i}.a-rather-long-label-for-the-name-server.child AAAA 2001:db8::${i}`).join('\n');
  const z = zoneFromText(`$TTL 300\n@ SOA ns h 1 1 1 1 1\n@ NS ns\nns A 192.0.2.250\n${ns}\n${glue}\n`, 'glue.test.');
  const set = new ZoneSet([z]);
  const r = createResponder({ zones: () => set });
  const small = decode(r(buildQuery('x.child.glue.test', 'A', { edns: false }), UDP)!);
  assert.ok(small.flags.includes('tc'), 'TC when the glue does not fit in 512');
  const big = decode(r(buildQuery('x.child.glue.test', 'A', { udpSize: 4096 }), UDP)!);
  assert.ok(!big.flags.includes('tc'));
  assert.equal(big.authority.length, 12);
  assert.equal(big.additional.length, 24);
});

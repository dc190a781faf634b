// Owns the tests of the fast query parser, decoded record spans, the seeded hash and the shared byte/address primitives.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatHostPort, ipFamily, lowerByte, readU16, readU32 } from '../../src/wire/bytes.ts';
import { hashSeedFromU32, newHashSeed, seededHash } from '../../src/wire/hash.ts';
import { decodeMessage, newMessageSpans } from '../../src/wire/message.ts';
import { newParsedQuery, parseQuery } from '../../src/wire/query.ts';
import { buildQuery } from '../responder/dns-helpers.ts';

test('parseQuery: question, counts and OPT of a plain query', () => {
  const q = buildQuery('www.example.com', 'AAAA', { id: 0xbeef, do: true, udpSize: 1400 });
  const p = newParsedQuery();
  parseQuery(q, p);
  assert.equal(p.id, 0xbeef);
  assert.equal(p.formerr, false);
  assert.equal(p.qtype, 28);
  assert.equal(p.qclass, 1);
  assert.equal(p.qnameEnd, 12 + 17);
  assert.deepEqual([p.qdcount, p.ancount, p.nscount, p.arcount], [1, 0, 0, 1]);
  assert.deepEqual([p.edns, p.ednsPayload, p.ednsDo], [1, 1400, true]);
});

test('parseQuery: QDCOUNT=0 is FORMERR but a valid OPT after the header is still found', () => {
  const base = buildQuery('www.example.com', 'A', { do: true });
  const q = Uint8Array.from([...base.subarray(0, 12), ...base.subarray(base.length - 11)]);
  q[5] = 0;
  const p = newParsedQuery();
  parseQuery(q, p);
  assert.equal(p.formerr, true);
  assert.equal(p.qEnd, -1);
  assert.equal(p.edns, 1);
  assert.equal(p.ednsDo, true);
});

test('decodeMessage: spans give each record its bytes as received', () => {
  const base = buildQuery('www.example.com', 'A', { edns: true });
  const rr = [0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1];
  const optAt = base.length - 11;
  const msg = Uint8Array.from([...base.subarray(0, optAt), ...rr, ...rr, ...base.subarray(optAt)]);
  msg[7] = 1; // one answer
  msg[11] = 2; // one additional A, then OPT
  const spans = newMessageSpans();
  const m = decodeMessage(msg, spans);
  assert.equal(m.answers.length, 1);
  assert.deepEqual(spans.answers, [{ start: optAt, end: optAt + 16 }]);
  assert.deepEqual(spans.additional, [{ start: optAt + 16, end: optAt + 32 }]);
  assert.deepEqual(spans.opt, { start: optAt + 32, end: msg.length });
  assert.deepEqual([...msg.subarray(spans.additional[0]!.start, spans.additional[0]!.end)], rr);
});

test('seededHash: case-insensitive over the folded range, exact after it, and different per seed', () => {
  const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
  const a = enc('WwW.Example\x00\x01');
  const b = enc('www.example\x00\x01');
  const seed = newHashSeed();
  assert.equal(seededHash(seed, a, 0, a.length, a.length - 2), seededHash(seed, b, 0, b.length, b.length - 2));
  const c = enc('www.example\x00\x41');
  const d = enc('www.example\x00\x61');
  assert.notEqual(seededHash(seed, c, 0, c.length, c.length - 2), seededHash(seed, d, 0, d.length, d.length - 2), 'octets after foldEnd are exact');
  // Two seeds disagree on almost every input (a fixed seed would make floods precomputable).
  const other = newHashSeed();
  let same = 0;
  for (let i = 0; i < 200; i++) {
    const x = enc(`n${i}.example.`);
    if (seededHash(seed, x, 0, x.length, x.length) === seededHash(other, x, 0, x.length, x.length)) same++;
  }
  assert.ok(same < 3, `${same} of 200 names hash alike under two seeds`);
  // Spread: 4096 similar names over 1024 buckets, no bucket far above the mean of 4.
  const buckets = new Uint32Array(1024);
  for (let i = 0; i < 4096; i++) {
    const x = enc(`host-${i}.example.com.`);
    buckets[seededHash(seed, x, 0, x.length, x.length) & 1023]!++;
  }
  assert.ok(Math.max(...buckets) <= 16, `largest bucket ${Math.max(...buckets)}`);
});

test('bytes: case folding, big-endian reads, IP families, host:port', () => {
  assert.equal(lowerByte(0x41), 0x61);
  assert.equal(lowerByte(0x5b), 0x5b);
  assert.equal(lowerByte(0xc1), 0xc1);
  const b = Uint8Array.from([0xff, 0xfe, 0x01, 0x02]);
  assert.equal(readU16(b, 0), 0xfffe);
  assert.equal(readU32(b, 0), 0xfffe0102);
  assert.equal(ipFamily('192.0.2.1'), 4);
  assert.equal(ipFamily('2001:db8::1'), 6);
  assert.equal(ipFamily('::ffff:192.0.2.1'), 6);
  assert.equal(ipFamily('256.0.0.1'), 0);
  assert.equal(ipFamily('example.com'), 0);
  assert.equal(formatHostPort('::1', 53), '[::1]:53');
  assert.equal(formatHostPort('127.0.0.1', 5353), '127.0.0.1:5353');
  assert.equal(formatHostPort(undefined, undefined), '?');
});

test('hashSeedFromU32: the same stored number gives the same hash in every thread; different numbers differ', () => {
  const x = new TextEncoder().encode('www.example.com.');
  const h = (n: number): number => seededHash(hashSeedFromU32(n), x, 0, x.length, x.length);
  assert.equal(h(12345), h(12345));
  assert.notEqual(h(12345), h(12346));
});

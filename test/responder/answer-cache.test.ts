// Owns the tests of AnswerCache (arena ring against a model, wraparound, eviction, collisions, fixed memory under a flood) and of the Doorkeeper admission filter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { AnswerCache, Doorkeeper, questionHash } from '../../src/responder/cache.ts';
import { createResponder, fixedContext } from '../../src/responder/index.ts';
import { buildQuery, decode } from './dns-helpers.ts';
import { fixtureZones } from './fixtures.ts';

/** A fake cached response: the query's header and question, then `size - q.length` octets of `fill`. */
function entry(name: string, type: number, size: number, fill = 0xab): { q: Uint8Array; qEnd: number; resp: Uint8Array } {
  const q = buildQuery(name, type, { edns: false });
  const resp = new Uint8Array(Math.max(size, q.length)).fill(fill);
  resp.set(q);
  return { q, qEnd: q.length, resp };
}

/** The cached bytes for (q, variant), copied out, or undefined. */
function lookup(c: AnswerCache, q: Uint8Array, qEnd: number, variant: number, hash = questionHash(q, qEnd)): Uint8Array | undefined {
  const e = c.find(q, qEnd, hash, variant);
  if (e < 0) return undefined;
  const out = new Uint8Array(c.lengthOf(e));
  assert.equal(c.copyInto(e, out, 0), out.length);
  assert.deepEqual(out, c.arena.subarray(c.offsetOf(e), c.offsetOf(e) + c.lengthOf(e)));
  return out;
}

/**
 * The specification of the ring, written differently from the cache: the new entry goes at the
 * tail if it fits before the arena's end, else at 0 (at 0 when nothing is left); the oldest entries
 * go while the cache is full or while any live entry overlaps the new one's place.
 */
class RingModel {
  readonly live: { key: string; off: number; len: number; resp: Uint8Array }[] = [];
  tail = 0;
  readonly cap: number;
  readonly size: number;
  constructor(cap: number, size: number) {
    this.cap = cap;
    this.size = size;
  }
  set(key: string, resp: Uint8Array): void {
    const len = resp.length;
    if (len === 0 || len > this.size) return;
    while (this.live.length >= this.cap) this.live.shift();
    const at = this.live.length === 0 || this.tail + len > this.size ? 0 : this.tail;
    while (this.live.some((e) => e.off < at + len && at < e.off + e.len)) this.live.shift();
    this.live.push({ key, off: at, len, resp });
    this.tail = at + len;
  }
  get(key: string): Uint8Array | undefined {
    return this.live.find((e) => e.key === key)?.resp;
  }
  get bytes(): number {
    return this.live.reduce((n, e) => n + e.len, 0);
  }
}

test('AnswerCache keeps exactly the entries of the ring model, with their bytes', () => {
  const op = fc.record({
    name: fc.constantFrom('a.test', 'B.test', 'b.TEST', 'c.test', 'd.test', 'e.test', 'f.test', 'g.test', 'h.x.test'),
    type: fc.constantFrom(1, 28, 15),
    variant: fc.integer({ min: 0, max: 3 }),
    // Mostly multiples of 20 in an arena of a multiple of 20: exact fits at the end and in gaps happen often.
    size: fc.oneof(fc.integer({ min: 2, max: 8 }).map((k) => k * 20), fc.integer({ min: 20, max: 160 })),
    write: fc.integer({ min: 0, max: 4 }).map((k) => k > 0),
  });
  fc.assert(fc.property(fc.integer({ min: 1, max: 16 }), fc.oneof(fc.integer({ min: 5, max: 30 }).map((k) => k * 20), fc.integer({ min: 100, max: 600 })), fc.array(op, { maxLength: 120 }), (cap, maxBytes, ops) => {
    const c = new AnswerCache(cap, maxBytes);
    const model = new RingModel(cap, maxBytes);
    const held = c.heldBytes;
    let n = 0;
    for (const o of ops) {
      // Distinct fill per write: a stale or overwritten entry would show.
      const e = entry(o.name, o.type, o.size, n++ & 0xff);
      const key = `${o.name.toLowerCase()}|${o.type}|${o.variant}`;
      const got = lookup(c, e.q, e.qEnd, o.variant);
      assert.deepEqual(got, model.get(key), `get ${key}`);
      if (o.write && got === undefined) {
        c.set(questionHash(e.q, e.qEnd), o.variant, e.resp);
        model.set(key, e.resp);
      }
      assert.equal(c.size, model.live.length);
      assert.equal(c.bytes, model.bytes);
      assert.ok(c.bytes <= maxBytes && c.size <= cap);
      // Every live entry of the model is found with its own bytes.
      for (const m of model.live) {
        const [, , variant] = m.key.split('|');
        assert.deepEqual(lookup(c, m.resp, qEndOf(m.resp), Number(variant)), m.resp, `live ${m.key}`);
      }
    }
    assert.equal(c.heldBytes, held, 'the cache holds the same memory whatever it stored');
  }), { numRuns: 300 });
});

/** Where the question of a response built by entry() ends. */
function qEndOf(resp: Uint8Array): number {
  let i = 12;
  while (resp[i] !== 0) i += resp[i]! + 1;
  return i + 5;
}

test('the ring wraps around: the newest entry goes to offset 0 and the oldest ones make way', () => {
  const c = new AnswerCache(100, 300);
  const a = entry('a.test', 1, 100, 1);
  const b = entry('b.test', 1, 100, 2);
  const d = entry('d.test', 1, 80, 3);
  const e = entry('e.test', 1, 60, 4);
  for (const x of [a, b, d]) c.set(questionHash(x.q, x.qEnd), 0, x.resp);
  assert.deepEqual([a, b, d].map((x) => c.offsetOf(c.find(x.q, x.qEnd, questionHash(x.q, x.qEnd), 0))), [0, 100, 200]);
  // 280 used, 20 left at the end: e (60) wraps to 0 and evicts a (the oldest, at [0, 100)) only.
  c.set(questionHash(e.q, e.qEnd), 0, e.resp);
  assert.equal(lookup(c, a.q, a.qEnd, 0), undefined);
  assert.deepEqual(lookup(c, b.q, b.qEnd, 0), b.resp);
  assert.deepEqual(lookup(c, d.q, d.qEnd, 0), d.resp);
  assert.deepEqual(lookup(c, e.q, e.qEnd, 0), e.resp);
  assert.equal(c.offsetOf(c.find(e.q, e.qEnd, questionHash(e.q, e.qEnd), 0)), 0);
  assert.equal(c.bytes, 240);
  // Wrapped: the gap is [60, 100). 90 octets do not fit there: b goes, then the gap [60, 200) holds it.
  const f = entry('f.test', 1, 90, 5);
  c.set(questionHash(f.q, f.qEnd), 0, f.resp);
  assert.equal(lookup(c, b.q, b.qEnd, 0), undefined);
  assert.equal(c.offsetOf(c.find(f.q, f.qEnd, questionHash(f.q, f.qEnd), 0)), 60);
  assert.deepEqual([d, e, f].map((x) => lookup(c, x.q, x.qEnd, 0)), [d.resp, e.resp, f.resp]);
  // The gap [150, 200) fits 50 octets exactly: nothing goes.
  const h = entry('h.test', 1, 50, 7);
  c.set(questionHash(h.q, h.qEnd), 0, h.resp);
  assert.equal(c.size, 4);
  assert.equal(c.offsetOf(c.find(h.q, h.qEnd, questionHash(h.q, h.qEnd), 0)), 150);
  // 200 octets fit nowhere without d, e, f and h: all go, the entry sits at 0.
  const g = entry('g.test', 1, 200, 6);
  c.set(questionHash(g.q, g.qEnd), 0, g.resp);
  assert.equal(c.size, 1);
  assert.deepEqual(lookup(c, g.q, g.qEnd, 0), g.resp);
});

test('eviction by entries and by octets, oldest first; an entry larger than the arena is not stored', () => {
  const byEntries = new AnswerCache(3, 10_000);
  const xs = ['a', 'b', 'c', 'd', 'e'].map((n) => entry(`${n}.test`, 1, 50));
  for (const x of xs) byEntries.set(questionHash(x.q, x.qEnd), 0, x.resp);
  assert.equal(byEntries.size, 3);
  assert.deepEqual(xs.map((x) => lookup(byEntries, x.q, x.qEnd, 0) !== undefined), [false, false, true, true, true]);

  const byBytes = new AnswerCache(100, 160);
  for (const x of xs) byBytes.set(questionHash(x.q, x.qEnd), 0, x.resp);
  assert.ok(byBytes.bytes <= 160);
  assert.deepEqual(xs.map((x) => lookup(byBytes, x.q, x.qEnd, 0) !== undefined), [false, false, true, true, true]);

  const big = entry('big.test', 1, 161);
  byBytes.set(questionHash(big.q, big.qEnd), 0, big.resp);
  assert.equal(lookup(byBytes, big.q, big.qEnd, 0), undefined, 'larger than the arena: not stored');
  assert.equal(byBytes.size, 3, 'and nothing evicted for it');
  const exact = entry('exact.test', 1, 160);
  byBytes.set(questionHash(exact.q, exact.qEnd), 0, exact.resp);
  assert.deepEqual(lookup(byBytes, exact.q, exact.qEnd, 0), exact.resp, 'exactly the arena: stored alone');
  assert.equal(byBytes.size, 1);
});

test('clear empties the cache and the ring starts over at offset 0', () => {
  const c = new AnswerCache(10, 1000);
  const xs = ['a', 'b', 'c'].map((n) => entry(`${n}.test`, 1, 100));
  for (const x of xs) c.set(questionHash(x.q, x.qEnd), 0, x.resp);
  c.clear();
  assert.equal(c.size, 0);
  assert.equal(c.bytes, 0);
  for (const x of xs) assert.equal(lookup(c, x.q, x.qEnd, 0), undefined);
  const y = entry('y.test', 1, 100);
  c.set(questionHash(y.q, y.qEnd), 0, y.resp);
  assert.equal(c.offsetOf(c.find(y.q, y.qEnd, questionHash(y.q, y.qEnd), 0)), 0);
});

test('colliding hashes: entries are told apart by their question and variant, and survive each other\'s eviction', () => {
  const c = new AnswerCache(64, 100_000);
  const names = Array.from({ length: 40 }, (_, i) => entry(`n${i}.test`, 1, 40 + i, i));
  // Every entry under one hash: one long probe chain, deleted from by backward shifts.
  for (const x of names) c.set(7, 0, x.resp);
  for (const x of names) c.set(7, 1, Uint8Array.from(x.resp).fill(0xee, x.qEnd));
  for (let round = 0; round < 3; round++) {
    for (const [i, x] of names.entries()) {
      const v0 = lookup(c, x.q, x.qEnd, 0, 7);
      const v1 = lookup(c, x.q, x.qEnd, 1, 7);
      // 80 sets into 64 entries: the first 16 (variant 0) went, oldest first.
      if (round === 0) assert.equal(v0 === undefined, i < 16, `n${i} variant 0`);
      if (v0 !== undefined) assert.deepEqual(v0, x.resp);
      if (v1 !== undefined) assert.equal(v1[v1.length - 1], 0xee);
    }
    // Re-insert the missing ones: more evictions along the same chain.
    for (const x of names) if (c.find(x.q, x.qEnd, 7, 0) < 0) c.set(7, 0, x.resp);
  }
  const other = entry('other.test', 1, 40);
  assert.equal(c.find(other.q, other.qEnd, 7, 0), -1, 'same hash, different question: a miss');
});

test('a flood of distinct names: the memory held stays fixed, live octets stay within the budget', () => {
  const budget = 64 * 1024;
  const c = new AnswerCache(1000, budget);
  const held = c.heldBytes;
  assert.ok(held < budget + 1000 * 32, `held ${held}`);
  for (let i = 0; i < 50_000; i++) {
    const x = entry(`r${i.toString(36)}-flood.bench.test`, 1, 60 + (i % 90));
    c.set(questionHash(x.q, x.qEnd), 0, x.resp);
    if (i % 997 === 0) assert.ok(c.bytes <= budget && c.size <= 1000);
  }
  assert.equal(c.heldBytes, held);
  assert.equal(c.arena.byteLength, budget);
});

test('Doorkeeper admits a question on its second offer and forgets what newer questions overwrite', () => {
  const d = new Doorkeeper(1024);
  assert.equal(d.heldBytes, 1024 * 4);
  assert.equal(d.admit(0x1234, 0), false);
  assert.equal(d.admit(0x1234, 1), false, 'another variant is another question');
  assert.equal(d.admit(0x1234, 0) || d.admit(0x1234, 0), true);
  let admitted = 0;
  for (let i = 0; i < 100_000; i++) if (d.admit(Math.imul(i, 0x9e3779b1) >>> 0, 0)) admitted++;
  assert.equal(admitted, 0, 'a flood of distinct questions admits nothing');
  d.admit(42, 4);
  d.clear();
  assert.equal(d.admit(42, 4), false, 'cleared');
});

test('through the responder, a flood of distinct names stores nothing and keeps a cached answer', () => {
  const zones = fixtureZones();
  const cache = new AnswerCache(1000, 64 * 1024);
  const r = createResponder({ zones: () => zones, cache });
  const udp = fixedContext('udp');
  const www = buildQuery('www.example.com', 'A');
  const first = Uint8Array.from(r(www, udp)!);
  assert.equal(cache.size, 0, 'first miss: not stored');
  assert.deepEqual(Uint8Array.from(r(www, udp)!), first);
  assert.equal(cache.size, 1, 'second miss: stored');
  const held = cache.heldBytes;
  for (let i = 0; i < 20_000; i++) {
    const d = decode(r(buildQuery(`r${i.toString(36)}x.example.com`, 'A', { id: i & 0xffff }), udp)!);
    if (i % 1000 === 0) assert.equal(d.rcode, 'NXDOMAIN');
  }
  assert.equal(cache.size, 1, 'the flood stored nothing');
  assert.equal(cache.heldBytes, held);
  assert.ok(cache.find(www, www.length - 11, questionHash(www, www.length - 11), 1 | (1232 << 2)) >= 0, 'www still cached');
  assert.deepEqual(Uint8Array.from(r(www, udp)!), first, 'and answered from the cache with the same bytes');
});

// Owns the tests of the per-zone change history: chaining, lookups by serial, bounds, broken chains.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ZoneHistory } from '../../src/store/index.ts';
import type { Changeset } from '../../src/store/index.ts';
import { Name } from '../../src/wire/name.ts';

const origin = Name.fromText('example.com.');
const rec = { name: origin, type: 1, class: 1, ttl: 1, rdata: Uint8Array.of(192, 0, 2, 1) };
const cs = (from: number, to: number, n = 1): Changeset => ({ origin, serialFrom: from, serialTo: to, soaFrom: null, soaTo: null, removed: [], added: Array.from({ length: n }, () => rec) });

test('since() returns the chain from a serial to the newest version', () => {
  const h = new ZoneHistory();
  h.append(cs(1, 2));
  h.append(cs(2, 5));
  h.append(cs(5, 6));
  assert.deepEqual(h.since(2)?.map((c) => c.serialTo), [5, 6]);
  assert.deepEqual(h.since(1)?.map((c) => c.serialTo), [2, 5, 6]);
  assert.deepEqual(h.since(6), []);
  assert.equal(h.since(3), null);
  assert.equal(h.oldestSerial, 1);
});

test('a changeset that does not continue the chain starts a new one', () => {
  const h = new ZoneHistory();
  h.append(cs(1, 2));
  h.append(cs(7, 8));
  assert.equal(h.depth, 1);
  assert.equal(h.since(1), null);
  assert.deepEqual(h.since(7)?.length, 1);
});

test('bounded by depth and by records, oldest dropped first; a serial wrap (RFC 1982) chains', () => {
  const h = new ZoneHistory({ maxChanges: 3, maxRecords: 20 });
  for (let s = 0; s < 10; s++) h.append(cs(s, s + 1));
  assert.equal(h.depth, 3);
  assert.equal(h.oldestSerial, 7);
  h.append(cs(10, 11, 15));
  assert.ok(h.records <= 20);
  assert.equal(h.since(10)?.length, 1);
  const w = new ZoneHistory();
  w.append(cs(0xffffffff, 0));
  w.append(cs(0, 1));
  assert.equal(w.since(0xffffffff)?.length, 2);
  const big = new ZoneHistory({ maxChanges: 3, maxRecords: 5 });
  big.append(cs(1, 2, 10));
  assert.equal(big.depth, 0, 'a single changeset over the bound is not kept');
});

// Owns the model-based test of AnswerCache: open addressing with backward-shift deletion against a FIFO Map model.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { AnswerCache, questionHash } from '../../src/responder/cache.ts';
import { buildQuery } from './dns-helpers.ts';

/** A fake cached response: the query's header and question, padded to `size`. */
function entry(name: string, type: number, size: number): { q: Uint8Array; qEnd: number; resp: Uint8Array } {
  const q = buildQuery(name, type, { edns: false });
  const resp = new Uint8Array(Math.max(size, q.length));
  resp.set(q);
  return { q, qEnd: q.length, resp };
}

test('AnswerCache behaves like a FIFO map bounded by entries and octets', () => {
  const op = fc.record({
    name: fc.constantFrom('a.test', 'B.test', 'b.TEST', 'c.test', 'd.test', 'e.test', 'f.test', 'g.test', 'h.x.test'),
    type: fc.constantFrom(1, 28, 15),
    variant: fc.integer({ min: 0, max: 3 }),
    size: fc.integer({ min: 20, max: 120 }),
    write: fc.boolean(),
  });
  fc.assert(fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 100, max: 400 }), fc.array(op, { maxLength: 80 }), (cap, maxBytes, ops) => {
    const c = new AnswerCache(cap, maxBytes);
    const model = new Map<string, Uint8Array>(); // insertion order = age
    for (const o of ops) {
      const e = entry(o.name, o.type, o.size);
      const key = `${o.name.toLowerCase()}|${o.type}|${o.variant}`;
      const h = questionHash(e.q, e.qEnd);
      const got = c.get(e.q, e.qEnd, h, o.variant);
      assert.equal(got, model.get(key), `get ${key}`);
      if (o.write && got === undefined) {
        c.set(h, o.variant, e.resp);
        if (e.resp.length <= maxBytes) {
          let bytes = [...model.values()].reduce((n, r) => n + r.length, 0);
          while (model.size >= cap || bytes + e.resp.length > maxBytes) {
            const [k, r] = model.entries().next().value!;
            model.delete(k);
            bytes -= r.length;
          }
          model.set(key, e.resp);
        }
      }
      assert.equal(c.size, model.size);
      assert.equal(c.bytes, [...model.values()].reduce((n, r) => n + r.length, 0));
    }
  }), { numRuns: 300 });
});

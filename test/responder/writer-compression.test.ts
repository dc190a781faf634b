// Owns the model test of the Writer's name compression that every response goes through: byte-identical to a suffix-key map model.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Name } from '../../src/wire/name.ts';
import { Reader } from '../../src/wire/reader.ts';
import { Writer } from '../../src/wire/writer.ts';

/**
 * The reference: RFC 1035 §4.1.4 compression with a map from each lower-cased suffix to the offset
 * where it was first written (the Writer's earlier implementation). Marks roll back entries at or
 * after the mark.
 */
class ModelWriter {
  readonly out: number[] = [];
  readonly #table = new Map<string, number>();
  readonly #order: string[] = [];

  name(n: Name, compress: boolean): void {
    const w = n.wire;
    let i = 0;
    while (w[i] !== 0) {
      const key = n.key.slice(i);
      if (compress) {
        const at = this.#table.get(key);
        if (at !== undefined) {
          this.out.push(0xc0 | (at >>> 8), at & 0xff);
          return;
        }
      }
      if (this.out.length < 0x4000 && !this.#table.has(key)) {
        this.#table.set(key, this.out.length);
        this.#order.push(key);
      }
      const len = w[i]!;
      for (let k = i; k <= i + len; k++) this.out.push(w[k]!);
      i += len + 1;
    }
    this.out.push(0);
  }

  bytes(n: number): void {
    for (let k = 0; k < n; k++) this.out.push(0xaa);
  }

  rollback(mark: number): void {
    this.out.length = mark;
    while (this.#order.length > 0 && this.#table.get(this.#order[this.#order.length - 1]!)! >= mark) {
      this.#table.delete(this.#order.pop()!);
    }
  }
}

// Few distinct labels in mixed case, so that suffixes repeat and case-insensitive matches are common.
const label = fc.constantFrom('a', 'A', 'www', 'WWW', 'example', 'Example', 'com', 'COM', 'b-c', 'x'.repeat(63));
// At most three 63-octet labels with two short ones: a name stays within 255 octets (RFC 1035 §3.1).
const name = fc
  .array(label, { minLength: 0, maxLength: 5 })
  .filter((ls) => ls.reduce((n, l) => n + l.length + 1, 1) <= 255)
  .map((ls) => Name.fromText(ls.length === 0 ? '.' : `${ls.join('.')}.`));
const op = fc.oneof(
  fc.record({ kind: fc.constant('name' as const), name, compress: fc.boolean() }),
  fc.record({ kind: fc.constant('pad' as const), n: fc.integer({ min: 0, max: 9000 }) }),
  // Marks are taken between names (as the encoder does between records), never inside one.
  fc.record({ kind: fc.constant('rollback' as const), to: fc.nat() }),
);

test('Writer compression matches the suffix-map model byte for byte (case, pointer tails, rollback, the 0x4000 limit)', () => {
  const reused = new Writer(65535, 16);
  fc.assert(fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
    const model = new ModelWriter();
    reused.reset(65535);
    const fresh = new Writer();
    const marks: number[] = [0];
    for (const o of ops) {
      const mark = marks[o.kind === 'rollback' ? o.to % marks.length : 0]!;
      for (const w of [reused, fresh]) {
        if (o.kind === 'name') w.name(o.name, o.compress);
        else if (o.kind === 'pad') w.bytes(new Uint8Array(o.n).fill(0xaa));
        else w.rollback(mark);
      }
      if (o.kind === 'name') model.name(o.name, o.compress);
      else if (o.kind === 'pad') model.bytes(o.n);
      else model.rollback(mark);
      if (o.kind === 'rollback') marks.splice(marks.findIndex((m) => m > mark) >>> 0);
      marks.push(fresh.pos);
    }
    assert.deepEqual([...fresh.view()], model.out);
    assert.deepEqual([...reused.view()], model.out);
  }), { numRuns: 300 });
});

test('every compressed name decodes back to the name written (pointers into names that end in pointers)', () => {
  const w = new Writer();
  const names = ['example.com.', 'www.Example.COM.', 'a.www.example.com.', 'A.WWW.EXAMPLE.COM.', 'com.', 'b.a.www.example.com.', '.'].map((t) => Name.fromText(t));
  const starts: number[] = [];
  for (const n of names) {
    starts.push(w.pos);
    w.name(n, true);
  }
  const msg = w.toBytes();
  for (const [i, n] of names.entries()) {
    const r = new Reader(msg, starts[i]);
    assert.equal(r.name(true).key, n.key);
  }
  // The second name reuses the first as a pointer: "www" label + pointer to offset 0.
  assert.deepEqual([...msg.subarray(starts[1], starts[2])], [3, 0x77, 0x77, 0x77, 0xc0, 0]);
  // The fourth is entirely a pointer to the third (case-insensitive match).
  assert.deepEqual([...msg.subarray(starts[3], starts[4])], [0xc0, starts[2]!]);
});

test('reset(limit) bounds the next message and forgets every compression target', () => {
  const w = new Writer();
  w.name(Name.fromText('example.com.'), true);
  w.reset(20);
  w.name(Name.fromText('example.com.'), true);
  assert.equal(w.pos, 13, 'written in full, not as a pointer into the previous message');
  assert.throws(() => w.name(Name.fromText('www.example.com.'), false), /exceed 20 octets/);
});

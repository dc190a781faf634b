// Tests names and the name reader: length limits, escapes, any octet in a label, case, canonical order, and compression-pointer attacks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Name } from '../../src/wire/name.ts';
import { Reader } from '../../src/wire/reader.ts';
import { Writer } from '../../src/wire/writer.ts';
import { TextError, WireError } from '../../src/wire/errors.ts';
import { decodeMessage } from '../../src/wire/message.ts';
import { fromHex, hex } from './helpers.ts';

const code = (c: string) => (e: unknown) => e instanceof WireError && e.code === c;

test('63-octet labels are fine, 64 are not (text and wire)', () => {
  const l63 = 'a'.repeat(63);
  assert.equal(Name.fromText(`${l63}.com.`).label(0).length, 63);
  assert.throws(() => Name.fromText(`${l63}a.com.`), TextError);
  const wire = new Uint8Array([64, ...new Array<number>(64).fill(0x61), 0]);
  assert.throws(() => new Reader(wire).name(), code('DUNLIN_ERR_WIRE_BAD_LABEL_TYPE'));
  assert.throws(() => Name.fromWire(wire), WireError);
});

test('names of exactly 255 octets are fine, 256 are not', () => {
  // 4 labels of 63 = 256 octets with root; 3x63 + 1x61 = 255.
  const ok = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}.`;
  assert.equal(Name.fromText(ok).wire.length, 255);
  const tooLong = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(62)}.`;
  assert.throws(() => Name.fromText(tooLong), TextError);
  const n = Name.fromText(ok);
  assert.equal(new Reader(n.wire).name().toText(), ok);
  assert.throws(() => Name.fromText('x', n), TextError, 'relative name + origin over 255');
});

test('\\DDD and \\. escapes round trip; every octet value survives a label', () => {
  const n = Name.fromText('a\\.b\\032c\\\\d\\000.example.');
  assert.equal(n.labelCount, 2);
  assert.equal(hex(n.label(0)), hex(Uint8Array.from([0x61, 0x2e, 0x62, 0x20, 0x63, 0x5c, 0x64, 0])));
  assert.equal(n.toText(), 'a\\.b\\032c\\\\d\\000.example.');
  assert.ok(Name.fromText(n.toText()).equals(n));
  for (let b = 0; b < 256; b++) {
    const m = Name.fromLabels([Uint8Array.of(b, 0x78)]);
    const back = Name.fromText(m.toText());
    assert.equal(hex(back.wire), hex(m.wire), `octet ${b}`);
  }
});

test('comparison is case-insensitive and the original case is kept', () => {
  const a = Name.fromText('WwW.Example.COM.');
  const b = Name.fromText('www.example.com.');
  assert.ok(a.equals(b));
  assert.equal(a.toText(), 'WwW.Example.COM.');
  assert.equal(Name.compare(a, b), 0);
  assert.ok(a.isSubdomainOf(Name.fromText('EXAMPLE.com.')));
  assert.ok(!Name.fromText('xexample.com.').isSubdomainOf(Name.fromText('example.com.')));
});

test('canonical order is the RFC 4034 §6.1 example order', () => {
  const order = ['example.', 'a.example.', 'yljkjljk.a.example.', 'Z.a.example.', 'zABC.a.EXAMPLE.', 'z.example.', '\\001.z.example.', '*.z.example.', '\\200.z.example.'];
  const names = order.map((t) => Name.fromText(t));
  const shuffled = [...names].reverse();
  shuffled.sort((a, b) => Name.compare(a, b));
  assert.deepEqual(shuffled.map((n) => n.toText()), order);
});

test('empty labels and dangling escapes are text errors', () => {
  for (const bad of ['a..b.', '.a.', '\\', 'a\\', 'a\\25', 'a\\256.']) assert.throws(() => Name.fromText(bad, Name.ROOT), TextError, bad);
});

// ---- compression pointer attacks (RFC 1035 §4.1.4; RFC 9267) ----

test('a forward pointer is rejected', () => {
  // name at 0: pointer to offset 2, where a valid name lives
  const m = fromHex('c002 0161 00');
  assert.throws(() => new Reader(m).name(), code('DUNLIN_ERR_WIRE_BAD_POINTER'));
});

test('a self-pointing pointer is rejected', () => {
  const m = fromHex('0000 c002');
  const r = new Reader(m, 2);
  assert.throws(() => r.name(), code('DUNLIN_ERR_WIRE_BAD_POINTER'));
});

test('a mutual loop (A -> B -> A) is rejected', () => {
  // offset 0: label "a" then pointer to 4; offset 4: label "b" then pointer to 0
  const m = fromHex('0161 c004 0162 c000');
  assert.throws(() => new Reader(m, 4).name(), code('DUNLIN_ERR_WIRE_BAD_POINTER'));
  assert.throws(() => new Reader(m, 0).name(), code('DUNLIN_ERR_WIRE_BAD_POINTER'));
});

test('pointers out of bounds or cut short are rejected', () => {
  assert.throws(() => new Reader(fromHex('0000 c0'), 2).name(), WireError);
  assert.throws(() => new Reader(fromHex('00 00 c0ff'), 2).name(), WireError);
  assert.throws(() => new Reader(fromHex('03 6162')).name(), code('DUNLIN_ERR_WIRE_TRUNCATED'));
});

test('a chain of pointers building a name over 255 octets is rejected', () => {
  // Each step: a 63-octet label then a pointer back to the previous step.
  const parts: number[] = [0];
  let prev = 0;
  for (let i = 0; i < 5; i++) {
    const at = parts.length;
    parts.push(63, ...new Array<number>(63).fill(0x61), 0xc0 | (prev >> 8), prev & 0xff);
    prev = at;
  }
  const m = Uint8Array.from(parts);
  assert.throws(() => new Reader(m, prev).name(), code('DUNLIN_ERR_WIRE_NAME_TOO_LONG'));
});

test('0x40 and 0x80 label types are rejected', () => {
  assert.throws(() => new Reader(fromHex('41 00')).name(), code('DUNLIN_ERR_WIRE_BAD_LABEL_TYPE'));
  assert.throws(() => new Reader(fromHex('80 00')).name(), code('DUNLIN_ERR_WIRE_BAD_LABEL_TYPE'));
});

test('a valid backward pointer chain decodes, and the cursor lands after the first pointer', () => {
  const m = fromHex('076578616d706c6500 0377777700 0161c000 0162c00e');
  const r = new Reader(m, 18);
  assert.equal(r.name().toText(), 'b.a.example.');
  assert.equal(r.pos, 22);
});

test('the writer compresses suffixes case-insensitively and rollback forgets them', () => {
  const w = new Writer();
  w.name(Name.fromText('www.Example.com.'), true);
  const mark = w.mark();
  w.name(Name.fromText('mail.example.COM.'), true);
  assert.equal(hex(w.view().subarray(mark)), '046d61696cc004');
  w.rollback(mark);
  w.name(Name.fromText('x.y.'), true);
  w.name(Name.fromText('z.y.'), true);
  assert.equal(hex(w.view().subarray(mark)), '0178017900017ac013');
});

test('pointer chains are capped at 127 hops, so hostile messages cannot cost quadratic time', () => {
  // Offset 0: root; then pointers, each to the previous one.
  const chain = (hops: number): [Uint8Array, number] => {
    const b: number[] = [0];
    let prev = 0;
    for (let i = 0; i < hops; i++) {
      const at = b.length;
      b.push(0xc0 | (prev >> 8), prev & 0xff);
      prev = at;
    }
    return [Uint8Array.from(b), prev];
  };
  const [ok, okAt] = chain(127);
  assert.equal(new Reader(ok, okAt).name().toText(), '.');
  const [bad, badAt] = chain(128);
  assert.throws(() => new Reader(bad, badAt).name(), code('DUNLIN_ERR_WIRE_BAD_POINTER'));
  // A 64 KiB message of ~11k questions whose names are chains into the first 16 KiB.
  const b: number[] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
  let prev = -1;
  let n = 0;
  while (b.length + 6 < 65535) {
    const at = b.length;
    if (prev < 0) b.push(0);
    else b.push(0xc0 | (prev >> 8), prev & 0xff);
    b.push(0, 1, 0, 1);
    if (at < 0x3fff) prev = at;
    n++;
  }
  b[4] = n >> 8;
  b[5] = n & 0xff;
  const start = performance.now();
  assert.throws(() => decodeMessage(Uint8Array.from(b)), WireError);
  assert.ok(performance.now() - start < 500, 'rejected quickly');
});

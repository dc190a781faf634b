// Owns tests of RFC 7766 framing: frames split at every byte, many per chunk, the 65535 bound, batching.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameBatch, FrameDecoder, MAX_FRAME } from '../../src/transport/framing.ts';

function framed(...msgs: Buffer[]): Buffer {
  return Buffer.concat(msgs.map((m) => {
    const b = Buffer.alloc(2 + m.length);
    b.writeUInt16BE(m.length, 0);
    m.copy(b, 2);
    return b;
  }));
}

function decodeAll(chunks: Buffer[]): { frames: Buffer[]; dec: FrameDecoder } {
  const dec = new FrameDecoder();
  const frames: Buffer[] = [];
  for (const c of chunks) dec.push(c, (f) => (frames.push(Buffer.from(f)), true));
  return { frames, dec };
}

const msgs = [Buffer.from('first message!'), Buffer.alloc(0), Buffer.from('x'), Buffer.alloc(300, 7)];
const wire = framed(...msgs);

test('a stream split at every byte position (two chunks) yields the same frames', () => {
  for (let i = 0; i <= wire.length; i++) {
    const { frames, dec } = decodeAll([wire.subarray(0, i), wire.subarray(i)]);
    assert.deepEqual(frames, msgs, `split at ${i}`);
    assert.equal(dec.partial, false);
  }
});

test('a stream split at every pair of positions (three chunks) yields the same frames', () => {
  const short = framed(Buffer.from('abc'), Buffer.from('defgh'));
  for (let i = 0; i <= short.length; i++) {
    for (let j = i; j <= short.length; j++) {
      const { frames } = decodeAll([short.subarray(0, i), short.subarray(i, j), short.subarray(j)]);
      assert.deepEqual(frames.map(String), ['abc', 'defgh'], `split at ${i},${j}`);
    }
  }
});

test('one byte at a time', () => {
  const chunks = [...wire].map((b) => Buffer.from([b]));
  const { frames } = decodeAll(chunks);
  assert.deepEqual(frames, msgs);
});

test('partial state is reported while a frame is in progress', () => {
  const dec = new FrameDecoder();
  const none = (): boolean => assert.fail('no frame expected');
  assert.equal(dec.partial, false);
  dec.push(Buffer.from([0]), none);
  assert.equal(dec.partial, true);
  assert.equal(dec.inLength, true);
  dec.push(Buffer.from([5, 1, 2]), none);
  assert.equal(dec.inLength, false);
  assert.equal(dec.pendingBytes, 2);
  let got: Buffer | null = null;
  dec.push(Buffer.from([3, 4, 5]), (f) => ((got = Buffer.from(f)), true));
  assert.deepEqual(got, Buffer.from([1, 2, 3, 4, 5]));
  assert.equal(dec.partial, false);
});

test('a 65535-byte frame arriving in 1-byte chunks is assembled in linear time', () => {
  const big = Buffer.alloc(MAX_FRAME, 0xab);
  const stream = framed(big);
  const dec = new FrameDecoder();
  let got: Buffer | null = null;
  const t0 = performance.now();
  for (let i = 0; i < stream.length; i++) dec.push(stream.subarray(i, i + 1), (f) => ((got = f), true));
  const ms = performance.now() - t0;
  assert.ok(got !== null);
  assert.equal((got as Buffer).length, MAX_FRAME);
  assert.ok(dec.pendingBytes === 0);
  assert.ok(ms < 2000, `took ${ms} ms`);
});

test('returning false stops decoding and holds the rest of the chunk until resume()', () => {
  const dec = new FrameDecoder();
  const seen: string[] = [];
  const count = dec.push(framed(Buffer.from('a'), Buffer.from('b'), Buffer.from('c')), (f) => seen.push(String(f)) < 2);
  assert.equal(count, 2);
  assert.deepEqual(seen, ['a', 'b']);
  assert.equal(dec.held, true);
  assert.throws(() => dec.push(Buffer.from([0]), () => true));
  assert.equal(dec.resume((f) => (seen.push(String(f)), true)), 1);
  assert.deepEqual(seen, ['a', 'b', 'c']);
  assert.equal(dec.held, false);
  dec.push(framed(Buffer.from('d'), Buffer.from('e')), () => false);
  dec.reset();
  assert.equal(dec.held, false);
});

test('FrameBatch copies each message with its length prefix into one buffer', () => {
  const batch = new FrameBatch();
  const reused = Buffer.from('hello');
  batch.append(reused);
  reused.fill(0); // the responder may reuse its buffer; the batch holds a copy
  for (let i = 0; i < 200; i++) batch.append(Buffer.alloc(100, i));
  assert.equal(batch.count, 201);
  const out = batch.take()!;
  assert.equal(out.length, 7 + 200 * 102);
  assert.equal(out.readUInt16BE(0), 5);
  assert.equal(out.subarray(2, 7).toString(), 'hello');
  const { frames } = decodeAll([out]);
  assert.equal(frames.length, 201);
  assert.equal(frames[200]![0], 199);
  assert.equal(batch.take(), null);
});

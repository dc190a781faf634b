// Owns in-process tests of the TCP transport: pipelining, batching, half-close, timeouts, limits, backpressure, shutdown, no leaks.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { readdirSync } from 'node:fs';
import { TcpTransport } from '../../src/transport/tcp.ts';
import { ConnectionRegistry } from '../../src/transport/registry.ts';
import type { TcpLimits } from '../../src/transport/limits.ts';
import type { CloseReason } from '../../src/transport/registry-types.ts';
import type { QueryContext } from '../../src/responder/types.ts';
import { TcpClient, frame, sleep, waitFor } from '../helpers/harness.ts';
import type { Endpoint } from '../helpers/harness.ts';

const fdBaseline = readdirSync('/proc/self/fd').length;

// A responder that reuses one output buffer (as the real one does): the transport must copy.
const scratch = Buffer.alloc(65535);
const BIG = 0xff;
function respond(q: Uint8Array, _ctx: QueryContext): Uint8Array | null {
  if (q.length < 12 || (q[2]! & 0x80) !== 0) return null;
  const size = q[12] === BIG ? 60_000 : q.length;
  scratch.fill(0, 0, size);
  scratch.set(q.subarray(0, Math.min(q.length, size)), 0);
  scratch[2] = scratch[2]! | 0x80;
  return scratch.subarray(0, size);
}

function query(id: number, big = false): Buffer {
  const q = Buffer.alloc(17);
  q.writeUInt16BE(id, 0);
  q[12] = big ? BIG : 1;
  return q;
}

interface Fixture {
  readonly t: TcpTransport;
  readonly reg: ConnectionRegistry;
  readonly ep: Endpoint;
}

const fixtures: Fixture[] = [];
async function start(limits: Partial<TcpLimits> = {}): Promise<Fixture> {
  const reg = new ConnectionRegistry();
  const t = new TcpTransport({ respond, registry: reg, limits: { shutdownTimeoutMs: 1000, ...limits } });
  const a = await t.listen({ host: '127.0.0.1', port: 0 });
  const f = { t, reg, ep: { host: a.host, port: a.port } };
  fixtures.push(f);
  return f;
}

async function closedWith(reg: ConnectionRegistry, reason: CloseReason, n = 1, timeoutMs = 5000): Promise<void> {
  await waitFor(() => reg.closedCount(reason) >= n, timeoutMs);
}

after(async () => {
  for (const f of fixtures) await f.t.close();
  for (const f of fixtures) assert.equal(f.reg.size, 0, 'every connection left the registry');
  await sleep(50);
  // Every socket created by these tests is closed: the process holds no more fds than at the start (+ slack for timers/loop).
  const fds = readdirSync('/proc/self/fd').length;
  assert.ok(fds <= fdBaseline + 2, `fds ${fds} > baseline ${fdBaseline}`);
});

test('100 pipelined queries in one write: 100 answers, IDs in order, one server write', async () => {
  const { ep, reg } = await start();
  let writes = 0;
  // eslint-disable-next-line @typescript-eslint/unbound-method -- restored below, always called with apply(this)
  const orig = net.Socket.prototype.write;
  const c = await TcpClient.connect(ep);
  const serverPort = c.socket.localPort;
  // Count writes made by the server-side socket of this connection.
  net.Socket.prototype.write = function (this: net.Socket, ...args: unknown[]) {
    if (this.remotePort === serverPort) writes++;
    return (orig as (...a: unknown[]) => boolean).apply(this, args);
  };
  try {
    await c.write(Buffer.concat(Array.from({ length: 100 }, (_, i) => frame(query(i + 1)))));
    const res = await c.read(100);
    assert.deepEqual(res.map((r) => r.readUInt16BE(0)), Array.from({ length: 100 }, (_, i) => i + 1));
    assert.ok(res.every((r) => (r[2]! & 0x80) !== 0));
  } finally {
    net.Socket.prototype.write = orig;
  }
  assert.equal(writes, 1, 'all answers of one chunk leave in one write');
  assert.equal(reg.snapshot().open[0]?.queries, 100);
  c.destroy();
  await waitFor(() => reg.size === 0);
});

test('a query split at every byte boundary over the socket is answered', async () => {
  const { ep } = await start();
  const wire = frame(query(7));
  for (let i = 1; i < wire.length; i++) {
    const c = await TcpClient.connect(ep);
    await c.write(wire.subarray(0, i));
    await sleep(5);
    await c.write(wire.subarray(i));
    const [r] = await c.read(1);
    assert.equal(r!.readUInt16BE(0), 7, `split at ${i}`);
    c.destroy();
  }
});

test('half-closed client: queued queries are answered, then the server closes (eof)', async () => {
  const { ep, reg } = await start();
  const c = await TcpClient.connect(ep);
  await c.write(Buffer.concat([frame(query(1)), frame(query(2)), frame(query(3))]));
  c.end();
  const res = await c.read(3);
  assert.deepEqual(res.map((r) => r.readUInt16BE(0)), [1, 2, 3]);
  await c.closed;
  await closedWith(reg, 'eof');
  assert.equal(reg.size, 0);
});

test('idle timeout closes a connection with no frame in progress', async () => {
  const { ep, reg } = await start({ idleTimeoutMs: 200, readTimeoutMs: 5000 });
  const c = await TcpClient.connect(ep);
  await c.write(frame(query(1)));
  await c.read(1);
  const t0 = Date.now();
  await c.closed;
  const ms = Date.now() - t0;
  assert.ok(ms >= 150 && ms < 1500, `closed after ${ms} ms`);
  await closedWith(reg, 'idle-timeout');
});

test('read timeout counts from the first byte of a frame: trickling bytes does not extend it', async () => {
  const { ep, reg } = await start({ idleTimeoutMs: 10_000, readTimeoutMs: 300 });
  const c = await TcpClient.connect(ep);
  const t0 = Date.now();
  const wire = frame(Buffer.alloc(200));
  let i = 0;
  const trickle = setInterval(() => {
    if (!c.isEnded && i < wire.length - 1) void c.write(wire.subarray(i, ++i)).catch(() => undefined);
  }, 40);
  try {
    await c.closed;
  } finally {
    clearInterval(trickle);
  }
  const ms = Date.now() - t0;
  assert.ok(ms >= 250 && ms < 1500, `closed after ${ms} ms`);
  await closedWith(reg, 'read-timeout');
});

test('a length prefix cut after one byte hits the read timeout', async () => {
  const { ep, reg } = await start({ idleTimeoutMs: 10_000, readTimeoutMs: 200 });
  const c = await TcpClient.connect(ep);
  await c.write(Buffer.from([0]));
  await c.closed;
  await closedWith(reg, 'read-timeout');
});

test('limit with policy refuse: the new connection is closed, the others keep working', async () => {
  const { ep, reg, t } = await start({ maxConnections: 2, onLimit: 'refuse' });
  const a = await TcpClient.connect(ep);
  const b = await TcpClient.connect(ep);
  await waitFor(() => t.connectionCount === 2);
  const c = await TcpClient.connect(ep);
  await c.closed;
  await closedWith(reg, 'limit');
  await a.write(frame(query(1)));
  await b.write(frame(query(2)));
  assert.equal((await a.read(1))[0]!.readUInt16BE(0), 1);
  assert.equal((await b.read(1))[0]!.readUInt16BE(0), 2);
  assert.equal(t.refused, 1);
  a.destroy();
  b.destroy();
});

test('limit with policy close-idlest: the idlest connection is closed to admit the new one', async () => {
  const { ep, reg, t } = await start({ maxConnections: 2, onLimit: 'close-idlest' });
  const idle = await TcpClient.connect(ep);
  await sleep(30);
  const active = await TcpClient.connect(ep);
  await active.write(frame(query(1)));
  await active.read(1);
  await waitFor(() => t.connectionCount === 2);
  const fresh = await TcpClient.connect(ep);
  await idle.closed;
  await closedWith(reg, 'limit');
  await fresh.write(frame(query(3)));
  assert.equal((await fresh.read(1))[0]!.readUInt16BE(0), 3);
  await active.write(frame(query(2)));
  assert.equal((await active.read(1))[0]!.readUInt16BE(0), 2);
  active.destroy();
  fresh.destroy();
});

test('max queries per connection: answers up to the limit, then FIN and close (limit)', async () => {
  const { ep, reg } = await start({ maxQueriesPerConnection: 5 });
  const c = await TcpClient.connect(ep);
  await c.write(Buffer.concat(Array.from({ length: 8 }, (_, i) => frame(query(i + 1)))));
  const res = await c.read(5);
  assert.deepEqual(res.map((r) => r.readUInt16BE(0)), [1, 2, 3, 4, 5]);
  await c.ended;
  assert.equal(c.pending, 0, 'nothing after the limit');
  c.end();
  await c.closed;
  await closedWith(reg, 'limit');
});

test('a length-0 frame and a message too short for a header close the connection', async () => {
  const { ep, reg } = await start();
  const a = await TcpClient.connect(ep);
  await a.write(Buffer.concat([frame(query(1)), Buffer.from([0, 0])]));
  assert.equal((await a.read(1))[0]!.readUInt16BE(0), 1, 'the good query before it is answered');
  await a.ended;
  a.end();
  const b = await TcpClient.connect(ep);
  await b.write(frame(Buffer.from([1, 2, 3])));
  await b.ended;
  b.end();
  await Promise.all([a.closed, b.closed]);
  await closedWith(reg, 'error', 2);
});

test('backpressure: a peer that does not read stops the reading, and is closed by the read timeout', async () => {
  const { ep, reg } = await start({ writeBufferBytes: 64 * 1024, readTimeoutMs: 400, idleTimeoutMs: 10_000 });
  const c = await TcpClient.connect(ep);
  c.socket.pause();
  // 300 answers of 60 KB = 18 MB: more than loopback socket buffers hold.
  const burst = Buffer.concat(Array.from({ length: 300 }, (_, i) => frame(query(i, true))));
  c.socket.write(burst);
  await waitFor(() => reg.snapshot().open.some((o) => o.state === 'writing'), 5000);
  const answered = reg.snapshot().open[0]!.queries;
  assert.ok(answered < 300, `decoding paused after ${answered} queries`);
  await closedWith(reg, 'read-timeout', 1, 5000);
  c.destroy();
});

test('backpressure: reading resumes on drain and every answer arrives', async () => {
  const { ep } = await start({ writeBufferBytes: 64 * 1024 });
  const c = await TcpClient.connect(ep);
  const burst = Buffer.concat(Array.from({ length: 200 }, (_, i) => frame(query(i, true))));
  c.socket.write(burst);
  const res = await c.read(200, 15_000);
  assert.equal(res.length, 200);
  assert.ok(res.every((r) => r.length === 60_000));
  c.destroy();
});

test('whatever the peer does, its connection is closed within idle + read timeout of its last activity', async () => {
  const idle = 300;
  const read = 200;
  const { ep, reg } = await start({ idleTimeoutMs: idle, readTimeoutMs: read, writeBufferBytes: 16 * 1024 });
  const behaviours: ((c: TcpClient) => Promise<void>)[] = [
    () => Promise.resolve(), // connect, say nothing
    async (c) => c.write(Buffer.from([0])), // half a length prefix
    async (c) => c.write(Buffer.from([0, 40, 1, 2, 3])), // half a message
    async (c) => c.write(frame(query(1))), // one query, never read, never close
    (c) => Promise.resolve(c.end()), // half-close at once
    async (c) => { await c.write(Buffer.from([0, 17])); c.end(); }, // EOF inside a frame
    async (c) => { c.socket.pause(); await c.write(Buffer.concat(Array.from({ length: 100 }, (_, i) => frame(query(i, true))))); }, // never reads answers
    async (c) => { await c.write(frame(query(2))); await sleep(100); await c.write(Buffer.from([0])); }, // activity, then a stall
  ];
  const clients = await Promise.all(behaviours.map(async (b) => {
    const c = await TcpClient.connect(ep);
    await b(c).catch(() => undefined);
    return c;
  }));
  const t0 = Date.now();
  await waitFor(() => reg.size === 0, idle + read + 2000);
  const ms = Date.now() - t0;
  assert.ok(ms <= idle + read + 500, `all closed after ${ms} ms`);
  for (const c of clients) c.destroy();
});

test('graceful close(): idle connections get FIN, a frame in progress is completed and answered', async () => {
  const { ep, reg, t } = await start({ shutdownTimeoutMs: 2000 });
  const idleClient = await TcpClient.connect(ep);
  const busy = await TcpClient.connect(ep);
  const wire = frame(query(42));
  await busy.write(wire.subarray(0, 5));
  await waitFor(() => t.connectionCount === 2 && reg.snapshot().open.some((o) => o.state === 'reading-message'));
  const closing = t.close();
  await idleClient.ended;
  await sleep(50);
  await busy.write(wire.subarray(5));
  assert.equal((await busy.read(1))[0]!.readUInt16BE(0), 42);
  await busy.ended;
  idleClient.end();
  busy.end();
  await closing;
  assert.equal(reg.size, 0);
  assert.ok(reg.closedCount('shutdown') >= 2);
  await assert.rejects(TcpClient.connect(ep, 500));
});

test('destroy(): every connection closed at once with reason shutdown', async () => {
  const { ep, reg, t } = await start();
  const cs = await Promise.all([1, 2, 3].map(() => TcpClient.connect(ep)));
  await waitFor(() => t.connectionCount === 3);
  t.destroy();
  await Promise.all(cs.map((c) => c.closed));
  await waitFor(() => reg.size === 0, 2000);
  assert.equal(reg.closedCount('shutdown'), 3);
});

// Owns the real-socket tests of asynchronous and streamed answers: UDP and TCP, timeouts, bounds, backpressure, cancellation, no leaks.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { readdirSync } from 'node:fs';
import { createResponder, QueryRouter } from '../../src/responder/index.ts';
import type { Answer, QueryContext, Request } from '../../src/responder/index.ts';
import { Opcode, RRType } from '../../src/wire/constants.ts';
import { TcpTransport } from '../../src/transport/tcp.ts';
import { UdpTransport } from '../../src/transport/udp.ts';
import { ConnectionRegistry } from '../../src/transport/registry.ts';
import type { TcpLimits } from '../../src/transport/limits.ts';
import { TcpClient, UDP_IO, frame, waitFor } from '../helpers/harness.ts';
import type { Endpoint } from '../helpers/harness.ts';
import { buildQuery, decode } from '../responder/dns-helpers.ts';
import { fixtureZones } from '../responder/fixtures.ts';

const fdBaseline = readdirSync('/proc/self/fd').length;
const zones = fixtureZones();

/** What the handlers of one fixture saw and did; tests steer them through `notify` and `stream`. */
interface Probe {
  notify: (req: Request) => Promise<Answer>;
  stream: (req: Request) => AsyncGenerator<Uint8Array>;
  contexts: QueryContext[];
}

/** A NOTIFY answer: the query's header with QR set and its question (RFC 1996 §4.7). */
function ack(req: Request): Uint8Array {
  const out = Uint8Array.from(req.bytes.subarray(0, req.spans.opt?.start ?? req.bytes.length));
  out[2] = out[2]! | 0x84;
  out[11] = 0;
  return out;
}

/** A stream message: `size` octets starting with the query's ID and a sequence number. */
function piece(req: Request, seq: number, size: number): Uint8Array {
  const m = new Uint8Array(size);
  m[0] = req.bytes[0]!;
  m[1] = req.bytes[1]!;
  m[2] = 0x84;
  m[4] = seq >>> 24;
  m[5] = (seq >>> 16) & 0xff;
  m[6] = (seq >>> 8) & 0xff;
  m[7] = seq & 0xff;
  return m;
}

interface Fixture {
  readonly probe: Probe;
  readonly tcp: TcpTransport;
  readonly udp: UdpTransport;
  readonly reg: ConnectionRegistry;
  readonly ep: Endpoint;
}

const fixtures: Fixture[] = [];

async function start(limits: Partial<TcpLimits> = {}, udpOpts: { answerTimeoutMs?: number; maxAnswersInFlight?: number } = {}): Promise<Fixture> {
  const probe: Probe = {
    contexts: [],
    notify: (req) => Promise.resolve(ack(req)),
    // eslint-disable-next-line require-yield, @typescript-eslint/require-await -- replaced by every stream test
    stream: async function* () {
      return;
    },
  };
  const router = new QueryRouter()
    .onOpcode(Opcode.NOTIFY, (req) => {
      probe.contexts.push(req.ctx);
      return probe.notify(req);
    })
    .onTransfer(RRType.AXFR, (req) => probe.stream(req));
  const respond = createResponder({ zones: () => zones, router });
  const reg = new ConnectionRegistry();
  const tcp = new TcpTransport({ respond, registry: reg, limits: { shutdownTimeoutMs: 1000, answerTimeoutMs: 2000, ...limits } });
  const udp = new UdpTransport({ respond, io: UDP_IO, ...udpOpts });
  const a = await tcp.listen({ host: '127.0.0.1', port: 0 });
  await udp.bind({ host: '127.0.0.1', port: a.port }).catch(async () => {
    await tcp.close();
    throw new Error('udp port taken');
  });
  const f = { probe, tcp, udp, reg, ep: { host: a.host, port: a.port } };
  fixtures.push(f);
  return f;
}

after(async () => {
  for (const f of fixtures) {
    await f.tcp.close();
    await f.udp.close();
  }
  for (const f of fixtures) assert.equal(f.reg.size, 0, 'every connection left the registry');
  await waitFor(() => readdirSync('/proc/self/fd').length <= fdBaseline + 2, 5000).catch(() => undefined);
  const fds = readdirSync('/proc/self/fd').length;
  assert.ok(fds <= fdBaseline + 2, `fds ${fds} > baseline ${fdBaseline}`);
});

/** A UDP client socket that collects answers until closed. */
async function udpClient(): Promise<{ send(b: Uint8Array, ep: Endpoint): void; got: Buffer[]; port: number; close(): void }> {
  const s = dgram.createSocket('udp4');
  const got: Buffer[] = [];
  s.on('message', (m) => got.push(m));
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', () => resolve()));
  return { send: (b, ep) => s.send(b, ep.port, ep.host), got, port: s.address().port, close: () => s.close() };
}

/** Resolvers a test releases by hand. */
function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

const notifyQuery = (id: number): Uint8Array => buildQuery('example.com', 'SOA', { id, opcode: Opcode.NOTIFY, edns: false });
const aQuery = (id: number): Uint8Array => buildQuery('www.example.com', 'A', { id });
const axfrQuery = (id: number): Uint8Array => buildQuery('example.com', 'AXFR', { id, edns: false });
const idOf = (b: Uint8Array): number => (b[0]! << 8) | b[1]!;

test('UDP: an async answer is sent when it resolves; a plain query is not held behind it; the context names both ends', async () => {
  const f = await start();
  const gate = deferred<undefined>();
  f.probe.notify = async (req) => {
    await gate.promise;
    return ack(req);
  };
  const c = await udpClient();
  try {
    c.send(notifyQuery(7), f.ep);
    await waitFor(() => f.probe.contexts.length === 1, 3000);
    c.send(aQuery(8), f.ep);
    await waitFor(() => c.got.length === 1, 3000);
    assert.equal(idOf(c.got[0]!), 8, 'the plain query is answered first');
    assert.equal(f.udp.answersInFlight, 1);
    gate.resolve(undefined);
    await waitFor(() => c.got.length === 2, 3000);
    const d = decode(c.got[1]!);
    assert.equal(d.id, 7);
    assert.equal(d.opcode, Opcode.NOTIFY);
    const ctx = f.probe.contexts[0]!;
    assert.equal(ctx.transport, 'udp');
    assert.equal(ctx.peerAddress, '127.0.0.1');
    assert.equal(ctx.peerPort, c.port);
    assert.equal(ctx.localPort, f.ep.port);
    assert.equal(ctx.localAddress, '127.0.0.1');
    assert.equal(f.udp.answersInFlight, 0);
  } finally {
    c.close();
  }
});

test('UDP: a throwing handler gets SERVFAIL; one that never resolves gets SERVFAIL after the timeout and its signal aborted', async () => {
  const f = await start({}, { answerTimeoutMs: 200 });
  const signals: AbortSignal[] = [];
  f.probe.notify = (req) => {
    if (idOf(req.bytes) === 1) throw new Error('handler bug');
    signals.push(req.ctx.signal);
    return new Promise<Answer>(() => undefined);
  };
  const c = await udpClient();
  try {
    c.send(notifyQuery(1), f.ep);
    c.send(notifyQuery(2), f.ep);
    await waitFor(() => c.got.length === 2, 3000);
    const byId = new Map(c.got.map((b) => [idOf(b), decode(b)]));
    assert.equal(byId.get(1)?.rcode, 'SERVFAIL');
    assert.equal(byId.get(2)?.rcode, 'SERVFAIL');
    assert.equal(signals.length, 1);
    assert.equal(signals[0]!.aborted, true, 'the timed-out answer was aborted');
  } finally {
    c.close();
  }
});

test('UDP: beyond maxAnswersInFlight a new async answer is aborted and dropped; close() aborts the rest', async () => {
  const f = await start({}, { maxAnswersInFlight: 2, answerTimeoutMs: 10_000 });
  const signals: AbortSignal[] = [];
  f.probe.notify = (req) => {
    signals.push(req.ctx.signal);
    return new Promise<Answer>(() => undefined);
  };
  const c = await udpClient();
  try {
    for (let i = 1; i <= 4; i++) c.send(notifyQuery(i), f.ep);
    await waitFor(() => signals.length === 4, 3000);
    assert.equal(f.udp.answersInFlight, 2);
    assert.equal(signals.filter((s) => s.aborted).length, 2, 'the two over the bound were aborted at once');
    assert.equal(f.udp.dropped, 2);
    await f.udp.close();
    assert.equal(f.udp.answersInFlight, 0);
    assert.ok(signals.every((s) => s.aborted), 'close() aborts answers in progress');
    assert.equal(c.got.length, 0, 'nothing is sent after close');
  } finally {
    c.close();
  }
});

test('UDP: AXFR keeps its default answer even with a stream handler registered (NOTIMP)', async () => {
  const f = await start();
  let called = false;
  // eslint-disable-next-line @typescript-eslint/require-await -- a stream that is never pulled
  f.probe.stream = async function* (req) {
    called = true;
    yield piece(req, 0, 20);
  };
  const c = await udpClient();
  try {
    c.send(axfrQuery(3), f.ep);
    await waitFor(() => c.got.length === 1, 3000);
    assert.equal(decode(c.got[0]!).rcode, 'NOTIMP');
    assert.equal(called, false);
  } finally {
    c.close();
  }
});

test('TCP: async answers complete out of order on one connection, matched by ID (RFC 7766 §7); the connection is answering meanwhile', async () => {
  const f = await start({ idleTimeoutMs: 150 });
  const gates = new Map<number, ReturnType<typeof deferred<undefined>>>();
  f.probe.notify = async (req) => {
    const g = deferred<undefined>();
    gates.set(idOf(req.bytes), g);
    await g.promise;
    return ack(req);
  };
  const c = await TcpClient.connect(f.ep);
  try {
    await c.write(Buffer.concat([frame(notifyQuery(1)), frame(notifyQuery(2)), frame(aQuery(3))]));
    const [first] = await c.read(1);
    assert.equal(idOf(first!), 3, 'the synchronous answer overtakes the pending ones');
    // Longer than the idle timeout: a connection with answers in progress is not idle.
    await waitFor(() => gates.size === 2, 3000);
    await assert.rejects(c.read(1, 400), /timed out/, 'nothing more until an answer resolves');
    assert.equal(f.reg.snapshot().open[0]?.state, 'answering');
    gates.get(2)!.resolve(undefined);
    const [second] = await c.read(1);
    assert.equal(idOf(second!), 2);
    gates.get(1)!.resolve(undefined);
    const [third] = await c.read(1);
    assert.equal(idOf(third!), 1);
    assert.equal(f.probe.contexts[0]!.transport, 'tcp');
    assert.equal(f.probe.contexts[0]!.peerPort, c.socket.localPort);
    assert.equal(f.probe.contexts[0]!.localPort, f.ep.port);
  } finally {
    c.destroy();
  }
  await waitFor(() => f.reg.size === 0, 3000);
});

test('TCP: at maxAnswersInFlight the connection stops reading; later queries wait and are answered', async () => {
  const f = await start({ maxAnswersInFlight: 1 });
  const gate = deferred<undefined>();
  f.probe.notify = async (req) => {
    await gate.promise;
    return ack(req);
  };
  const c = await TcpClient.connect(f.ep);
  try {
    await c.write(Buffer.concat([frame(notifyQuery(1)), frame(aQuery(2)), frame(aQuery(3))]));
    await waitFor(() => f.probe.contexts.length === 1, 3000);
    await assert.rejects(c.read(1, 300), /timed out/, 'queries after the bound wait');
    gate.resolve(undefined);
    const got = await c.read(3);
    assert.deepEqual(got.map(idOf), [1, 2, 3]);
  } finally {
    c.destroy();
  }
  await waitFor(() => f.reg.size === 0, 3000);
});

test('TCP: EOF from the peer waits for the pending answers, then the server closes', async () => {
  const f = await start();
  const gate = deferred<undefined>();
  f.probe.notify = async (req) => {
    await gate.promise;
    return ack(req);
  };
  const c = await TcpClient.connect(f.ep);
  await c.write(Buffer.concat([frame(notifyQuery(1)), frame(aQuery(2))]));
  c.end();
  const [a] = await c.read(1);
  assert.equal(idOf(a!), 2);
  gate.resolve(undefined);
  const [b] = await c.read(1);
  assert.equal(idOf(b!), 1);
  await c.ended;
  await c.closed;
  await waitFor(() => f.reg.size === 0, 3000);
  assert.equal(f.reg.closedCount('eof'), 1);
});

test('TCP: an async answer that never resolves gets SERVFAIL after answerTimeoutMs, its signal aborted', async () => {
  const f = await start({ answerTimeoutMs: 200 });
  const signals: AbortSignal[] = [];
  f.probe.notify = (req) => {
    signals.push(req.ctx.signal);
    return new Promise<Answer>(() => undefined);
  };
  const c = await TcpClient.connect(f.ep);
  try {
    await c.write(frame(notifyQuery(9)));
    const [r] = await c.read(1);
    assert.equal(decode(r!).rcode, 'SERVFAIL');
    assert.equal(idOf(r!), 9);
    assert.equal(signals[0]!.aborted, true);
  } finally {
    c.destroy();
  }
  await waitFor(() => f.reg.size === 0, 3000);
});

/** A generator of `n` messages of `size` octets that records how far it got and whether it was finalized. */
function counted(n: number, size: number): { gen: (req: Request) => AsyncGenerator<Uint8Array>; produced: () => number; finished: () => boolean; signal: () => AbortSignal | null } {
  let produced = 0;
  let finished = false;
  let signal: AbortSignal | null = null;
  return {
    // eslint-disable-next-line @typescript-eslint/require-await -- the transport's pulls are the only pacing
    gen: async function* (req) {
      signal = req.ctx.signal;
      try {
        for (let i = 0; i < n; i++) {
          produced++;
          yield piece(req, i, size);
        }
      } finally {
        finished = true;
      }
    },
    produced: () => produced,
    finished: () => finished,
    signal: () => signal,
  };
}

test('TCP: a 10,000-message stream to a slow reader pauses (bounded memory) and then completes in order', { timeout: 60_000 }, async (t) => {
  const f = await start({ writeBufferBytes: 64 * 1024, readTimeoutMs: 20_000 });
  const N = 10_000;
  const size = 4000;
  const s = counted(N, size);
  f.probe.stream = s.gen;
  const c = await TcpClient.connect(f.ep);
  try {
    c.socket.pause(); // the reader does not read yet
    await c.write(frame(axfrQuery(5)));
    // The producer stops: what it made fits in our write buffer plus the kernel's socket buffers.
    let last = -1;
    await waitFor(() => {
      const now = s.produced();
      const stable = now === last && now > 0;
      last = now;
      return stable;
    }, 10_000, 200);
    t.diagnostic(`stream paused after ${s.produced()} of ${N} messages`);
    assert.ok(s.produced() < N / 2, `paused after ${s.produced()} of ${N} messages (${(s.produced() * size) >> 20} MiB)`);
    assert.equal(f.reg.snapshot().open[0]?.state, 'writing');
    c.socket.resume();
    const got = await c.read(N, 30_000);
    assert.equal(got.length, N);
    for (let i = 0; i < N; i += 997) assert.equal(got[i]!.readUInt32BE(4), i, 'messages in order');
    assert.ok(got.every((m) => idOf(m) === 5));
    assert.equal(s.finished(), true);
    // The connection is usable after the stream.
    await c.write(frame(aQuery(6)));
    const [a] = await c.read(1);
    assert.equal(idOf(a!), 6);
  } finally {
    c.destroy();
  }
  await waitFor(() => f.reg.size === 0, 3000);
});

test('TCP: with a write buffer below the socket high-water mark a stream still completes to a reader (drain is only awaited after a full write)', { timeout: 30_000 }, async () => {
  const f = await start({ writeBufferBytes: 1024, readTimeoutMs: 5_000 });
  const N = 2_000;
  const s = counted(N, 1000);
  f.probe.stream = s.gen;
  const c = await TcpClient.connect(f.ep);
  try {
    c.socket.pause(); // the kernel buffers fill, so the server's own write buffer holds some data
    await c.write(frame(axfrQuery(7)));
    let last = -1;
    await waitFor(() => {
      const now = s.produced();
      const stable = now === last && now > 0;
      last = now;
      return stable;
    }, 10_000, 200);
    c.socket.resume();
    const got = await c.read(N, 20_000);
    assert.equal(got.length, N);
    assert.equal(s.finished(), true);
  } finally {
    c.destroy();
  }
  await waitFor(() => f.reg.size === 0, 3000);
});

test('TCP: the peer closing mid-stream ends the stream (return() called) and the connection', async () => {
  const f = await start({ writeBufferBytes: 16 * 1024 });
  const s = counted(1_000_000, 1000);
  f.probe.stream = s.gen;
  const c = await TcpClient.connect(f.ep);
  await c.write(frame(axfrQuery(5)));
  await c.read(10);
  c.destroy();
  await waitFor(() => s.finished(), 5000);
  await waitFor(() => f.reg.size === 0, 5000);
  assert.ok(s.produced() < 1_000_000);
  assert.equal(s.signal()?.aborted, true);
});

test('TCP: a peer that never reads a stream is closed by the read timeout, and the stream released', async () => {
  const f = await start({ writeBufferBytes: 16 * 1024, readTimeoutMs: 300 });
  const s = counted(1_000_000, 4000);
  f.probe.stream = s.gen;
  const c = await TcpClient.connect(f.ep);
  c.socket.pause();
  try {
    await c.write(frame(axfrQuery(5)));
    await waitFor(() => f.reg.closedCount('read-timeout') === 1, 10_000);
    await waitFor(() => s.finished(), 3000);
    assert.equal(f.reg.size, 0);
  } finally {
    c.destroy();
  }
});

test('TCP: a stream whose producer stalls ends the connection after answerTimeoutMs; its signal is aborted', async () => {
  const f = await start({ answerTimeoutMs: 200 });
  let signal: AbortSignal | null = null;
  f.probe.stream = async function* (req) {
    signal = req.ctx.signal;
    yield piece(req, 0, 100);
    await new Promise(() => undefined);
  };
  const c = await TcpClient.connect(f.ep);
  try {
    await c.write(frame(axfrQuery(5)));
    await c.read(1);
    await c.closed;
    await waitFor(() => f.reg.closedCount('error') === 1, 3000);
    assert.equal((signal as AbortSignal | null)?.aborted, true);
  } finally {
    c.destroy();
  }
});

test('TCP: shutdown during a stream waits up to shutdownTimeoutMs, then destroys and releases the stream', async () => {
  const f = await start({ shutdownTimeoutMs: 300 });
  let finished = false;
  f.probe.stream = async function* (req) {
    try {
      for (let i = 0; ; i++) {
        await new Promise((r) => setTimeout(r, 5));
        yield piece(req, i, 100);
      }
    } finally {
      finished = true;
    }
  };
  const c = await TcpClient.connect(f.ep);
  try {
    await c.write(frame(axfrQuery(5)));
    await c.read(3);
    const t0 = Date.now();
    await f.tcp.close();
    assert.ok(Date.now() - t0 < 3000);
    await waitFor(() => finished, 3000);
    assert.equal(f.reg.size, 0);
    assert.equal(f.reg.closedCount('shutdown'), 1);
    await c.closed;
  } finally {
    c.destroy();
  }
});

test('TCP: a finite stream at shutdown is written to the end before FIN', async () => {
  const f = await start({ shutdownTimeoutMs: 3000 });
  const s = counted(200, 500);
  f.probe.stream = s.gen;
  const c = await TcpClient.connect(f.ep);
  try {
    await c.write(frame(axfrQuery(5)));
    await c.read(1);
    await f.tcp.close();
    const rest = await c.read(199);
    assert.equal(rest.at(-1)!.readUInt32BE(4), 199);
    await c.ended;
    assert.equal(f.reg.size, 0);
  } finally {
    c.destroy();
  }
});

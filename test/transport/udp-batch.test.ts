// Owns the tests of the batched UDP path (native/dunlin_udp.c): same bytes as dgram, IPv6, peers, malformed datagrams, fd leaks, a crashing worker.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { existsSync, readdirSync } from 'node:fs';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createResponder } from '../../src/responder/index.ts';
import type { QueryContext, RespondFn } from '../../src/responder/index.ts';
import { udpAddon } from '../../src/transport/native.ts';
import { sockaddrAddress } from '../../src/transport/context.ts';
import { UdpTransport } from '../../src/transport/udp.ts';
import { fdCount, HAS_IPV6, queryUdp, ROOT, sampleZone, startServer, waitFor } from '../helpers/harness.ts';
import type { Endpoint } from '../helpers/harness.ts';
import { buildQuery } from '../responder/dns-helpers.ts';
import { fixtureZones } from '../responder/fixtures.ts';

const built = existsSync(`${ROOT}/native/build/Release/dunlin_udp.node`);
const { addon, why } = udpAddon();
// Where the addon was built it must load; where it was not (no compiler), these tests are skipped.
const skip = addon === null ? `batched UDP unavailable: ${why}` : false;
const zones = fixtureZones();
const transports: UdpTransport[] = [];
after(async () => {
  for (const t of transports) await t.close();
});

test('the addon loads wherever it was built', () => {
  assert.equal(addon !== null, built, why);
});

async function open(io: 'batched' | 'dgram', host = '127.0.0.1', respond: RespondFn = createResponder({ zones: () => zones })): Promise<{ udp: UdpTransport; ep: Endpoint }> {
  const udp = new UdpTransport({ respond, io, reusePort: false });
  transports.push(udp);
  const a = await udp.bind({ host, port: 0 });
  assert.equal(udp.io, io);
  return { udp, ep: { host: a.host, port: a.port } };
}

function queries(): Uint8Array[] {
  const qs: Uint8Array[] = [];
  let id = 1;
  for (const name of ['example.com', 'WwW.ExAmPlE.cOm', 'nothere.example.com', 'sub.example.com', 'deep.sub.example.com', 'other.test', 'outside.invalid']) {
    for (const type of ['A', 'AAAA', 'NS', 'SOA', 'MX', 'TXT', 'ANY', 'DS', 'AXFR', 'IXFR']) {
      qs.push(buildQuery(name, type, { id: id++ }));
      qs.push(buildQuery(name, type, { id: id++, edns: false, rd: true, cd: true }));
      qs.push(buildQuery(name, type, { id: id++, do: true, udpSize: 512 }));
    }
  }
  qs.push(buildQuery('example.com', 'SOA', { id: id++, opcode: 4 })); // NOTIFY without a handler: NOTIMP
  qs.push(buildQuery('example.com', 'A', { id: id++, qclass: 3 })); // CH: REFUSED
  const formerr = Uint8Array.from(buildQuery('example.com', 'A', { id: id++ }));
  formerr[7] = 1; // an answer count in a query
  qs.push(formerr);
  qs.push(buildQuery('example.com', 'A', { id: id++ }).subarray(0, 20)); // cut inside the name
  return qs;
}

test('batched and dgram send the same bytes for every query', { skip }, async () => {
  const b = await open('batched');
  const d = await open('dgram');
  for (const q of queries()) {
    const [x, y] = await Promise.all([queryUdp(b.ep, Buffer.from(q)), queryUdp(d.ep, Buffer.from(q))]);
    assert.deepEqual(x, y, `query ${Buffer.from(q).toString('hex')}`);
  }
});

test('IPv6 on ::1: answers, and the handler sees the peer address and port', { skip: skip || (!HAS_IPV6 && 'no IPv6 loopback') }, async () => {
  const seen: { address: string; port: number; local: string }[] = [];
  const inner = createResponder({ zones: () => zones });
  const respond: RespondFn = (q: Uint8Array, ctx: QueryContext) => {
    seen.push({ address: ctx.peerAddress, port: ctx.peerPort, local: ctx.localAddress });
    return inner(q, ctx);
  };
  for (const host of ['::1', '127.0.0.1']) {
    const b = await open('batched', host, respond);
    const client = dgram.createSocket(host === '::1' ? 'udp6' : 'udp4');
    await new Promise<void>((r) => client.bind(0, host, r));
    const got = new Promise<Buffer>((r) => client.once('message', r));
    client.send(buildQuery('example.com', 'SOA'), b.ep.port, host);
    const answer = await got;
    assert.equal(answer[3]! & 0xf, 0);
    assert.deepEqual(seen.pop(), { address: host, port: client.address().port, local: host });
    client.close();
  }
});

test('sockaddr text: dotted quad, RFC 5952 IPv6', () => {
  const v6 = (groups: number[]): Uint8Array => {
    const b = new Uint8Array(28);
    b[0] = 10;
    groups.forEach((g, i) => {
      b[8 + 2 * i] = g >> 8;
      b[9 + 2 * i] = g & 0xff;
    });
    return b;
  };
  assert.equal(sockaddrAddress(Uint8Array.from([2, 0, 0, 53, 192, 0, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0]), 0), '192.0.2.1');
  assert.equal(sockaddrAddress(v6([0, 0, 0, 0, 0, 0, 0, 1]), 0), '::1');
  assert.equal(sockaddrAddress(v6([0x2001, 0xdb8, 0, 0, 1, 0, 0, 1]), 0), '2001:db8::1:0:0:1');
  assert.equal(sockaddrAddress(v6([0x2001, 0xdb8, 0, 1, 1, 1, 1, 1]), 0), '2001:db8:0:1:1:1:1:1');
  assert.equal(sockaddrAddress(v6([0, 0, 0, 0, 0, 0, 0, 0]), 0), '::');
  assert.equal(sockaddrAddress(v6([0xfe80, 0, 0, 0, 0, 0, 0, 0]), 0), 'fe80::');
});

test('malformed datagrams (random, empty, cut, 65507 octets) never stop the batched socket', { skip, timeout: 60_000 }, async () => {
  const b = await open('batched');
  const client = dgram.createSocket('udp4');
  await new Promise<void>((r) => client.bind(0, '127.0.0.1', r));
  let seed = 7;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed % n;
  };
  const valid = buildQuery('example.com', 'A');
  const junk: Uint8Array[] = [new Uint8Array(0), new Uint8Array(65507).fill(0xff), new Uint8Array(65507), valid.subarray(0, 11), valid.subarray(0, 12)];
  for (let i = 0; i < 400; i++) {
    const len = rand(3) === 0 ? rand(13) : rand(600);
    const d = new Uint8Array(len);
    for (let j = 0; j < len; j++) d[j] = rand(256);
    // Half keep a query-like header so that the parser gets deep into them.
    if (len >= 12 && i % 2 === 0) d.set([rand(256), rand(256), rand(2) << 3, 0, 0, 1], 0);
    junk.push(d);
  }
  for (let i = 1; i < valid.length; i++) junk.push(valid.subarray(0, i));
  let sent = 0;
  for (const d of junk) {
    await new Promise<void>((r) => client.send(d, b.ep.port, '127.0.0.1', () => r()));
    sent++;
  }
  // The kernel may drop datagrams of a burst, never the server: every one that arrived was counted, and it still answers.
  const answer = await queryUdp(b.ep, Buffer.from(valid));
  assert.equal(answer[3]! & 0xf, 0);
  await waitFor(() => b.udp.queries >= sent * 0.9, 5000);
  assert.ok(b.udp.queries <= sent + 1);
  client.close();
});

test('opening and closing batched sockets leaks no descriptor', { skip }, async () => {
  const fds = (): number => readdirSync('/proc/self/fd').length;
  const before = fds();
  for (let i = 0; i < 40; i++) {
    const udp = new UdpTransport({ respond: createResponder({ zones: () => zones }), io: 'batched' });
    const a = await udp.bind({ host: '127.0.0.1', port: 0 });
    if (i % 2 === 0) await queryUdp({ host: a.host, port: a.port }, Buffer.from(buildQuery('example.com', 'A')));
    await udp.close();
    await udp.close(); // twice: the second is a no-op
  }
  assert.equal(fds(), before);
  // A failed bind (port in use without SO_REUSEPORT) releases its socket too.
  const first = await open('batched');
  const second = new UdpTransport({ respond: createResponder({ zones: () => zones }), io: 'batched' });
  const mid = fds();
  await assert.rejects(second.bind({ host: '127.0.0.1', port: first.ep.port }), /EADDRINUSE/);
  assert.equal(fds(), mid);
  await second.close();
});

test('closed batched sockets give their buffers back (4 MiB of slots each)', { skip, timeout: 60_000 }, async () => {
  v8.setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const settle = async (): Promise<number> => {
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setImmediate(r)); // napi finalizers run after the GC, on the loop
      gc();
    }
    return process.memoryUsage().arrayBuffers;
  };
  // One responder for all: its answer cache is one fixed arena (32 MiB) that must not count as a socket's.
  const respond = createResponder({ zones: () => zones });
  const before = await settle();
  for (let i = 0; i < 40; i++) {
    const udp = new UdpTransport({ respond, io: 'batched' });
    const a = await udp.bind({ host: '127.0.0.1', port: 0 });
    await queryUdp({ host: a.host, port: a.port }, Buffer.from(buildQuery('example.com', 'A')));
    await udp.close();
  }
  const grown = (await settle()) - before;
  // 40 sockets hold 40 x 4.25 MiB while open; after close only noise may remain.
  assert.ok(grown < 8 * 1024 * 1024, `arrayBuffers grew by ${grown} bytes`);
});

test('a crashing serving thread leaves no UDP socket behind: same fd count after the restart', { skip, timeout: 60_000 }, async () => {
  const zone = 'example.test.';
  const srv = await startServer({ workers: 2, zones: { [zone]: sampleZone(zone, 1) }, env: { DUNLIN_TEST_HOOKS: '1', DUNLIN_UDP_IO: 'batched' } });
  try {
    const q = Buffer.from(buildQuery(zone, 'SOA'));
    await queryUdp(srv.udp4, q);
    const before = fdCount(srv.pid);
    for (const round of [1, 2]) {
      const threads = await srv.threads();
      await srv.crashWorker(1);
      await waitFor(async () => {
        const now = await srv.threads().catch(() => []);
        return now.length === 2 && !now.some((t) => t.threadId === threads[0]!.threadId);
      }, 15_000);
      assert.equal((await queryUdp(srv.udp4, q))[3]! & 0xf, 0, `round ${round}`);
    }
    await waitFor(() => fdCount(srv.pid) === before, 5000).catch(() => undefined);
    assert.equal(fdCount(srv.pid), before);
    const listening = srv.logs().filter((l) => l['msg'] === 'worker listening');
    assert.ok(listening.length >= 4 && listening.every((l) => l['udpIo'] === 'batched'), JSON.stringify(listening.map((l) => l['udpIo'])));
  } finally {
    await srv.stop();
  }
});

// Owns RFC 7766 (DNS over TCP) and RFC 1035 §4.2 transport conformance tests against a real `dunlin serve`, named by section.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TcpClient, answersOf, decodeResponse, encodeQuery, frame, queryUdp, sleep, startServer } from '../helpers/harness.ts';
import type { DunlinServer } from '../helpers/harness.ts';

const ZONE = 'conf.test.';
const bigTxt = Array.from({ length: 40 }, (_, i) => `big IN TXT "${String(i).padStart(2, '0')}${'y'.repeat(120)}"`).join('\n');
const zone = `$ORIGIN ${ZONE}
$TTL 300
@   IN SOA ns1 hostmaster 7 7200 3600 1209600 300
@   IN NS  ns1
ns1 IN A   192.0.2.53
@   IN A   192.0.2.1
${bigTxt}
`;

let srv: DunlinServer;
before(async () => {
  srv = await startServer({ zones: { [ZONE]: zone }, config: 'tcp:\n  idle_timeout_ms: 700\n  read_timeout_ms: 400\n' });
});
after(async () => {
  await srv.stop();
});

test('RFC 1035 §4.2.2 / RFC 7766 §8: every TCP message is preceded by a two-byte length', async () => {
  const c = await TcpClient.connect(srv.tcp4);
  try {
    await c.write(frame(encodeQuery(ZONE, 'A', { id: 11 })));
    const [r] = await c.read(1);
    assert.equal(decodeResponse(r!).id, 11);
  } finally {
    c.destroy();
  }
});

test('RFC 7766 §8: a length field and message split across segments are reassembled', async () => {
  const c = await TcpClient.connect(srv.tcp4);
  try {
    const wire = frame(encodeQuery(ZONE, 'A', { id: 12 }));
    for (const piece of [wire.subarray(0, 1), wire.subarray(1, 2), wire.subarray(2, 10), wire.subarray(10)]) {
      await c.write(piece);
      await sleep(20);
    }
    assert.equal(decodeResponse((await c.read(1))[0]!).id, 12);
  } finally {
    c.destroy();
  }
});

test('RFC 7766 §6.2.1.1: pipelined queries on one connection are all answered, matched by ID', async () => {
  const c = await TcpClient.connect(srv.tcp4);
  try {
    const ids = Array.from({ length: 100 }, (_, i) => 2000 + i);
    await c.write(Buffer.concat(ids.map((id, i) => frame(encodeQuery(i % 5 === 0 ? `big.${ZONE}` : ZONE, i % 5 === 0 ? 'TXT' : 'A', { id })))));
    const rs = await c.read(100, 5000);
    assert.deepEqual(rs.map((r) => r.readUInt16BE(0)).sort((a, b) => a - b), ids);
  } finally {
    c.destroy();
  }
});

test('RFC 7766 §6.2.3: the server closes an idle connection (and the client sees an orderly FIN)', async () => {
  const c = await TcpClient.connect(srv.tcp4);
  await c.write(frame(encodeQuery(ZONE, 'A')));
  await c.read(1);
  const t0 = Date.now();
  await c.ended;
  const ms = Date.now() - t0;
  assert.ok(ms >= 500 && ms < 3000, `closed after ${ms} ms`);
  c.destroy();
});

test('RFC 7766 §6.2.3 / §10: a connection that stalls inside a message is closed (no slowloris)', async () => {
  const c = await TcpClient.connect(srv.tcp4);
  await c.write(frame(encodeQuery(ZONE, 'A')).subarray(0, 8));
  const t0 = Date.now();
  await c.closed;
  assert.ok(Date.now() - t0 < 2000);
});

test('RFC 7766 §5: a UDP answer too large is truncated (TC) and the full answer comes over TCP', async () => {
  const u = decodeResponse(await queryUdp(srv.udp4, encodeQuery(`big.${ZONE}`, 'TXT', { edns: 512 })));
  assert.ok(((u.flags ?? 0) & 0x200) !== 0, 'TC set over UDP');
  const c = await TcpClient.connect(srv.tcp4);
  try {
    await c.write(frame(encodeQuery(`big.${ZONE}`, 'TXT')));
    const t = decodeResponse((await c.read(1))[0]!);
    assert.equal(((t.flags ?? 0) & 0x200), 0, 'no TC over TCP');
    assert.equal(answersOf(t).length, 40);
  } finally {
    c.destroy();
  }
});

test('RFC 7766 §6.2.1: a half-closed client still receives the answers to the queries it sent', async () => {
  const c = await TcpClient.connect(srv.tcp4);
  await c.write(Buffer.concat([1, 2].map((id) => frame(encodeQuery(ZONE, 'NS', { id })))));
  c.end();
  const rs = await c.read(2);
  assert.deepEqual(rs.map((r) => decodeResponse(r).id), [1, 2]);
  await c.closed;
});

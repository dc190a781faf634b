// Owns end-to-end queries against a real `dunlin serve` (2 workers): dig, kdig and the Node client, UDP and TCP, IPv4 and IPv6.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { controlRequest } from '../../src/control/client.ts';
import { HAS_IPV6, ROOT, answersOf, decodeResponse, encodeQuery, queryTcp, queryUdp, rcodeOf, startServer } from '../helpers/harness.ts';
import type { DunlinServer, Endpoint } from '../helpers/harness.ts';

const run = promisify(execFile);
const zoneText = readFileSync(join(ROOT, 'examples/example.com.zone'), 'utf8');

let srv: DunlinServer;
before(async () => {
  srv = await startServer({
    workers: 2,
    listen: HAS_IPV6 ? ['127.0.0.1:0', '[::1]:0'] : ['127.0.0.1:0'],
    zones: { 'example.com.': zoneText },
  });
});
after(async () => {
  await srv.stop();
});

async function tool(bin: 'dig' | 'kdig', ep: Endpoint, tcp: boolean, name: string, type: string): Promise<string> {
  const limits = bin === 'dig' ? ['+time=2', '+tries=1'] : ['+timeout=2', '+retry=0'];
  const args = [`@${ep.host}`, '-p', String(ep.port), name, type, '+norec', ...limits, tcp ? '+tcp' : '+notcp'];
  const { stdout } = await run(bin, args, { timeout: 10_000 });
  return stdout;
}

test('ready line: both workers, same port on every address', async () => {
  assert.equal(srv.workers, 2);
  assert.deepEqual((await srv.threads()).map((t) => t.worker), [1, 2]);
  const ports = new Set([...srv.udp, ...srv.tcp].map((e) => e.port));
  assert.equal(ports.size, 1);
  assert.equal(srv.udp.length, HAS_IPV6 ? 2 : 1);
});

for (const bin of ['dig', 'kdig'] as const) {
  for (const tcp of [false, true]) {
    test(`${bin} over ${tcp ? 'TCP' : 'UDP'}, IPv4: A, MX, NXDOMAIN, referral`, async () => {
      const ep = tcp ? srv.tcp4 : srv.udp4;
      const a = await tool(bin, ep, tcp, 'www.example.com', 'A');
      assert.match(a, /status: NOERROR/);
      assert.match(a, /www\.example\.com\.\s+\d+\s+IN\s+CNAME\s+example\.com\./);
      assert.match(a, /example\.com\.\s+\d+\s+IN\s+A\s+192\.0\.2\.1/);
      assert.match(a, /flags: qr aa/i);
      const mx = await tool(bin, ep, tcp, 'example.com', 'MX');
      assert.match(mx, /IN\s+MX\s+10 mail\.example\.com\./);
      const nx = await tool(bin, ep, tcp, 'nope.example.com', 'A');
      assert.match(nx, /status: NXDOMAIN/);
      assert.match(nx, /IN\s+SOA\s+ns1\.example\.com\./);
      const ref = await tool(bin, ep, tcp, 'host.sub.example.com', 'A');
      assert.match(ref, /sub\.example\.com\.\s+\d+\s+IN\s+NS\s+ns1\.sub\.example\.com\./);
      assert.match(ref, /ns1\.sub\.example\.com\.\s+\d+\s+IN\s+A\s+192\.0\.2\.153/);
    });
  }
}

test('IPv6: dig and kdig over UDP and TCP on [::1]', { skip: !HAS_IPV6 && 'no IPv6 loopback on this host' }, async () => {
  const ep6 = srv.udp.find((e) => e.host.includes(':'))!;
  for (const bin of ['dig', 'kdig'] as const) {
    for (const tcp of [false, true]) {
      const out = await tool(bin, ep6, tcp, 'example.com', 'AAAA');
      assert.match(out, /IN\s+AAAA\s+2001:db8::1/, `${bin} tcp=${tcp}`);
    }
  }
  const p = decodeResponse(await queryUdp(ep6, encodeQuery('_sip._tcp.example.com', 'SRV')));
  assert.equal(answersOf(p)[0]?.type, 'SRV');
  const [t] = await queryTcp(srv.tcp.find((e) => e.host.includes(':'))!, [encodeQuery('_sip._tcp.example.com', 'SRV')]);
  assert.equal(answersOf(decodeResponse(t!))[0]?.type, 'SRV');
});

test('Node client: wildcard, TXT and 50 pipelined TCP queries with matching IDs', async () => {
  const w = decodeResponse(await queryUdp(srv.udp4, encodeQuery('anything.apps.example.com', 'A')));
  assert.equal(rcodeOf(w), 'NOERROR');
  assert.deepEqual(answersOf(w).map((r) => [r.name, r.data]), [['anything.apps.example.com', '192.0.2.100']]);
  const qs = Array.from({ length: 50 }, (_, i) => encodeQuery(i % 2 ? 'example.com' : 'www.example.com', i % 3 ? 'A' : 'TXT', { id: 1000 + i }));
  const rs = await queryTcp(srv.tcp4, qs);
  assert.deepEqual(rs.map((r) => r.readUInt16BE(0)), qs.map((q) => q.readUInt16BE(0)));
});

test('queries reach both workers (SO_REUSEPORT spreads UDP by source port); control reports each', async () => {
  await Promise.all(Array.from({ length: 64 }, () => queryUdp(srv.udp4, encodeQuery('example.com', 'A'))));
  const result = await controlRequest(srv.controlSocket, 'sockstat', { timeoutMs: 5000 });
  const counts = [...JSON.stringify(result).matchAll(/"udpQueries":(\d+)/g)].map((m) => Number(m[1]));
  assert.equal(counts.length, 2, JSON.stringify(result).slice(0, 500));
  assert.ok(counts.every((c) => c > 0), `per-worker udp queries ${counts.join(',')}`);
});

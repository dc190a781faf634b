// Scrapes a real `dunlin serve --metrics` (2 worker threads) after real UDP and TCP queries; lints every series it exports.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, sampleZone, encodeQuery, queryUdp, queryTcp } from '../helpers/harness.ts';
import type { DunlinServer } from '../helpers/harness.ts';
import { controlRequest } from '../../src/control/client.ts';
import type { StatusResult } from '../../src/control/protocol.ts';
import { parseExposition, lint, value } from './exposition.ts';

let server: DunlinServer | undefined;
after(async () => { await server?.stop(); });

test('real server: queries counted by transport/rcode/qtype, connections, per-process fds and socket states', { timeout: 60_000 }, async () => {
  server = await startServer({ workers: 2, zones: { 'example.test.': sampleZone('example.test.', 7) }, args: ['--metrics', '127.0.0.1:0'] });
  const line = await server.waitForLog((l) => l['msg'] === 'metrics: listening' && typeof l['port'] === 'number');
  const url = `http://127.0.0.1:${String(line['port'])}/metrics`;

  for (let i = 0; i < 5; i++) await queryUdp(server.udp4, encodeQuery('www.example.test.', 'A'));
  await queryUdp(server.udp4, encodeQuery('nope.example.test.', 'AAAA'));
  await queryTcp(server.tcp4, [encodeQuery('example.test.', 'MX'), encodeQuery('example.test.', 'MX'), encodeQuery('example.test.', 'MX')]);

  const res = await fetch(url);
  assert.equal(res.status, 200);
  const fams = parseExposition(await res.text());
  assert.deepEqual(lint(fams), []);
  assert.equal(value(fams, 'dunlin_metrics_workers_reporting'), 2);
  assert.equal(value(fams, 'dunlin_dns_queries_total', { transport: 'udp', rcode: 'NOERROR', qtype: 'A' }), 5);
  assert.equal(value(fams, 'dunlin_dns_queries_total', { transport: 'udp', rcode: 'NXDOMAIN', qtype: 'AAAA' }), 1);
  assert.equal(value(fams, 'dunlin_dns_queries_total', { transport: 'tcp', rcode: 'NOERROR', qtype: 'MX' }), 3);
  assert.equal(value(fams, 'dunlin_dns_response_size_bytes_count', { transport: 'udp' }), 6);
  assert.ok((value(fams, 'dunlin_tcp_connections_accepted_total') ?? 0) >= 1);
  assert.ok(fams.has('dunlin_tcp_connections_closed_total'));
  // Zones loaded before the metrics registry existed are still reported (serial 7 from sampleZone).
  assert.equal(value(fams, 'dunlin_zone_serial', { zone: 'example.test.' }), 7);
  assert.ok((value(fams, 'dunlin_zone_records', { zone: 'example.test.' }) ?? 0) >= 10);

  const st = await controlRequest(server.controlSocket, 'status') as StatusResult;
  // One process: both serving threads live in it and share its descriptors.
  assert.equal(st.primary, server.pid);
  assert.deepEqual(st.workers, []);
  assert.deepEqual(st.threads.map((t) => t.worker), [1, 2]);
  const pid = String(st.primary);
  const fds = value(fams, 'dunlin_process_open_fds', { pid, role: 'primary' });
  assert.ok(fds !== undefined && fds > 5, `fds of ${pid}`);
  assert.ok((value(fams, 'dunlin_process_max_fds', { pid }) ?? 0) >= fds);
  assert.equal(value(fams, 'dunlin_process_tcp_sockets', { pid, state: 'CLOSE_WAIT' }), 0);
  // Each serving thread holds its own DNS listener (SO_REUSEPORT), plus the metrics endpoint's: three in the one process.
  assert.equal(value(fams, 'dunlin_process_tcp_sockets', { pid, state: 'LISTEN' }), 3);
});

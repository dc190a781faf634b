// Tests the metrics: naming lint over every exported series, channel-fed worker counters, and a real scrape of worker threads.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { channel } from 'node:diagnostics_channel';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { parseExposition, lint, value } from './exposition.ts';
import { METRICS, createWorkerRegistry, parseLoopbackListen, startMetricsServer, setRegistrySource, QUERY_CHANNEL } from '../../src/metrics/index.ts';

const children: ChildProcess[] = [];
after(() => { for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL'); });

test('every metric name in the table follows the naming rules', () => {
  const names = Object.values(METRICS).map((m) => m.name);
  assert.equal(new Set(names).size, names.length, 'names are unique');
  for (const n of names) assert.match(n, /^dunlin_[a-z]+_[a-z0-9_]+$/);
});

test('worker registry: counters from dunlin:query, bounded labels, registry gauges, counters never go back', async () => {
  const { registry, dispose } = createWorkerRegistry();
  try {
    let snap = { open: [] as never[], accepted: 5, closedByReason: { eof: 3, 'idle-timeout': 1, 'read-timeout': 0, limit: 0, error: 0, reset: 0, shutdown: 0 } };
    setRegistrySource(() => snap);
    const q = channel(QUERY_CHANNEL);
    q.publish({ transport: 'udp', rcode: 0, qtype: 1, size: 80 });
    q.publish({ transport: 'udp', rcode: 0, qtype: 1, size: 80 });
    q.publish({ transport: 'tcp', rcode: 99, qtype: 4000, size: 2000 });
    q.publish('junk');
    q.publish(null);
    let fams = parseExposition(await registry.metrics());
    assert.deepEqual(lint(fams), []);
    assert.equal(value(fams, 'dunlin_dns_queries_total', { transport: 'udp', rcode: 'NOERROR', qtype: 'A' }), 2);
    assert.equal(value(fams, 'dunlin_dns_queries_total', { transport: 'tcp', rcode: 'other', qtype: 'other' }), 1);
    assert.equal(value(fams, 'dunlin_dns_response_size_bytes_bucket', { transport: 'tcp', le: '4096' }), 1);
    assert.equal(value(fams, 'dunlin_dns_response_size_bytes_bucket', { transport: 'tcp', le: '1500' }), 0);
    assert.equal(value(fams, 'dunlin_tcp_connections_accepted_total'), 5);
    assert.equal(value(fams, 'dunlin_tcp_connections_closed_total', { reason: 'eof' }), 3);
    assert.equal(value(fams, 'dunlin_tcp_connections_closed_total', { reason: 'reset' }), 0, 'every reason is present, even at 0');
    snap = { ...snap, accepted: 9, closedByReason: { ...snap.closedByReason, eof: 7 } };
    fams = parseExposition(await registry.metrics());
    assert.equal(value(fams, 'dunlin_tcp_connections_accepted_total'), 9);
    assert.equal(value(fams, 'dunlin_tcp_connections_closed_total', { reason: 'eof' }), 7);
  } finally {
    setRegistrySource(undefined);
    dispose();
  }
});

test('listen address must be loopback', () => {
  assert.deepEqual(parseLoopbackListen('127.0.0.1:9153'), { host: '127.0.0.1', port: 9153 });
  assert.deepEqual(parseLoopbackListen('[::1]:0'), { host: '::1', port: 0 });
  assert.deepEqual(parseLoopbackListen('localhost:1'), { host: '127.0.0.1', port: 1 });
  assert.throws(() => parseLoopbackListen('0.0.0.0:9153'), /non-loopback/);
  assert.throws(() => parseLoopbackListen('[::]:9153'), /non-loopback/);
  assert.throws(() => parseLoopbackListen('192.168.1.1:9153'), /non-loopback/);
  assert.throws(() => parseLoopbackListen('example.com:9153'), /non-loopback/);
  assert.throws(() => parseLoopbackListen('127.0.0.1'), /HOST:PORT/);
  assert.throws(() => parseLoopbackListen('127.0.0.1:99999'), /out of range/);
});

test('metrics server without workers: 404, 405, token, and close() ends keep-alive sockets', { timeout: 10_000 }, async () => {
  const srv = await startMetricsServer({ listen: '127.0.0.1:0', token: 's3cret', log: { info() {}, warn() {}, error() {} }, collect: () => Promise.resolve([]) });
  try {
    const base = `http://127.0.0.1:${srv.port}`;
    assert.equal((await fetch(`${base}/metrics`)).status, 401);
    assert.equal((await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status, 401);
    assert.equal((await fetch(`${base}/other`, { headers: { authorization: 'Bearer s3cret' } })).status, 404);
    assert.equal((await fetch(`${base}/metrics`, { method: 'POST', headers: { authorization: 'Bearer s3cret' } })).status, 405);
    const res = await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer s3cret' } });
    assert.equal(res.status, 200);
    const fams = parseExposition(await res.text());
    assert.deepEqual(lint(fams), []);
    assert.ok((value(fams, 'dunlin_process_open_fds', { role: 'primary', pid: String(process.pid) }) ?? 0) > 0);
    assert.equal(value(fams, 'dunlin_metrics_workers_reporting'), 0);
    const head = await fetch(`${base}/metrics`, { method: 'HEAD', headers: { authorization: 'Bearer s3cret' } });
    assert.equal(head.status, 200);
    assert.equal(await head.text(), '');
    // Concurrent scrapes share one collection and all succeed.
    const many = await Promise.all(Array.from({ length: 8 }, () => fetch(`${base}/metrics`, { headers: { authorization: 'Bearer s3cret' } })));
    assert.deepEqual(many.map((r) => r.status), Array(8).fill(200));
    for (const r of many) assert.match(await r.text(), /dunlin_process_open_fds/);
  } finally {
    await srv.close();
  }
});

test('real threads: GET /metrics aggregates both worker threads, the main thread\'s zone gauges and the process\'s fds and sockets', { timeout: 30_000 }, async () => {
  const child = spawn(process.execPath, [new URL('./threads-fixture.ts', import.meta.url).pathname], {
    stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, METRICS_TOKEN: 'tok' },
  });
  children.push(child);
  const rl = createInterface({ input: child.stdout });
  const [line] = await once(rl, 'line') as [string];
  const m = /port=(\d+) threads=(\d+),(\d+)/.exec(line);
  assert.ok(m, line);
  const res = await fetch(`http://127.0.0.1:${m[1]}/metrics`, { headers: { authorization: 'Bearer tok' } });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /text\/plain/);
  const text = await res.text();
  const fams = parseExposition(text);
  assert.deepEqual(lint(fams), []);
  for (const { name } of Object.values(METRICS)) assert.ok(fams.has(name), `${name} is exported`);
  assert.equal(value(fams, 'dunlin_metrics_workers_reporting'), 2);
  assert.equal(value(fams, 'dunlin_xfr_in_total', { zone: 'example.', kind: 'ixfr', result: 'ok' }), 1);
  assert.equal(value(fams, 'dunlin_xfr_in_total', { zone: 'example.', kind: 'axfr', result: 'failed' }), 1);
  assert.equal(value(fams, 'dunlin_xfr_in_bytes_total', { zone: 'example.', kind: 'ixfr' }), 900);
  assert.equal(value(fams, 'dunlin_notify_received_total', { zone: 'example.' }), 1);
  assert.equal(value(fams, 'dunlin_dns_queries_total', { transport: 'udp', rcode: 'NOERROR', qtype: 'A' }), 3);
  assert.equal(value(fams, 'dunlin_dns_queries_total', { transport: 'tcp', rcode: 'NXDOMAIN', qtype: 'AAAA' }), 2);
  assert.equal(value(fams, 'dunlin_dns_queries_total', { transport: 'udp', rcode: 'NOERROR', qtype: 'other' }), 1);
  assert.equal(value(fams, 'dunlin_dns_response_size_bytes_count', { transport: 'tcp' }), 2);
  assert.equal(value(fams, 'dunlin_tcp_connections_open'), 3, 'summed over workers');
  assert.equal(value(fams, 'dunlin_tcp_connection_oldest_age_seconds'), 2, 'max over workers');
  assert.equal(value(fams, 'dunlin_tcp_connections_accepted_total'), 30);
  assert.equal(value(fams, 'dunlin_tcp_connections_closed_total', { reason: 'eof' }), 15);
  assert.equal(value(fams, 'dunlin_zone_serial', { zone: 'example.' }), 2026112701, 'not summed');
  assert.equal(value(fams, 'dunlin_zone_load_seconds', { zone: 'example.' }), 0.012);
  assert.equal(value(fams, 'dunlin_zone_loaded', { zone: 'example.' }), 1);
  assert.equal(value(fams, 'dunlin_zone_loaded', { zone: 'broken.' }), 0);
  assert.equal(value(fams, 'dunlin_zone_reload_failures_total', { zone: 'broken.' }), 3, 'not summed over workers');
  assert.equal(value(fams, 'dunlin_zone_reload_failures_total', { zone: 'example.' }), 0);
  // One process: the threads share its pid and its descriptor table.
  for (const pid of [String(child.pid)]) {
    assert.ok((value(fams, 'dunlin_process_open_fds', { pid }) ?? 0) > 0, `fds of ${pid}`);
    assert.ok((value(fams, 'dunlin_process_max_fds', { pid }) ?? 0) > 0);
    assert.ok((value(fams, 'dunlin_process_resident_memory_bytes', { pid }) ?? 0) > 1e6);
    assert.equal(value(fams, 'dunlin_process_tcp_sockets', { pid, state: 'CLOSE_WAIT' }), 0);
  }
  // Graceful stop: the main thread closes the endpoint and its threads; the process exits by itself.
  child.kill('SIGTERM');
  const [code] = await once(child, 'exit') as [number | null];
  assert.equal(code, 0);
});

test('docs/metrics.md documents every metric', async () => {
  const { readFile } = await import('node:fs/promises');
  const doc = await readFile(new URL('../../docs/metrics.md', import.meta.url), 'utf8');
  const missing = Object.values(METRICS).map((m) => m.name).filter((n) => !doc.includes('`' + n + '`'));
  assert.deepEqual(missing, []);
});

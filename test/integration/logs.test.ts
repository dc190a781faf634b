// Tests the log lines of a real server: ISO timestamps, each key once per line (pid, role, worker), and log.format pretty.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sampleZone, startServer } from '../helpers/harness.ts';

test('JSON logs: ISO time, pid/role/worker once per line, worker lines name their worker', { timeout: 60_000 }, async () => {
  const srv = await startServer({ workers: 2, zones: { 'example.test.': sampleZone() } });
  await srv.waitForLog((l) => l['msg'] === 'worker listening' && l['worker'] === 2);
  await srv.stop();
  const lines = srv.stderr().split('\n').filter((l) => l.startsWith('{'));
  assert.ok(lines.length > 5);
  for (const line of lines) {
    for (const key of ['pid', 'role', 'time', 'worker']) assert.ok((line.match(new RegExp(`"${key}":`, 'g')) ?? []).length <= 1, `${key} once: ${line}`);
    const o = JSON.parse(line) as Record<string, unknown>;
    assert.match(String(o['time']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal(o['pid'], srv.pid);
    assert.ok(o['role'] === 'primary' || o['role'] === 'worker', line);
  }
  const workerLines = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((o) => o['msg'] === 'worker listening');
  assert.deepEqual(workerLines.map((o) => [o['role'], o['worker']]).sort(), [['worker', 1], ['worker', 2]]);
});

test('log.format pretty: one human-readable line per event on stderr, the ready line unchanged on stdout', { timeout: 60_000 }, async () => {
  const srv = await startServer({ zones: { 'example.test.': sampleZone() }, config: 'log: { format: pretty }\n' });
  const st = await srv.stop();
  assert.equal(st.code, 0);
  const err = srv.stderr();
  assert.doesNotMatch(err, /^\{/m, 'no JSON lines');
  assert.match(err, /^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} [+-]\d{4}\] INFO \(dunlin\/\d+\): dunlin starting \{.*"role":"primary"/m);
  assert.match(err, /INFO \(dunlin\/\d+\): dunlin stopped/);
  assert.equal(srv.ready.zones, 1);
});

// Tests `dunlin sockstat` as an operator runs it: text and JSON output, --watch with SIGINT, unreachable server, usage errors.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startControlServer } from '../../src/control/server.ts';
import type { SockstatResult } from '../../src/control/protocol.ts';
import type { WorkerReport } from '../../src/control/types.ts';

const main = new URL('../../src/cli/main.ts', import.meta.url).pathname;
let dir: string;
let path: string;
let close: () => Promise<void>;

const report: WorkerReport = {
  pid: process.pid, threadId: 7, worker: 1, udpQueries: 10, tcpQueries: 7, udpIo: 'batched',
  registry: {
    accepted: 12,
    closedByReason: { eof: 6, 'idle-timeout': 2, 'read-timeout': 1, limit: 0, error: 0, reset: 1, shutdown: 0 },
    open: [
      { id: 11, transport: 'tcp', state: 'reading-length', peer: '127.0.0.1:40001', local: '127.0.0.1:5353', ageMs: 500, idleMs: 400, bytesIn: 0, bytesOut: 0, queries: 0 },
      { id: 3, transport: 'tcp', state: 'writing', peer: '[::1]:40002', local: '[::1]:5353', ageMs: 9000, idleMs: 1, bytesIn: 40, bytesOut: 9000, queries: 2 },
    ],
  },
};

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dunlin-sockstat-'));
  path = join(dir, 'control.sock');
  const srv = await startControlServer({
    path, log: { info() {}, warn() {}, error() {} }, sampleIntervalMs: 0,
    handlers: { workers: () => Promise.resolve([report]), reload: () => Promise.resolve({ summary: [], results: [] }), pids: () => ({ primary: process.pid, workers: [process.pid] }) },
  });
  close = () => srv.close();
});
after(async () => {
  await close();
  await rm(dir, { recursive: true, force: true });
});

function run(args: string[], opts: { sigintAfterLines?: number } = {}): Promise<{ code: number | null; out: string; err: string; ms: number }> {
  const t0 = Date.now();
  const child = spawn(process.execPath, [main, 'sockstat', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    if (opts.sigintAfterLines !== undefined && out.split('\n').length > opts.sigintAfterLines) child.kill('SIGINT');
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => { err += d; });
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  return once(child, 'exit').then(([code]) => {
    clearTimeout(timer);
    return { code: code as number | null, out, err, ms: Date.now() - t0 };
  });
}

test('text output: processes with fds vs limit, connections oldest first, close reasons, no leaks', { timeout: 20_000 }, async () => {
  const r = await run(['--socket', path]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^PROCESS\s+PID\s+FDS\s+LIMIT\s+USE/m);
  assert.match(r.out, new RegExp(`^server\\s+${process.pid}\\s+\\d+\\s+\\d+\\s+\\d+\\.\\d%`, 'm'));
  assert.match(r.out, /worker 1 \(thread 7\): 2 open \[reading-length=1 writing=1\]\s+accepted 12\s+queries udp 10 tcp 7/);
  assert.match(r.out, /closed by reason: eof=6 idle-timeout=2 read-timeout=1 limit=0 error=0 reset=1 shutdown=0/);
  const oldest = r.out.indexOf('[::1]:40002');
  const newest = r.out.indexOf('127.0.0.1:40001');
  assert.ok(oldest > 0 && newest > oldest, 'oldest connection listed first');
  assert.match(r.out, /leaks: none/);
});

test('--json is the raw sample; --limit bounds the connection list', { timeout: 20_000 }, async () => {
  const r = await run(['--socket', path, '--json', '--limit', '1']);
  assert.equal(r.code, 0, r.err);
  const s = JSON.parse(r.out) as SockstatResult;
  assert.equal(s.workers[0]!.openTotal, 2);
  assert.deepEqual(s.workers[0]!.connections.map((c) => c.id), [3]);
  assert.equal(s.processes[0]!.pid, process.pid);
});

test('--watch refreshes and exits 0 on SIGINT', { timeout: 20_000 }, async () => {
  const r = await run(['--socket', path, '--watch', '--json', '--interval', '100'], { sigintAfterLines: 3 });
  assert.equal(r.code, 0, r.err);
  const lines = r.out.trim().split('\n');
  assert.ok(lines.length >= 3);
  for (const l of lines) assert.ok((JSON.parse(l) as SockstatResult).processes.length === 2);
});

test('unreachable server: exit 1 with a clear message; usage errors exit 2', { timeout: 20_000 }, async () => {
  const r = await run(['--socket', join(dir, 'nope.sock')]);
  assert.equal(r.code, 1);
  assert.match(r.err, /no dunlin server/);
  assert.equal(r.out, '');
  const w = await run(['--socket', join(dir, 'nope.sock'), '--watch']);
  assert.equal(w.code, 1, '--watch also fails fast when the first sample cannot be taken');
  assert.equal((await run(['--bogus'])).code, 2);
  assert.equal((await run(['--interval', '5'])).code, 2);
  const h = await run(['--help']);
  assert.equal(h.code, 0);
  assert.match(h.out, /usage: dunlin sockstat/);
});

// Tests the control channel end to end over a real unix socket: permissions, key, limits, stale sockets, leak flagging.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, createServer, type Socket } from 'node:net';
import { once } from 'node:events';
import { mkdtemp, rm, stat, writeFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startControlServer, ControlSetupError } from '../../src/control/server.ts';
import { controlRequest, ControlClientError } from '../../src/control/client.ts';
import type { ControlHandlers, WorkerReport } from '../../src/control/types.ts';
import type { ReloadResult, SockstatResult, StatusResult } from '../../src/control/protocol.ts';
import { defaultControlSocketPath } from '../../src/control/paths.ts';

const quiet = { info() {}, warn() {}, error() {} };
let dir: string;
const children: ChildProcess[] = [];

before(async () => { dir = await mkdtemp(join(tmpdir(), 'dunlin-ctl-')); });
after(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

const emptyRegistry = { open: [], accepted: 0, closedByReason: { eof: 0, 'idle-timeout': 0, 'read-timeout': 0, limit: 0, error: 0, reset: 0, shutdown: 0 } };

function handlersFor(workerPids: number[], reports?: () => WorkerReport[]): ControlHandlers & { reloads: number } {
  const h = {
    reloads: 0,
    workers: () => Promise.resolve(reports?.() ?? workerPids.map((pid, i) => ({ pid, threadId: i + 1, worker: i + 1, registry: emptyRegistry, udpQueries: 0, tcpQueries: 0, udpIo: 'dgram' as const }))),
    reload: () => { h.reloads++; return Promise.resolve({ summary: ['example.: reloaded serial 1 -> 2'], results: [{ zone: 'example.', status: 'loaded' as const, serial: 2, previousSerial: 1, records: 4, ms: 1 }] }); },
    pids: () => ({ primary: process.pid, workers: workerPids }),
  };
  return h;
}

/** Raw exchange: sends `data`, collects everything until the server closes or `ms` pass. */
async function raw(path: string, data: string | Buffer, opts: { end?: boolean; ms?: number } = {}): Promise<{ text: string; closedByServer: boolean }> {
  const s = connect(path);
  await once(s, 'connect');
  let text = '';
  s.setEncoding('utf8');
  s.on('data', (d: string) => { text += d; });
  s.on('error', () => {});
  s.write(data);
  if (opts.end) s.end();
  const closed = once(s, 'close').then(() => true);
  const timeout = new Promise<boolean>((r) => setTimeout(() => r(false), opts.ms ?? 1000));
  const closedByServer = await Promise.race([closed, timeout]);
  s.destroy();
  return { text, closedByServer };
}

async function ownFds(): Promise<number> {
  return (await readdir('/proc/self/fd')).length;
}

test('default socket path honours XDG_RUNTIME_DIR', () => {
  assert.equal(defaultControlSocketPath({ XDG_RUNTIME_DIR: '/run/user/1000' }), '/run/user/1000/dunlin/control.sock');
  assert.equal(defaultControlSocketPath({}), `/tmp/dunlin-${process.getuid!()}/control.sock`);
});

test('permissions, key, commands, several requests per connection, clean close', { timeout: 20_000 }, async () => {
  const fdsBefore = await ownFds();
  const path = join(dir, 'a', 'nested', 'control.sock');
  const h = handlersFor([process.pid]);
  const srv = await startControlServer({ path, handlers: h, log: quiet, sampleIntervalMs: 50 });
  try {
    assert.equal((await stat(join(dir, 'a', 'nested'))).mode & 0o777, 0o700);
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.ok((await stat(path)).isSocket());
    assert.equal((await stat(path + '.key')).mode & 0o777, 0o600);

    const status = await controlRequest(path, 'status') as StatusResult;
    assert.equal(status.primary, process.pid);
    assert.deepEqual(status.workers, [process.pid]);
    assert.ok(status.uptimeMs >= 0);

    const reload = await controlRequest(path, 'reload') as ReloadResult;
    assert.deepEqual(reload.summary, ['example.: reloaded serial 1 -> 2']);
    assert.equal(reload.results[0]!.status, 'loaded');
    assert.equal(h.reloads, 1);

    const ss = await controlRequest(path, 'sockstat') as SockstatResult;
    assert.equal(ss.processes.length, 2);
    const p = ss.processes[0]!;
    assert.equal(p.role, 'primary');
    assert.ok(p.fds > 0 && p.fdLimitSoft !== null && p.fdPercent !== null && p.rssBytes !== null);
    assert.deepEqual(ss.workers.map((w) => w.worker), [1]);
    assert.deepEqual(ss.leaks, []);

    // Several requests on one connection, including a bad one in the middle that does not end it.
    const { readFile } = await import('node:fs/promises');
    const key = (await readFile(path + '.key', 'utf8')).trim();
    // crash-worker exists only on a server started with DUNLIN_TEST_HOOKS=1 (no crashWorker handler here).
    const r = await raw(path, `{"key":"${key}","command":"status"}\nnot json\n{"key":"${key}","command":"nope"}\n{"key":"${key}","command":"crash-worker","args":{"worker":1}}\n{"key":"${key}","command":"status"}\n`, { end: true });
    const lines = r.text.trim().split('\n').map((l) => JSON.parse(l) as { ok: boolean; error?: { code: string; message: string } });
    assert.deepEqual(lines.map((l) => l.ok ? 'ok' : l.error!.code), ['ok', 'bad-request', 'unknown-command', 'unknown-command', 'ok']);
    assert.doesNotMatch(lines[3]!.error!.message, /crash/, 'the test hook is not advertised');
    assert.equal(r.closedByServer, true, 'half-closed client gets its answers and then the server closes');
  } finally {
    await srv.close();
  }
  await assert.rejects(stat(path), { code: 'ENOENT' });
  await assert.rejects(stat(path + '.key'), { code: 'ENOENT' });
  await assert.rejects(controlRequest(path, 'status'), (e: unknown) => e instanceof ControlClientError && e.code === 'unreachable');
  const fdsAfter = await ownFds();
  if (fdsAfter !== fdsBefore) console.error(await fdList());
  assert.equal(fdsAfter, fdsBefore, "no fd left behind by server or client");
});

test('wrong key is refused and the connection closed; oversized and idle connections are cut', { timeout: 20_000 }, async () => {
  const path = join(dir, 'b', 'control.sock');
  const h = handlersFor([]);
  const srv = await startControlServer({ path, handlers: h, log: quiet, idleTimeoutMs: 300, sampleIntervalMs: 0 });
  try {
    const bad = await raw(path, '{"key":"0000","command":"status"}\n');
    assert.match(bad.text, /"unauthorized"/);
    assert.equal(bad.closedByServer, true);
    // Nothing after a refused request on the same connection is executed, even a correctly keyed one.
    const { readFile } = await import('node:fs/promises');
    const key = (await readFile(path + '.key', 'utf8')).trim();
    const mixed = await raw(path, `{"key":"nope","command":"reload"}\n{"key":"${key}","command":"reload"}\n`);
    assert.equal(mixed.text.trim().split('\n').length, 1);
    assert.equal(h.reloads, 0, 'the keyed reload queued behind a refused request did not run');
    const nokey = await raw(path, '{"command":"status"}\n');
    assert.match(nokey.text, /"unauthorized"/);

    const wrongKeyFile = join(dir, 'wrong.key');
    await writeFile(wrongKeyFile, 'abc\n');
    await assert.rejects(controlRequest(path, 'status', { keyPath: wrongKeyFile }), (e: unknown) => e instanceof ControlClientError && e.code === 'unauthorized');

    const big = await raw(path, Buffer.alloc(70 * 1024, 0x61));
    assert.match(big.text, /"too-large"/);
    assert.equal(big.closedByServer, true);

    const t0 = Date.now();
    const idle = await raw(path, '', { ms: 3000 });
    assert.equal(idle.closedByServer, true);
    assert.ok(Date.now() - t0 < 2000, 'idle control connection destroyed at its timeout');
  } finally {
    await srv.close();
  }
});

test('connections beyond maxConnections get "busy"', { timeout: 10_000 }, async () => {
  const path = join(dir, 'c', 'control.sock');
  const srv = await startControlServer({ path, handlers: handlersFor([]), log: quiet, maxConnections: 2, sampleIntervalMs: 0 });
  const held: Socket[] = [];
  try {
    for (let i = 0; i < 2; i++) { const s = connect(path); held.push(s); await once(s, 'connect'); }
    const r = await raw(path, '');
    assert.match(r.text, /"busy"/);
    assert.equal(r.closedByServer, true);
  } finally {
    for (const s of held) s.destroy();
    await srv.close();
  }
});

test('a stale socket file is replaced; a live one or a non-socket makes startup fail', { timeout: 15_000 }, async () => {
  const path = join(dir, 'd', 'control.sock');
  const first = await startControlServer({ path, handlers: handlersFor([]), log: quiet, sampleIntervalMs: 0 });
  try {
    await assert.rejects(startControlServer({ path, handlers: handlersFor([]), log: quiet }),
      (e: unknown) => e instanceof ControlSetupError && /another server is already answering/.test(e.message));
    assert.ok((await controlRequest(path, 'status') as StatusResult).primary > 0, 'the live server is untouched');
  } finally {
    await first.close();
  }

  // A server killed with SIGKILL leaves its socket file behind.
  const child = spawn(process.execPath, ['-e', `require('node:net').createServer().listen(${JSON.stringify(path)}, () => process.stdout.write('up\\n'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  await once(child.stdout, 'data');
  child.kill('SIGKILL');
  await once(child, 'exit');
  assert.ok((await stat(path)).isSocket(), 'stale socket file exists');
  const warnings: string[] = [];
  const log = { ...quiet, warn: (_o: object, m?: string) => { warnings.push(m ?? ''); } };
  const second = await startControlServer({ path, handlers: handlersFor([]), log, sampleIntervalMs: 0 });
  try {
    assert.ok(warnings.some((w) => /stale/.test(w)));
    assert.equal((await controlRequest(path, 'status') as StatusResult).primary, process.pid);
  } finally {
    await second.close();
  }

  const plain = join(dir, 'd', 'plain-file');
  await writeFile(plain, 'x');
  await assert.rejects(startControlServer({ path: plain, handlers: handlersFor([]), log: quiet }), /not a socket/);
});

test('a group-writable directory is refused', async () => {
  const { mkdir, chmod } = await import('node:fs/promises');
  const d = join(dir, 'open');
  await mkdir(d);
  await chmod(d, 0o777);
  await assert.rejects(startControlServer({ path: join(d, 'c.sock'), handlers: handlersFor([]), log: quiet }), /writable by group or others/);
});

test('CLOSE_WAIT sockets a worker holds past leakAfterMs are flagged as leaks, with the registry state', { timeout: 20_000 }, async () => {
  // A fake "worker": a child process whose connections never close after the peer's FIN (the historic bug).
  const peer = createServer((s) => { accepted.push(s); });
  const accepted: Socket[] = [];
  peer.listen(0, '127.0.0.1');
  await once(peer, 'listening');
  const port = (peer.address() as { port: number }).port;
  const child = spawn(process.execPath, ['-e', `
    const net = require('node:net'); let n = 0;
    for (let i = 0; i < 3; i++) net.connect({ port: ${port}, host: '127.0.0.1', allowHalfOpen: true }, () => { if (++n === 3) process.stdout.write('ready\\n'); });
    setTimeout(() => {}, 60000);
  `], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  await once(child.stdout, 'data');
  const path = join(dir, 'e', 'control.sock');
  const pid = child.pid!;
  const srv = await startControlServer({ path, handlers: handlersFor([pid]), log: quiet, leakAfterMs: 2000, sampleIntervalMs: 100 }); // margins wide enough for a loaded CI machine
  try {
    let ss = await controlRequest(path, 'sockstat') as SockstatResult;
    assert.equal(ss.processes[1]!.tcpStates.ESTABLISHED, 3);
    assert.equal(ss.processes[1]!.kernelConnections, 3);
    assert.equal(ss.processes[1]!.untracked, 3, 'no registry knows any of the child\'s sockets');
    assert.equal(ss.workers[0]!.kernelConnections, 0, 'a connection counts for a worker only when its registry lists the peer');
    assert.deepEqual(ss.leaks, []);
    for (const s of accepted) s.destroy();
    // Young CLOSE_WAIT is not yet a leak (a half-closed client may still be getting its answer).
    await new Promise((r) => setTimeout(r, 150));
    ss = await controlRequest(path, 'sockstat') as SockstatResult;
    assert.equal(ss.processes[1]!.tcpStates.CLOSE_WAIT, 3);
    assert.equal(ss.leaks.length, 0);
    await new Promise((r) => setTimeout(r, 2300));
    ss = await controlRequest(path, 'sockstat') as SockstatResult;
    assert.equal(ss.leaks.length, 3);
    for (const l of ss.leaks) {
      assert.equal(l.pid, pid);
      assert.equal(l.registryState, null, 'the registry does not know these: fds nobody tracks');
      assert.match(l.local, /^127\.0\.0\.1:\d+$/);
      assert.equal(l.peer, `127.0.0.1:${port}`);
      assert.ok(l.ageMs >= 400);
    }
  } finally {
    await srv.close();
    child.kill('SIGKILL');
    await once(child, 'exit');
    peer.close();
  }
});

async function fdList(): Promise<string[]> {
  const { readlink } = await import('node:fs/promises');
  const names = await readdir('/proc/self/fd');
  return Promise.all(names.map(async (n) => `${n} -> ${await readlink('/proc/self/fd/' + n).catch(() => '?')}`));
}

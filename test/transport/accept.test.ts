// Owns tests of accept-side protection: slow-accept after EMFILE/ENFILE, other accept errors, and the fd-use warning.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import pino from 'pino';
import { TcpTransport } from '../../src/transport/tcp.ts';
import { ConnectionRegistry } from '../../src/transport/registry.ts';
import { SLOW_ACCEPT_MS } from '../../src/transport/limits.ts';
import { fdCount, fdLimit, startFdMonitor } from '../../src/transport/fd-monitor.ts';
import { TcpClient, frame, sleep, waitFor } from '../helpers/harness.ts';

function capture(): { log: pino.Logger; lines: () => Record<string, unknown>[] } {
  const out: string[] = [];
  const stream = new Writable({ write(chunk: Buffer, _enc, cb) { out.push(chunk.toString()); cb(); } });
  return { log: pino({ level: 'debug' }, stream), lines: () => out.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

const echo = (q: Uint8Array): Uint8Array | null => (q.length >= 12 ? q : null);

test('EMFILE on accept: stop accepting for a while (same port), keep open connections, then accept again', async () => {
  const { log, lines } = capture();
  const reg = new ConnectionRegistry();
  const t = new TcpTransport({ respond: echo, registry: reg, log });
  const a = await t.listen({ host: '127.0.0.1', port: 0 });
  const ep = { host: a.host, port: a.port };
  const open = await TcpClient.connect(ep);
  try {
    const err = Object.assign(new Error('accept EMFILE'), { code: 'EMFILE', syscall: 'accept' });
    t.servers[0]!.emit('error', err);
    t.servers[0]!.emit('error', err); // a second error while paused is absorbed
    assert.equal(lines().filter((l) => l['msg'] === 'out of file descriptors: pausing tcp accept').length, 1);
    await assert.rejects(TcpClient.connect(ep, 300), 'not accepting while paused');
    // The open connection still answers.
    await open.write(frame(Buffer.alloc(12, 1)));
    assert.equal((await open.read(1))[0]!.length, 12);
    await sleep(SLOW_ACCEPT_MS);
    await waitFor(() => lines().some((l) => l['msg'] === 'tcp accept resumed'), 3000);
    const again = await TcpClient.connect(ep);
    await again.write(frame(Buffer.alloc(12, 2)));
    assert.equal((await again.read(1))[0]![0], 2);
    again.destroy();
    // Other accept errors are logged and change nothing.
    t.servers[0]!.emit('error', Object.assign(new Error('accept ECONNABORTED'), { code: 'ECONNABORTED' }));
    assert.ok(lines().some((l) => l['msg'] === 'tcp accept error' && l['code'] === 'ECONNABORTED'));
    assert.ok(t.servers[0]!.listening);
  } finally {
    open.destroy();
    await t.close();
  }
  assert.equal(reg.size, 0);
});

test('fd monitor: warns once above the threshold, again only after falling back below', async () => {
  const n = fdCount();
  const limit = fdLimit();
  assert.ok(n !== null && n > 0);
  assert.ok(limit === null || limit >= n);
  if (limit === null) return;
  const { log, lines } = capture();
  // A ratio just below the current use: the first sample crosses it.
  const mon = startFdMonitor(log, 20, (n - 1) / limit);
  try {
    await waitFor(() => lines().length > 0, 2000);
    await sleep(100);
    const warns = lines().filter((l) => l['msg'] === 'file descriptor use above 80% of RLIMIT_NOFILE');
    assert.equal(warns.length, 1, 'warned once, not on every sample');
    assert.equal(warns[0]!['limit'], limit);
  } finally {
    mon.stop();
  }
});

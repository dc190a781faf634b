// Negative control: a server with the historic bug (no close() after EOF on the length prefix) must be caught by the same probes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startControlServer } from '../../src/control/server.ts';
import { pool, rawConnect, serverCounts, sleep, withTimeout } from './lib.ts';
import { waitFor } from '../helpers/harness.ts';

const LEAKY = `
const net = require('node:net');
const srv = net.createServer({ allowHalfOpen: true }, (s) => {
  let buf = Buffer.alloc(0);
  s.on('data', (d) => { buf = Buffer.concat([buf, d]); });
  s.on('end', () => {
    if (buf.length < 2) return; // BUG: EOF inside the 2-byte length prefix skips close()
    s.end();
  });
  s.on('error', () => {});
});
srv.listen(0, '127.0.0.1', () => process.stdout.write(srv.address().port + '\\n'));
`;

test('the torture probes and dunlin sockstat catch a server that leaks on EOF inside the length prefix', { timeout: 30_000 }, async () => {
  const child = spawn(process.execPath, ['-e', LEAKY], { stdio: ['ignore', 'pipe', 'inherit'] });
  const dir = await mkdtemp(join(tmpdir(), 'dunlin-detector-'));
  const path = join(dir, 'control.sock');
  let control: { close(): Promise<void> } | undefined;
  try {
    const [portText] = await once(child.stdout, 'data') as [Buffer];
    const ep = { host: '127.0.0.1', port: Number(portText.toString().trim()) };
    const pid = child.pid!;
    const before = serverCounts([pid]);

    // 100 clients send one byte of the length and then FIN; the server never answers with FIN.
    const conns = await pool(100, 50, async () => {
      const c = await rawConnect(ep);
      c.socket.end(Buffer.from([0x00]));
      return c;
    });
    // Wait (bounded) for the kernel and the child to see every FIN; a loaded machine may take a moment.
    let after = serverCounts([pid]);
    await waitFor(() => (after = serverCounts([pid])).closeWait >= 100, 5000, 50).catch(() => undefined);
    await sleep(300);
    after = serverCounts([pid]);
    assert.equal(after.closeWait, 100, 'server-side CLOSE_WAIT: the peer closed, the server did not');
    assert.equal(after.fds.get(pid)! - before.fds.get(pid)!, 100, 'one leaked fd per connection');
    for (const c of conns) assert.equal(c.serverEnded, false);

    control = await startControlServer({
      path, log: { info() {}, warn() {}, error() {} }, leakAfterMs: 300, sampleIntervalMs: 100,
      handlers: { workers: () => Promise.resolve([]), reload: () => Promise.resolve({ summary: [], results: [] }), pids: () => ({ primary: process.pid, workers: [pid] }) },
    });
    await sleep(800);
    const main = new URL('../../src/cli/main.ts', import.meta.url).pathname;
    const { stdout } = await withTimeout(promisify(execFile)(process.execPath, [main, 'sockstat', '--socket', path]), 15_000, 'sockstat');
    assert.match(stdout, /LEAKS: 100 socket\(s\) in CLOSE_WAIT/);
    assert.match(stdout, /unknown \(fd not tracked\)/);
    assert.match(stdout, new RegExp(`other \\(pid ${pid}\\): 100 TCP connection socket\\(s\\) held, 100 NOT in any worker registry`));
    assert.match(stdout, new RegExp(`other\\s+${pid}\\s+\\d+\\s+\\d+\\s+[\\d.]+%\\s+\\d+\\s+\\S+\\s+.*CLOSE_WAIT=100`));
    if (process.env['DETECTOR_OUT']) (await import('node:fs')).writeFileSync(process.env['DETECTOR_OUT'], stdout);
    for (const c of conns) c.socket.destroy();
  } finally {
    await control?.close();
    child.kill('SIGKILL');
    await once(child, 'exit');
    await rm(dir, { recursive: true, force: true });
  }
});

// Tests the server's signals and shutdown: SIGUSR1 logs statistics and never opens the Node inspector; SIGTERM closes idle TCP connections at once, logs what it waits for, and interrupts a startup still loading zones; a server with nothing to serve says so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeResponse, encodeQuery, frame, MAIN, queryUdp, rcodeOf, ROOT, sampleZone, startServer, TcpClient, tempDir, waitFor } from '../helpers/harness.ts';

/** True when something accepts TCP connections on 127.0.0.1:port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    const done = (v: boolean): void => {
      clearTimeout(timer);
      s.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => done(true), 2000);
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

test('SIGUSR1 logs a statistics line and never opens the inspector; the server keeps answering', { timeout: 60_000 }, async () => {
  const srv = await startServer({ zones: { 'example.test.': sampleZone() } });
  try {
    assert.equal(rcodeOf(decodeResponse(await queryUdp(srv.udp4, encodeQuery('example.test.', 'A')))), 'NOERROR');
    srv.signal('SIGUSR1');
    const stats = await srv.waitForLog((l) => l['msg'] === 'statistics');
    assert.equal(stats['signal'], 'SIGUSR1');
    assert.ok(Number(stats['udpQueries']) >= 1, JSON.stringify(stats));
    assert.equal(stats['loaded'], 1);
    srv.signal('SIGUSR1');
    await waitFor(() => srv.logs().filter((x) => x['msg'] === 'statistics').length >= 2);
    assert.equal(await listening(9229), false, 'nothing listens on the inspector port');
    assert.doesNotMatch(srv.stderr(), /Debugger listening/);
    assert.equal(rcodeOf(decodeResponse(await queryUdp(srv.udp4, encodeQuery('example.test.', 'A')))), 'NOERROR');
  } finally {
    const st = await srv.stop();
    assert.equal(st.code, 0);
  }
});

test('SIGTERM with 50 idle TCP clients: they are closed at once, shutdown takes well under a second', { timeout: 60_000 }, async () => {
  const srv = await startServer({ zones: { 'example.test.': sampleZone() }, config: 'shutdown_timeout_ms: 5000\n' });
  const clients: TcpClient[] = [];
  try {
    for (let i = 0; i < 50; i++) clients.push(await TcpClient.connect(srv.tcp4));
    // One answered query each: every connection is accepted and back to waiting for the next query.
    await Promise.all(clients.map(async (c) => {
      await c.write(frame(encodeQuery('example.test.', 'A')));
      await c.read(1);
    }));
  } finally {
    const st = await srv.stop();
    assert.equal(st.code, 0);
    assert.ok(st.ms < 1000, `shutdown took ${st.ms} ms`);
    for (const c of clients) c.destroy();
  }
  assert.equal(srv.logs().filter((l) => typeof l['msg'] === 'string' && (l['msg']).startsWith('waiting up to')).length, 0, 'no busy connection to wait for');
});

test('SIGTERM with a connection in the middle of a query: it gets shutdown_timeout_ms, and the wait is logged with its state', { timeout: 60_000 }, async () => {
  const srv = await startServer({ zones: { 'example.test.': sampleZone() }, config: 'shutdown_timeout_ms: 800\ntcp: { read_timeout_ms: 60000 }\n' });
  const idle = await TcpClient.connect(srv.tcp4);
  const busy = await TcpClient.connect(srv.tcp4);
  try {
    // Half a frame: the server owes an answer once the rest arrives.
    const q = frame(encodeQuery('example.test.', 'A'));
    await busy.write(q.subarray(0, 5));
    await idle.write(frame(encodeQuery('example.test.', 'A')));
    await idle.read(1);
  } finally {
    const st = await srv.stop();
    assert.equal(st.code, 0);
    assert.ok(st.ms >= 700 && st.ms < 5000, `shutdown took ${st.ms} ms`);
    idle.destroy();
    busy.destroy();
  }
  const wait = srv.logs().find((l) => typeof l['msg'] === 'string' && (l['msg']).startsWith('waiting up to 800 ms for 1 busy'));
  assert.ok(wait, srv.stderr());
  assert.deepEqual(wait['states'], { 'reading-message': 1 });
});

test('a server whose every zone failed warns that it serves nothing, and answers SERVFAIL for them', { timeout: 60_000 }, async () => {
  const srv = await startServer({ zones: { 'broken.test.': 'not a zone\n' } });
  try {
    assert.equal(srv.ready.zones, 0);
    assert.equal(srv.ready.failed, 1);
    await srv.waitForLog((l) => l['level'] === 40 && /no configured zone could be loaded/.test(String(l['msg'])));
    assert.equal(rcodeOf(decodeResponse(await queryUdp(srv.udp4, encodeQuery('www.broken.test.', 'A')))), 'SERVFAIL');
  } finally {
    await srv.stop();
  }
});

test('SIGTERM while a big zone is still loading stops the server at once, without waiting for the load', { timeout: 60_000 }, async () => {
  const dir = tempDir();
  const file = join(dir, 'big.zone');
  const lines = ['$TTL 300', '@ IN SOA ns1 hostmaster 1 7200 3600 1209600 300', '@ IN NS ns1', 'ns1 IN A 192.0.2.53'];
  for (let i = 0; i < 400_000; i++) lines.push(`h${i} IN A 10.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`);
  writeFileSync(file, lines.join('\n') + '\n');
  const child = spawn(process.execPath, [MAIN, 'serve', '--listen', '127.0.0.1:0', '--zone', `big.test=${file}`, '--workers', '2', '--control', join(dir, 'control.sock')], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    // Logged once the main thread handles signals and the loader has its job.
    await waitFor(() => err.includes('"loading zones"'), 20_000);
    assert.ok(!err.includes('"zone loaded"'), 'the zone is still loading when the signal is sent');
    const t0 = Date.now();
    child.kill('SIGTERM');
    const code = await exited;
    const ms = Date.now() - t0;
    assert.equal(code, 1, `an interrupted startup exits 1\n${err.slice(-1500)}`);
    assert.ok(!err.includes('"zone loaded"'), 'it did not wait for the zone');
    assert.ok(ms < 3_000, `stopped in ${ms} ms`);
  } finally {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

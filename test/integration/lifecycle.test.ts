// Owns process-model tests of a real `dunlin serve`: worker thread crash and restart, SIGHUP reload under load, SIGTERM under load.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { TcpClient, answersOf, decodeResponse, encodeQuery, frame, isAlive, queryUdp, sampleZone, sleep, startServer, waitFor } from '../helpers/harness.ts';
import type { DunlinServer, Endpoint } from '../helpers/harness.ts';

const ZONE = 'example.test.';

/** The TXT of example.test. ("serial N") from one UDP answer. */
async function txtUdp(ep: Endpoint, timeoutMs = 2000): Promise<string> {
  const p = decodeResponse(await queryUdp(ep, encodeQuery(ZONE, 'TXT'), timeoutMs));
  return answersOf(p)[0]?.data ?? '';
}

interface Load {
  stop(): Promise<{ answers: string[]; failures: string[]; tcpAnswers: number }>;
  /** Answers received after `since`. */
  answersSince(since: number): string[];
}

/** Query loops: `udp` sequential UDP clients and `tcp` persistent TCP connections, TXT example.test. each. */
function startLoad(srv: DunlinServer, udp: number, tcp: number): Load {
  let running = true;
  const answers: { at: number; txt: string }[] = [];
  const failures: string[] = [];
  let tcpAnswers = 0;
  const udpLoops = Array.from({ length: udp }, async () => {
    while (running) {
      try {
        answers.push({ at: Date.now(), txt: await txtUdp(srv.udp4, 1000) });
      } catch (err) {
        failures.push(`udp: ${String(err)}`);
      }
    }
  });
  const tcpLoops = Array.from({ length: tcp }, async () => {
    const c = await TcpClient.connect(srv.tcp4);
    try {
      while (running) {
        const q = encodeQuery(ZONE, 'TXT');
        await c.write(frame(q));
        const [r] = await c.read(1, 3000);
        const p = decodeResponse(r!);
        if (p.id !== q.readUInt16BE(0)) failures.push('tcp: id mismatch');
        answers.push({ at: Date.now(), txt: answersOf(p)[0]?.data ?? '' });
        tcpAnswers++;
      }
    } catch (err) {
      failures.push(`tcp: ${String(err)}`);
    } finally {
      c.destroy();
    }
  });
  return {
    async stop() {
      running = false;
      await Promise.all([...udpLoops, ...tcpLoops]);
      return { answers: answers.map((a) => a.txt), failures, tcpAnswers };
    },
    answersSince: (since) => answers.filter((a) => a.at > since).map((a) => a.txt),
  };
}

test('SIGHUP under load: no query lost, the changed zone is served, a broken zone keeps its previous version', async () => {
  const srv = await startServer({ workers: 2, zones: { [ZONE]: sampleZone(ZONE, 1) } });
  try {
    const file = join(srv.dir, 'example.test.zone');
    const load = startLoad(srv, 4, 2);
    await sleep(300);
    writeFileSync(file, sampleZone(ZONE, 2));
    srv.signal('SIGHUP');
    await srv.waitForLog((l) => typeof l['result'] === 'string' && l['result'].includes('reloaded serial 1 -> 2'), 10_000);
    const swapped = Date.now();
    await sleep(300);
    // Broken version: an unknown type on line 5. The previous version (serial 2) keeps being served.
    writeFileSync(file, sampleZone(ZONE, 3).replace('@     IN A   192.0.2.1', '@     IN BOGUS 192.0.2.1'));
    srv.signal('SIGHUP');
    const errLine = await srv.waitForLog((l) => typeof l['problem'] === 'string' && /example\.test\.zone:5:\d+: error/.test(l['problem']), 10_000);
    await srv.waitForLog((l) => typeof l['result'] === 'string' && l['result'].startsWith('example.test.: error'), 10_000);
    await sleep(300);
    const r = await load.stop();
    assert.deepEqual(r.failures, [], 'no query lost during reloads');
    assert.ok(r.answers.length > 100, `${r.answers.length} answers`);
    assert.ok(r.tcpAnswers > 20, 'TCP connections survived both reloads');
    assert.ok(r.answers.includes('["serial 1"]'));
    const after = load.answersSince(swapped);
    assert.ok(after.length > 20);
    assert.deepEqual([...new Set(after)], ['["serial 2"]'], 'after the reload every worker serves serial 2, also after the failed reload');
    assert.match(String(errLine['problem']), /^\/.*example\.test\.zone:5:\d+: error: /);
    assert.equal(await txtUdp(srv.udp4), '["serial 2"]');
    // Fixing the file is picked up by the next SIGHUP.
    writeFileSync(file, sampleZone(ZONE, 4));
    srv.signal('SIGHUP');
    await srv.waitForLog((l) => typeof l['result'] === 'string' && l['result'].includes('reloaded serial 2 -> 4'), 10_000);
    assert.equal(await txtUdp(srv.udp4), '["serial 4"]');
  } finally {
    await srv.stop();
  }
});

test('a worker thread that crashes is replaced with the current zones; the other keeps answering meanwhile', async () => {
  const srv = await startServer({ workers: 2, zones: { [ZONE]: sampleZone(ZONE, 1) }, env: { DUNLIN_TEST_HOOKS: '1' } });
  try {
    const before = await srv.threads();
    assert.deepEqual(before.map((t) => t.worker), [1, 2]);
    const victim = before[0]!;
    // A reload before the crash: the replacement must start with serial 2, not the startup version.
    writeFileSync(join(srv.dir, 'example.test.zone'), sampleZone(ZONE, 2));
    srv.signal('SIGHUP');
    await srv.waitForLog((l) => typeof l['result'] === 'string' && l['result'].includes('reloaded serial 1 -> 2'), 10_000);
    const load = startLoad(srv, 4, 0);
    await sleep(200);
    await srv.crashWorker(victim.worker);
    const crashed = await srv.waitForLog((l) => l['msg'] === 'worker crashed; restarting', 10_000);
    assert.equal(crashed['worker'], victim.worker);
    assert.match(String(crashed['err']), /deliberate crash of worker 1/);
    await srv.waitForLog((l) => l['msg'] === 'worker restarted', 15_000);
    let after = before;
    await waitFor(async () => (after = await srv.threads()).length === 2 && !after.some((t) => t.threadId === victim.threadId), 10_000);
    const restartedAt = Date.now();
    await waitFor(() => load.answersSince(restartedAt).length > 40, 5000);
    const r = await load.stop();
    // A datagram already queued on the dead thread's socket dies with it; everything else is answered.
    assert.ok(r.failures.length <= 4, `failures: ${r.failures.join('; ')}`);
    const since = load.answersSince(restartedAt);
    assert.ok(since.length > 40, `queries continue after the restart: ${since.length} answers, ${r.answers.length} in all, failures ${r.failures.join('; ')}`);
    assert.deepEqual([...new Set(since)], ['["serial 2"]'], 'the replacement serves the current version');
    assert.equal(srv.logs().filter((l) => l['msg'] === 'zone reloaded' || l['msg'] === 'zone loaded').length, 2, 'the restart parsed nothing');
    assert.ok(isAlive(srv.pid));
  } finally {
    await srv.stop();
  }
});

test('without DUNLIN_TEST_HOOKS the crash hook does not exist', async () => {
  const srv = await startServer({ workers: 1, zones: { [ZONE]: sampleZone(ZONE, 1) } });
  try {
    await assert.rejects(srv.crashWorker(1), /unknown command/);
    assert.equal(await txtUdp(srv.udp4), '["serial 1"]');
  } finally {
    await srv.stop();
  }
});

test('SIGTERM under load: a query in progress is answered, idle connections get FIN, exit 0 within the bound', async () => {
  const shutdownMs = 1500;
  const srv = await startServer({ config: `shutdown_timeout_ms: ${shutdownMs}\n`, workers: 2, zones: { [ZONE]: sampleZone(ZONE, 1) } });
  try {
    const load = startLoad(srv, 2, 0);
    const idle = await TcpClient.connect(srv.tcp4);
    const inFlight = await TcpClient.connect(srv.tcp4);
    const stuck = await TcpClient.connect(srv.tcp4);
    const q = frame(encodeQuery(ZONE, 'TXT', { id: 4242 }));
    await inFlight.write(q.subarray(0, 6));
    await stuck.write(q.subarray(0, 3));
    await sleep(200);
    const t0 = Date.now();
    srv.signal('SIGTERM');
    await idle.ended;
    await sleep(100);
    await inFlight.write(q.subarray(6));
    const [answer] = await inFlight.read(1, 3000);
    assert.equal(decodeResponse(answer!).id, 4242, 'the query in progress at SIGTERM is answered');
    const status = await srv.exited;
    const ms = Date.now() - t0;
    assert.equal(status.code, 0);
    assert.ok(ms < shutdownMs + 2500, `exited after ${ms} ms`);
    await stuck.closed;
    await load.stop();
    const stopped = srv.logs().filter((l) => l['msg'] === 'worker stopped');
    assert.equal(stopped.length, 2);
  } finally {
    await srv.stop();
  }
});

test('a server killed with SIGKILL leaves no listener behind: the port can be bound exclusively at once', async () => {
  const srv = await startServer({ workers: 2, zones: { [ZONE]: sampleZone(ZONE, 1) } });
  const port = srv.port;
  try {
    process.kill(srv.pid, 'SIGKILL');
    await srv.exited;
    // No thread can outlive its process; the kernel closed every socket of all of them.
    const tcp = net.createServer();
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen({ host: '127.0.0.1', port, exclusive: true }, () => resolve());
    });
    await new Promise<void>((resolve) => tcp.close(() => resolve()));
  } finally {
    await srv.stop();
  }
});

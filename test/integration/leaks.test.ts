// Owns the socket-leak tests of a real `dunlin serve`: every abusive TCP peer behaviour ends with the fd closed; EMFILE backs off.
import { test } from 'node:test';
import type { SockstatResult } from '../../src/control/protocol.ts';
import assert from 'node:assert/strict';
import { controlRequest } from '../../src/control/client.ts';
import { TcpClient, rcodeOf, decodeResponse, encodeQuery, fdCount, frame, queryTcp, queryUdp, startServer, tcpStates, waitFor } from '../helpers/harness.ts';
import type { DunlinServer } from '../helpers/harness.ts';

const ZONE = 'leak.test.';
const bigTxt = Array.from({ length: 100 }, (_, i) => `big IN TXT "${String(i).padStart(3, '0')}${'x'.repeat(200)}"`).join('\n');
const zone = `$ORIGIN ${ZONE}
$TTL 300
@   IN SOA ns1 hostmaster 1 7200 3600 1209600 300
@   IN NS  ns1
ns1 IN A   192.0.2.53
@   IN A   192.0.2.1
${bigTxt}
`;

const IDLE = 600;
const READ = 400;

function heldStates(srv: DunlinServer): Record<string, number> {
  const s = tcpStates(srv.pid, false);
  delete s['LISTEN'];
  return s;
}

test('every abusive TCP peer behaviour ends with the socket closed: fds back to baseline, no CLOSE_WAIT', async () => {
  const srv = await startServer({
    zones: { [ZONE]: zone },
    config: `tcp:\n  idle_timeout_ms: ${IDLE}\n  read_timeout_ms: ${READ}\n  write_buffer_bytes: 16384\n`,
  });
  try {
    const server = srv.pid;
    // Warm up (lazy handles), then take the baseline.
    await queryUdp(srv.udp4, encodeQuery(ZONE, 'A'));
    await queryTcp(srv.tcp4, [encodeQuery(ZONE, 'A')]);
    await waitFor(() => Object.keys(heldStates(srv)).length === 0, 5000);
    const baseline = fdCount(server);

    const q = frame(encodeQuery(ZONE, 'A'));
    const big = frame(encodeQuery(`big.${ZONE}`, 'TXT'));
    const behaviours: Record<string, (c: TcpClient) => Promise<void>> = {
      'close at once': (c) => Promise.resolve(c.end()),
      'EOF after 1 byte of the length prefix': async (c) => { await c.write(q.subarray(0, 1)); c.end(); },
      'EOF after the length prefix': async (c) => { await c.write(q.subarray(0, 2)); c.end(); },
      'EOF in the middle of a message': async (c) => { await c.write(q.subarray(0, 9)); c.end(); },
      'RST after a partial frame': async (c) => { await c.write(q.subarray(0, 5)); c.socket.resetAndDestroy(); },
      'RST after a query, answer unread': async (c) => { await c.write(big); c.socket.resetAndDestroy(); },
      'silent (idle timeout)': () => Promise.resolve(),
      'stalled frame (read timeout)': (c) => c.write(q.subarray(0, 7)),
      'never reads big answers (write stall)': async (c) => { c.socket.pause(); await c.write(Buffer.concat(Array.from({ length: 200 }, () => big))); },
      'half-close after pipelined queries': async (c) => { await c.write(Buffer.concat([q, q, q])); c.end(); await c.read(3); },
      'FIN right after a query, answer unread': async (c) => { await c.write(q); c.end(); },
      'garbage length-0 frame': (c) => c.write(Buffer.from([0, 0])),
    };
    const clients: TcpClient[] = [];
    for (let round = 0; round < 5; round++) {
      await Promise.all(Object.values(behaviours).map(async (b) => {
        const c = await TcpClient.connect(srv.tcp4);
        clients.push(c);
        await b(c).catch(() => undefined);
      }));
    }
    // Whatever the peers do, the server closes its side within idle + read timeout. A connection
    // still in the kernel's accept queue holds no fd yet: also wait until the registry has seen all of them.
    let ss: SockstatResult | undefined;
    const registry = async (): Promise<SockstatResult> => (ss = await controlRequest(srv.controlSocket, 'sockstat', { timeoutMs: 5000 }) as SockstatResult);
    await waitFor(async () => {
      const w = (await registry()).workers[0];
      return w !== undefined && w.accepted >= 1 + clients.length && w.openTotal === 0 && fdCount(server) <= baseline && Object.keys(heldStates(srv)).length === 0;
    }, IDLE + READ + 5000, 100)
      .catch(() => assert.fail(`the server holds ${fdCount(server)} fds (baseline ${baseline}), states ${JSON.stringify(heldStates(srv))}, registry ${JSON.stringify(ss?.workers[0] ?? null).slice(0, 300)}`));
    for (const c of clients) c.destroy();
    // The registry agrees: nothing open, and every kind of close was counted.
    const report = JSON.stringify(ss);
    const reasons = /"closedByReason":(\{[^}]*\})/.exec(report);
    assert.ok(reasons, report.slice(0, 300));
    const closed = JSON.parse(reasons[1]!) as Record<string, number>;
    for (const r of ['eof', 'idle-timeout', 'read-timeout', 'reset', 'error']) assert.ok((closed[r] ?? 0) > 0, `${r} counted: ${reasons[1]!}`);
    const total = Object.values(closed).reduce((a, b) => a + b, 0);
    assert.ok(total >= 60, `${total} closes counted`);
    // Still serving.
    const [r] = await queryTcp(srv.tcp4, [encodeQuery(ZONE, 'A')]);
    assert.equal(rcodeOf(decodeResponse(r!)), 'NOERROR');
  } finally {
    await srv.stop();
  }
});

test('a low RLIMIT_NOFILE lowers the connection limit: accept never runs out of descriptors, UDP and TCP keep working', async () => {
  const srv = await startServer({ zones: { [ZONE]: zone }, prefix: ['prlimit', '--nofile=64:64', '--'] });
  const clients: TcpClient[] = [];
  try {
    const server = srv.pid;
    const lowered = await srv.waitForLog((l) => l['msg'] === 'max_connections lowered to fit RLIMIT_NOFILE', 5000);
    const budget = Number(lowered['lowered']);
    assert.ok(budget > 0 && budget < 40, `budget ${budget}`);
    let maxFds = 0;
    for (let i = 0; i < 60; i++) {
      const c = await TcpClient.connect(srv.tcp4);
      clients.push(c);
      maxFds = Math.max(maxFds, fdCount(server));
    }
    // The newest connection is admitted (close-idlest) and answers.
    const last = clients.at(-1)!;
    await last.write(frame(encodeQuery(ZONE, 'A', { id: 777 })));
    assert.equal(decodeResponse((await last.read(1))[0]!).id, 777);
    await waitFor(() => clients.filter((c) => c.isEnded).length >= 60 - budget, 5000);
    assert.ok(maxFds < 64, `the server peaked at ${maxFds} fds`);
    const u = decodeResponse(await queryUdp(srv.udp4, encodeQuery(ZONE, 'A')));
    assert.equal(rcodeOf(u), 'NOERROR');
    assert.ok(!srv.logs().some((l) => l['level'] === 50 && String(l['msg']).includes('accept')), 'no accept errors');
  } finally {
    for (const c of clients) c.destroy();
    await srv.stop();
  }
});

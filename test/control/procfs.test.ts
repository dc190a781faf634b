// Tests the /proc readers against synthetic text and against a real child process with known sockets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, connect, type Socket } from 'node:net';
import { once } from 'node:events';
import {
  decodeProcAddress, parseProcNetTcp, parseFdLimit, parseRssBytes, socketInode, fdKind, countStates,
  readFdTable, readFdLimit, readRssBytes, readKernelTcp, sampleProcess, socketsOwnedBy, tcpStateName,
} from '../../src/control/procfs.ts';

const TCP4 = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:0035 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 12345 1 0000000000000000 100 0 0 10 0
   1: 0100007F:0035 0100007F:D431 08 00000000:00000000 00:00000000 00000000     0        0 22222 1 0000000000000000 20 4 30 10 -1
   2: 0100007F:0035 0100007F:D432 06 00000000:00000000 03:00000F1A 00000000     0        0 0 3 0000000000000000
   garbage line
`;
const TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 33333 1 0000000000000000 100 0 0 10 0
   1: 0000000000000000FFFF00000100007F:1F90 0000000000000000FFFF00000100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 44444 1 0000000000000000 20 4 30 10 -1
   2: B80D0120000000000000000001000000:0035 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 55555 1
`;

test('decodeProcAddress: little-endian IPv4 and IPv6 words', () => {
  assert.deepEqual(decodeProcAddress('0100007F:0035'), { addr: '127.0.0.1', port: 53 });
  assert.deepEqual(decodeProcAddress('00000000000000000000000001000000:1F90'), { addr: '::1', port: 8080 });
  assert.deepEqual(decodeProcAddress('0000000000000000FFFF00000100007F:C350'), { addr: '::ffff:127.0.0.1', port: 50000 });
  assert.deepEqual(decodeProcAddress('B80D0120000000000000000001000000:0035'), { addr: '2001:db8::1', port: 53 });
  assert.throws(() => decodeProcAddress('zz:1'), /bad \/proc\/net\/tcp address/);
  assert.throws(() => decodeProcAddress('0100007F'), /bad/);
});

test('parseProcNetTcp: states, inodes, malformed lines skipped', () => {
  const v4 = parseProcNetTcp(TCP4, 4);
  assert.equal(v4.length, 3);
  assert.deepEqual(v4.map((e) => e.state), ['LISTEN', 'CLOSE_WAIT', 'TIME_WAIT']);
  assert.deepEqual(v4.map((e) => e.inode), [12345, 22222, 0]);
  assert.equal(v4[1]!.remotePort, 0xd431);
  const v6 = parseProcNetTcp(TCP6, 6);
  assert.deepEqual(v6.map((e) => [e.localAddr, e.state]), [['::1', 'LISTEN'], ['::ffff:127.0.0.1', 'ESTABLISHED'], ['2001:db8::1', 'LISTEN']]);
  assert.deepEqual(countStates([...v4, ...v6]), { LISTEN: 3, CLOSE_WAIT: 1, TIME_WAIT: 1, ESTABLISHED: 1 });
  assert.deepEqual(socketsOwnedBy(v4, [22222, 0]).map((e) => e.inode), [22222]);
  assert.equal(tcpStateName(0x63), 'UNKNOWN');
  assert.deepEqual(parseProcNetTcp('', 4), []);
  // One state only: the lines in that state are found without splitting the others, same entries.
  assert.deepEqual(parseProcNetTcp(TCP4, 4, '08'), v4.filter((e) => e.state === 'CLOSE_WAIT'));
  assert.deepEqual(parseProcNetTcp(TCP4, 4, '06'), v4.filter((e) => e.state === 'TIME_WAIT'));
  assert.deepEqual(parseProcNetTcp(TCP6, 6, '0A'), v6.filter((e) => e.state === 'LISTEN'));
  assert.deepEqual(parseProcNetTcp(TCP4, 4, '01'), []);
  assert.throws(() => parseProcNetTcp(TCP4, 4, '.*'), /not a TCP state/);
});

test('parseFdLimit / parseRssBytes / socketInode / fdKind', () => {
  const limits = `Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max open files            1024                 524288               files
`;
  assert.deepEqual(parseFdLimit(limits), { soft: 1024, hard: 524288 });
  assert.deepEqual(parseFdLimit('Max open files            unlimited            unlimited            files\n'), { soft: 'unlimited', hard: 'unlimited' });
  assert.equal(parseFdLimit('nothing'), undefined);
  assert.equal(parseRssBytes('Name:\tnode\nVmRSS:\t   51200 kB\n'), 51200 * 1024);
  assert.equal(parseRssBytes('Name:\tkthread\n'), undefined);
  assert.equal(socketInode('socket:[987]'), 987);
  assert.equal(socketInode('pipe:[987]'), undefined);
  assert.deepEqual(['socket:[1]', 'pipe:[2]', 'anon_inode:[eventfd]', '/dev/null', 'net:[4026531840]'].map(fdKind), ['socket', 'pipe', 'anon_inode', 'file', 'other']);
});

test('real /proc: a child holding N extra sockets shows N more fds, and the kernel states match', { timeout: 20_000 }, async () => {
  const server = createServer((s) => { held.push(s); });
  const held: Socket[] = [];
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  // The child connects 5 sockets to us and then waits; its fds and socket states are what we read.
  const child = spawn(process.execPath, ['-e', `
    const net = require('node:net');
    const socks = [];
    let n = 0;
    // allowHalfOpen: on the peer's FIN the child never closes: the exact leak shape.
    for (let i = 0; i < 5; i++) { const s = net.connect({ port: ${port}, host: "127.0.0.1", allowHalfOpen: true }, () => { if (++n === 5) process.stdout.write('ready\\n'); }); socks.push(s); }
    process.stdin.on('data', () => {});
    setTimeout(() => {}, 60000);
  `], { stdio: ['pipe', 'pipe', 'inherit'] });
  try {
    await once(child.stdout, 'data');
    const pid = child.pid!;
    const fds = await readFdTable(pid);
    assert.ok(fds, 'child fd table readable');
    assert.ok(fds.kinds.socket >= 5, `child has >= 5 sockets, got ${fds.kinds.socket}`);
    assert.equal(fds.socketInodes.length, fds.kinds.socket);
    const tcp = await readKernelTcp();
    const mine = socketsOwnedBy(tcp, fds.socketInodes).filter((e) => e.remotePort === port);
    assert.equal(mine.length, 5);
    assert.ok(mine.every((e) => e.state === 'ESTABLISHED' && e.remoteAddr === '127.0.0.1'));
    const limit = await readFdLimit(pid);
    assert.ok(limit && typeof limit.soft === 'number' && limit.soft > 0);
    const rss = await readRssBytes(pid);
    assert.ok(rss !== undefined && rss > 1024 * 1024);

    // We close our ends: the child's sockets go to CLOSE_WAIT (peer closed, child did not).
    for (const s of held) s.destroy();
    let states: ReturnType<typeof countStates> = {};
    for (let i = 0; i < 50; i++) {
      const again = socketsOwnedBy(await readKernelTcp(), fds.socketInodes).filter((e) => e.remotePort === port);
      states = countStates(again);
      if (states.CLOSE_WAIT === 5) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(states.CLOSE_WAIT, 5);
    const sample = await sampleProcess(pid);
    assert.equal(sample?.pid, pid);
  } finally {
    child.kill('SIGKILL');
    await once(child, 'exit');
    server.close();
  }
  // A process that is gone reads as undefined, not as an error.
  assert.equal(await readFdTable(child.pid!), undefined);
  assert.equal(await sampleProcess(child.pid!), undefined);
});

test('real /proc: a connect() to ourselves is visible as our own inode', { timeout: 10_000 }, async () => {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  const c = connect(port, '127.0.0.1');
  await once(c, 'connect');
  try {
    const fds = await readFdTable(process.pid);
    const mine = socketsOwnedBy(await readKernelTcp(), fds!.socketInodes);
    assert.ok(mine.some((e) => e.state === 'LISTEN' && e.localPort === port));
    assert.ok(mine.some((e) => e.state === 'ESTABLISHED' && e.remotePort === port));
  } finally {
    c.destroy();
    server.close();
  }
});

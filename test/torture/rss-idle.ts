// Owns the idle-connection memory measurement: a real `dunlin serve`'s RSS and fds with N idle TCP connections open (default 5000), then that they all go away.
// usage: node test/torture/rss-idle.ts [--connections N] [--workers W]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { controlRequest } from '../../src/control/client.ts';
import type { SockstatResult, StatusResult } from '../../src/control/protocol.ts';

const { values } = parseArgs({ options: { connections: { type: 'string', default: '5000' }, workers: { type: 'string', default: '2' } } });
const N = Number(values.connections);
const WORKERS = Number(values.workers);
const root = new URL('../..', import.meta.url).pathname;

const hard = /^Max open files\s+\S+\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1];
const hardN = hard === 'unlimited' ? Infinity : Number(hard);
const need = N + 2000;
if (hardN < need) {
  process.stderr.write(`rss-idle: hard RLIMIT_NOFILE is ${hard}; need ${need} (run as root or raise it in limits.conf)\n`);
  process.exit(1);
}
const nofile = Math.min(hardN, Math.max(need, 20000));

const dir = mkdtempSync(join(tmpdir(), 'dunlin-rss-'));
writeFileSync(join(dir, 'z.zone'), '$ORIGIN example.test.\n$TTL 300\n@ SOA ns1 h 1 7200 3600 1209600 300\n@ NS ns1\nns1 A 192.0.2.53\n');
writeFileSync(join(dir, 'd.yaml'), `tcp:\n  idle_timeout_ms: 600000\n  read_timeout_ms: 5000\n  max_connections: ${N * 4}\n`);
const sock = join(dir, 'control.sock');
// prlimit execs node, so the child's pid is the server's primary.
const child = spawn('prlimit', [`--nofile=${nofile}:${nofile}`, process.execPath, join(root, 'src/cli/main.ts'), 'serve', '--config', join(dir, 'd.yaml'),
  '--listen', '127.0.0.1:0', '--zone', `example.test.=${join(dir, 'z.zone')}`, '--workers', String(WORKERS), '--control', sock, '--log-level', 'warn'],
{ stdio: ['ignore', 'pipe', 'inherit'] });

function rssKb(pid: number): number {
  return Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
}
function fds(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const clients: net.Socket[] = [];

try {
  const ready = await new Promise<string>((resolve, reject) => {
    let out = '';
    const t = setTimeout(() => reject(new Error('server not ready in 30 s')), 30_000);
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /tcp=(\S+?):(\d+) /.exec(out);
      if (m) { clearTimeout(t); resolve(m[2]!); }
    });
    child.once('exit', (c) => { clearTimeout(t); reject(new Error(`server exited ${c}`)); });
  });
  const port = Number(ready);
  const st = await controlRequest(sock, 'status') as StatusResult;
  // One process: the worker threads share its memory and descriptors.
  const pids = [st.primary];
  await sleep(1000);
  const before = pids.map((p) => ({ pid: p, rssKb: rssKb(p), fds: fds(p) }));

  const t0 = Date.now();
  for (let i = 0; i < N; i += 200) {
    await Promise.all(Array.from({ length: Math.min(200, N - i) }, () => new Promise<void>((resolve, reject) => {
      const s = net.connect({ port, host: '127.0.0.1' }, () => resolve());
      s.on('error', reject);
      clients.push(s);
    })));
  }
  const connectMs = Date.now() - t0;
  await sleep(2000);
  // RSS first: the sockstat below makes the main thread parse every worker's registry (a transient allocation).
  const during = pids.map((p) => ({ pid: p, rssKb: rssKb(p), fds: fds(p) }));
  const ss = await controlRequest(sock, 'sockstat', { args: { limit: 0 }, timeoutMs: 30_000 }) as SockstatResult;
  const open = ss.workers.reduce((n, w) => n + w.openTotal, 0);

  for (const s of clients) s.destroy();
  const t1 = Date.now();
  const baseFds = before.reduce((n, b) => n + b.fds, 0);
  while (pids.reduce((n, p) => n + fds(p), 0) > baseFds && Date.now() - t1 < 15_000) await sleep(50);
  const releaseMs = Date.now() - t1;
  await sleep(1000);
  const afterClose = pids.map((p) => ({ pid: p, rssKb: rssKb(p), fds: fds(p) }));

  const sum = (xs: { rssKb: number }[]): number => xs.reduce((n, x) => n + x.rssKb, 0);
  const lines = [
    `dunlin serve, ${WORKERS} worker threads, ${N} idle TCP connections (RLIMIT_NOFILE ${nofile}); connected in ${connectMs} ms; registry open=${open}`,
    'pid       role     rss-before  rss-with-conns  rss-after-close  fds-before  fds-with-conns  fds-after-close',
    ...pids.map((p, i) => `${String(p).padEnd(8)}  ${'server'.padEnd(7)}  ${(before[i]!.rssKb / 1024).toFixed(1).padStart(8)}MB  ${(during[i]!.rssKb / 1024).toFixed(1).padStart(12)}MB  ${(afterClose[i]!.rssKb / 1024).toFixed(1).padStart(13)}MB  ${String(before[i]!.fds).padStart(10)}  ${String(during[i]!.fds).padStart(14)}  ${String(afterClose[i]!.fds).padStart(15)}`),
    `total RSS: ${(sum(before) / 1024).toFixed(1)} MB -> ${(sum(during) / 1024).toFixed(1)} MB with ${N} connections (+${((sum(during) - sum(before)) / N).toFixed(2)} KB per connection); ${(sum(afterClose) / 1024).toFixed(1)} MB after they closed`,
    `all server fds released ${releaseMs} ms after the clients closed`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
} finally {
  for (const s of clients) s.destroy();
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
  clearTimeout(timer);
  rmSync(dir, { recursive: true, force: true });
}

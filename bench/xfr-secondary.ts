// Owns the secondary-transfer measurement: Dunlin and NSD, each as a secondary without a copy, pull the 1M-record zone from knotd (AXFR); time to serve its serial, peak RSS, and small-zone queries answered meanwhile.
// Run: npx node bench/xfr-secondary.ts [records]   (standalone; not part of npm run bench)
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import net from 'node:net';
import { mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIG_ORIGIN, generateBig } from './gen.ts';

const RECORDS = Number(process.argv[2] ?? 1_000_000);
const ROOT = new URL('..', import.meta.url).pathname;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address() as net.AddressInfo;
      s.close(() => resolve(a.port));
    });
  });
}

/** One SOA query for `zone`: its serial, the rcode number when not NOERROR (negative), or null on timeout. */
function soa(port: number, zone: string, timeoutMs = 300): Promise<number | null> {
  const labels = zone.replace(/\.$/, '').split('.');
  const q = Buffer.concat([Buffer.from([0x12, 0x34, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]), ...labels.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])), Buffer.from([0, 0, 6, 0, 1])]);
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    const t = setTimeout(() => {
      s.close();
      resolve(null);
    }, timeoutMs);
    s.on('message', (m) => {
      clearTimeout(t);
      s.close();
      const rcode = m[3]! & 0xf;
      if (rcode !== 0 || m.readUInt16BE(6) === 0) return resolve(-rcode - 1);
      // The SOA is the first answer; its serial is 20 octets before the RDATA's end.
      let p = 12;
      while (m[p] !== 0) p += m[p]! + 1;
      p += 5;
      p += 2 + 8;
      const rdlen = m.readUInt16BE(p);
      resolve(m.readUInt32BE(p + 2 + rdlen - 20));
    });
    s.send(q, port, '127.0.0.1');
  });
}

function vmHwmKiB(pid: number): number {
  const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

function stop(c: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (c.exitCode !== null || c.pid === undefined) return resolve();
    c.once('exit', () => resolve());
    process.kill(c.pid, 'SIGTERM');
  });
}

const SMALL = `$ORIGIN small.test.\n$TTL 300\n@ SOA ns h 1 3600 600 86400 300\n@ NS ns\nns A 192.0.2.1\n`;

async function measure(name: string, start: (port: number, dir: string) => ChildProcess, primaryPort: number, serial: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), `xfrbench-${name}-`));
  writeFileSync(join(dir, 'small.zone'), SMALL);
  const port = await freePort();
  const t0 = Date.now();
  const child = start(port, dir);
  let answered = 0;
  let lost = 0;
  let served = false;
  // Queries for another zone, about 100 a second, while the big one is transferred and built.
  const prober = (async () => {
    while (!served) {
      const r = await soa(port, 'small.test.');
      if (r === 1) answered++;
      else if (Date.now() - t0 > 2000) lost++;
      await new Promise((res) => setTimeout(res, 10));
    }
  })();
  let hwm = 0;
  while (true) {
    if (child.pid !== undefined) hwm = Math.max(hwm, vmHwmKiB(child.pid));
    if ((await soa(port, BIG_ORIGIN, 500)) === serial) break;
    if (Date.now() - t0 > 300_000) throw new Error(`${name}: not served within 300 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const ms = Date.now() - t0;
  served = true;
  await prober;
  if (child.pid !== undefined) hwm = Math.max(hwm, vmHwmKiB(child.pid));
  console.log(`${name}: ${RECORDS} records served ${ms} ms after start (primary on ${primaryPort}); peak RSS ${(hwm / 1024).toFixed(0)} MiB; small-zone queries meanwhile: ${answered} answered, ${lost} unanswered`);
  await stop(child);
  try {
    for (const l of readFileSync(join(dir, 'dunlin.log'), 'utf8').split('\n')) if (/transfer|transferred/.test(l)) console.log('  ' + l);
  } catch {
    // no log (nsd)
  }
  rmSync(dir, { recursive: true, force: true });
}

const work = mkdtempSync(join(tmpdir(), 'xfrbench-'));
const big = generateBig(join(tmpdir(), 'dunlin-bench'), 1, RECORDS);
const kport = await freePort();
mkdirSync(join(work, 'db'));
writeFileSync(join(work, 'knot.conf'), [
  'server:', `    rundir: "${work}"`, `    listen: 127.0.0.1@${kport}`, 'database:', `    storage: "${join(work, 'db')}"`,
  'acl:', '  - id: x', '    address: 127.0.0.1', '    action: transfer',
  'template:', '  - id: default', '    semantic-checks: off', '    zonefile-sync: -1', '    journal-content: none',
  'zone:', `  - domain: ${BIG_ORIGIN}`, `    file: "${big.zoneFile}"`, '    acl: x', '',
].join('\n'));
const knot = spawn('knotd', ['-c', join(work, 'knot.conf')], { stdio: 'ignore' });
try {
  const first = await (async () => {
    for (let i = 0; i < 600; i++) {
      const s = await soa(kport, BIG_ORIGIN, 500);
      if (s !== null && s > 0) return s;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error('knotd did not load the zone');
  })();
  console.log(`knotd serves ${BIG_ORIGIN} serial ${first}`);
  await measure('dunlin (2 workers)', (port, dir) => {
    writeFileSync(join(dir, 'd.yaml'), [`storage: ${dir}`, 'remotes:', '  - name: k', `    address: 127.0.0.1:${kport}`, 'zones:', `  - name: ${BIG_ORIGIN}`, '    primaries: [k]', '  - name: small.test', `    file: ${join(dir, 'small.zone')}`, ''].join('\n'));
    return spawn(process.execPath, [join(ROOT, 'src/cli/main.ts'), 'serve', '--config', join(dir, 'd.yaml'), '--listen', `127.0.0.1:${port}`, '--workers', '2', '--control', join(dir, 'c.sock'), '--log-level', 'info'], { stdio: ['ignore', 'ignore', openSync(join(dir, 'dunlin.log'), 'w')], env: { ...process.env, MALLOC_MMAP_THRESHOLD_: '131072' } });
  }, kport, first);
  await measure('nsd', (port, dir) => {
    writeFileSync(join(dir, 'nsd.conf'), [
      'server:', `  port: ${port}`, '  ip-address: 127.0.0.1', '  do-ip6: no', `  zonesdir: "${dir}"`, `  pidfile: "${join(dir, 'nsd.pid')}"`, `  xfrdfile: "${join(dir, 'xfrd.state')}"`, `  xfrdir: "${dir}"`,
      `  zonelistfile: "${join(dir, 'zone.list')}"`, '  database: ""', '  username: ""', '  chroot: ""', '  server-count: 2', 'remote-control:', '  control-enable: no',
      'zone:', `  name: ${BIG_ORIGIN}`, `  request-xfr: 127.0.0.1@${kport} NOKEY`, 'zone:', '  name: small.test', `  zonefile: "${join(dir, 'small.zone')}"`, '',
    ].join('\n'));
    return spawn('nsd', ['-d', '-c', join(dir, 'nsd.conf')], { stdio: 'ignore' });
  }, kport, first);
} finally {
  await stop(knot);
  rmSync(work, { recursive: true, force: true });
}

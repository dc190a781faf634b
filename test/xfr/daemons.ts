// Owns starting real secondaries (knotd, nsd, named) for transfer interop tests: generated configs in a temp dir, a free loopback port, stop by PID.
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../conformance/knot-diff-harness.ts';
import { waitFor } from '../helpers/harness.ts';

export interface TsigKey {
  readonly name: string;
  readonly algorithm: string;
  readonly secret: string;
}

export interface Secondary {
  readonly kind: 'knot' | 'nsd' | 'named';
  readonly port: number;
  readonly dir: string;
  readonly child: ChildProcess;
  log(): string;
  stop(): Promise<void>;
}

export interface SecondaryOptions {
  readonly zone: string;
  /** Dunlin's port on 127.0.0.1. */
  readonly primaryPort: number;
  readonly key: TsigKey | null;
  /** Port to listen on (allocated in advance so the primary's config can name it). */
  readonly port: number;
}

function killChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return resolve();
    const t = setTimeout(() => {
      try {
        process.kill(child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }, 5000);
    child.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    try {
      process.kill(child.pid, 'SIGTERM');
    } catch {
      clearTimeout(t);
      resolve();
    }
  });
}

function launch(kind: Secondary['kind'], cmd: string, args: string[], dir: string, port: number): Secondary {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (out += d));
  const stop = async (): Promise<void> => {
    await killChild(child);
    rmSync(dir, { recursive: true, force: true });
  };
  return { kind, port, dir, child, log: () => out, stop };
}

export { freePort };

export function startKnotSecondary(o: SecondaryOptions): Secondary {
  const dir = mkdtempSync(join(tmpdir(), 'dunlin-knot-sec-'));
  const key = o.key;
  const conf = [
    'server:',
    `    rundir: "${dir}"`,
    `    pidfile: "${join(dir, 'knot.pid')}"`,
    `    listen: 127.0.0.1@${o.port}`,
    '    udp-workers: 1',
    '    tcp-workers: 1',
    '    background-workers: 1',
    'database:',
    `    storage: "${join(dir, 'db')}"`,
    'control:',
    `    listen: "${join(dir, 'knot.sock')}"`,
    'log:',
    '  - target: stderr',
    '    any: info',
    ...(key ? ['key:', `  - id: ${key.name}`, `    algorithm: ${key.algorithm}`, `    secret: ${key.secret}`] : []),
    'remote:',
    '  - id: dunlin',
    `    address: 127.0.0.1@${o.primaryPort}`,
    ...(key ? [`    key: ${key.name}`] : []),
    'acl:',
    '  - id: notify-from-dunlin',
    '    address: 127.0.0.1',
    '    action: notify',
    ...(key ? [`    key: ${key.name}`] : []),
    '  - id: transfer-local',
    '    address: 127.0.0.1',
    '    action: transfer',
    'template:',
    '  - id: default',
    `    storage: "${dir}"`,
    '    zonefile-sync: -1',
    '    journal-content: changes',
    'zone:',
    `  - domain: ${o.zone}`,
    '    master: dunlin',
    '    acl: [notify-from-dunlin, transfer-local]',
    '',
  ].join('\n');
  writeFileSync(join(dir, 'knot.conf'), conf);
  return launch('knot', 'knotd', ['-c', join(dir, 'knot.conf')], dir, o.port);
}

export function startNsdSecondary(o: SecondaryOptions): Secondary {
  const dir = mkdtempSync(join(tmpdir(), 'dunlin-nsd-sec-'));
  const key = o.key;
  const keyRef = key ? key.name : 'NOKEY';
  const conf = [
    'server:',
    `  ip-address: 127.0.0.1@${o.port}`,
    '  do-ip6: no',
    `  zonesdir: "${dir}"`,
    `  pidfile: "${join(dir, 'nsd.pid')}"`,
    `  xfrdfile: "${join(dir, 'xfrd.state')}"`,
    `  xfrdir: "${dir}"`,
    `  zonelistfile: "${join(dir, 'zone.list')}"`,
    '  database: ""',
    '  username: ""',
    '  chroot: ""',
    '  verbosity: 2',
    '  server-count: 1',
    'remote-control:',
    '  control-enable: no',
    ...(key ? ['key:', `  name: ${key.name}`, `  algorithm: ${key.algorithm}`, `  secret: "${key.secret}"`] : []),
    'zone:',
    `  name: ${o.zone}`,
    `  zonefile: "${join(dir, 'zone.db')}"`,
    `  request-xfr: 127.0.0.1@${o.primaryPort} ${keyRef}`,
    `  allow-notify: 127.0.0.1 ${keyRef}`,
    '  provide-xfr: 127.0.0.1 NOKEY',
    '',
  ].join('\n');
  writeFileSync(join(dir, 'nsd.conf'), conf);
  return launch('nsd', 'nsd', ['-d', '-c', join(dir, 'nsd.conf')], dir, o.port);
}

export function startNamedSecondary(o: SecondaryOptions): Secondary {
  const dir = mkdtempSync(join(tmpdir(), 'dunlin-named-sec-'));
  const key = o.key;
  const conf = [
    'options {',
    `  directory "${dir}";`,
    `  pid-file "${join(dir, 'named.pid')}";`,
    `  session-keyfile "${join(dir, 'session.key')}";`,
    `  listen-on port ${o.port} { 127.0.0.1; };`,
    '  listen-on-v6 { none; };',
    '  recursion no;',
    '  dnssec-validation no;',
    '  notify no;',
    '};',
    'controls { };',
    ...(key ? [`key "${key.name}" { algorithm ${key.algorithm}; secret "${key.secret}"; };`, `server 127.0.0.1 { keys { ${key.name}; }; };`] : []),
    `zone "${o.zone}" {`,
    '  type secondary;',
    `  primaries port ${o.primaryPort} { 127.0.0.1; };`,
    `  file "${join(dir, 'zone.bk')}";`,
    `  allow-notify { ${key ? `key ${key.name}` : '127.0.0.1'}; };`,
    '  allow-transfer { 127.0.0.1; };',
    '};',
    '',
  ].join('\n');
  writeFileSync(join(dir, 'named.conf'), conf);
  return launch('named', '/usr/sbin/named', ['-g', '-n', '1', '-4', '-c', join(dir, 'named.conf')], dir, o.port);
}

/** AXFR of `zone` from 127.0.0.1@port with kdig (TSIG when `key`), as sorted presentation lines without the closing SOA; null on failure. */
export function axfrLines(port: number, zone: string, key: TsigKey | null): string[] | null {
  const args = ['@127.0.0.1', '-p', String(port), '+tcp', '+noall', '+answer', '+nottl', '+time=3', '+retry=0'];
  if (key) args.push('-y', `${key.algorithm}:${key.name}:${key.secret}`);
  args.push(zone, 'AXFR');
  const r = spawnSync('kdig', args, { encoding: 'utf8', timeout: 15_000 });
  if (r.status !== 0 || /ERROR|failed/.test(r.stdout + r.stderr)) return null;
  const lines = r.stdout.split('\n').map((l) => l.trim().replace(/\s+/g, ' ')).filter((l) => l !== '' && !l.startsWith(';'));
  if (lines.length < 2) return null;
  lines.pop();
  return lines.sort();
}

/** The SOA serial served for `zone` at 127.0.0.1@port, or null. */
export function soaSerial(port: number, zone: string): number | null {
  const r = spawnSync('kdig', ['@127.0.0.1', '-p', String(port), '+short', '+time=1', '+retry=0', zone, 'SOA'], { encoding: 'utf8', timeout: 5000 });
  const f = r.stdout.trim().split(/\s+/);
  return f.length >= 7 ? Number(f[2]) : null;
}

export async function waitSerial(port: number, zone: string, serial: number, timeoutMs = 20_000): Promise<void> {
  await waitFor(() => soaSerial(port, zone) === serial, timeoutMs, 200);
}

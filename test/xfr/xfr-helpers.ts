// Owns the processes of the transfer tests: knotd and nsd as primaries in temp dirs (stopped by PID), a free port, zone comparisons and small DNS helpers.
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../conformance/knot-diff-harness.ts';
import { decodeResponse, encodeQuery, queryUdp, rcodeOf, waitFor } from '../helpers/harness.ts';
import { parseZoneText } from '../../src/zone/index.ts';
import { Name } from '../../src/wire/name.ts';
import { recordToText } from '../../src/wire/registry.ts';

export { freePort };

export const KEY = { name: 'xfr-key', algorithm: 'hmac-sha256', secret: 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTMyYg==' } as const;

export interface Daemon {
  readonly port: number;
  readonly dir: string;
  readonly child: ChildProcess;
  /** Stops the daemon by PID (SIGTERM, SIGKILL after 3 s); keeps the dir unless `remove`. */
  stop(remove?: boolean): Promise<void>;
  stderr(): string;
}

function killChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return resolve();
    const t = setTimeout(() => {
      try {
        process.kill(child.pid!, 'SIGKILL');
      } catch {
        // gone
      }
    }, 3000);
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

/** SOA serial as a UDP answer from 127.0.0.1:port gives it, or the rcode text when not NOERROR, or null without an answer. */
export async function soaSerialAt(port: number, zone: string): Promise<number | string | null> {
  try {
    const r = decodeResponse(await queryUdp({ host: '127.0.0.1', port }, encodeQuery(zone, 'SOA'), 1000));
    if (rcodeOf(r) !== 'NOERROR') return rcodeOf(r);
    const soa = r.answers?.find((a) => a.type === 'SOA');
    return soa ? (soa.data as { serial: number }).serial : null;
  } catch {
    return null;
  }
}

export async function waitSerial(port: number, zone: string, want: number | string, timeoutMs = 20_000): Promise<void> {
  let last: number | string | null = null;
  try {
    await waitFor(async () => (last = await soaSerialAt(port, zone)) === want, timeoutMs, 100);
  } catch {
    throw new Error(`SOA of ${zone} at port ${port} is ${String(last)}, not ${String(want)}, after ${timeoutMs} ms`);
  }
}

/** Starts knotd as the primary of `zone` (file text), allowing transfers and sending NOTIFY to `notifyPort`. */
export async function startKnotPrimary(opts: { zone: string; text: string; notifyPort: number; tsig: boolean; port?: number; dir?: string }): Promise<Daemon> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'dunlin-knotp-'));
  const port = opts.port ?? (await freePort());
  const file = join(dir, `${opts.zone}.zone`);
  if (opts.dir === undefined) writeFileSync(file, opts.text);
  const key = opts.tsig ? ['key:', `  - id: ${KEY.name}`, `    algorithm: ${KEY.algorithm}`, `    secret: ${KEY.secret}`] : [];
  const conf = [
    'server:',
    `    rundir: "${dir}"`,
    `    pidfile: "${join(dir, 'knot.pid')}"`,
    `    listen: 127.0.0.1@${port}`,
    '    udp-workers: 1',
    '    tcp-workers: 1',
    '    background-workers: 1',
    ...key,
    'remote:',
    '  - id: dunlin',
    `    address: 127.0.0.1@${opts.notifyPort}`,
    ...(opts.tsig ? [`    key: ${KEY.name}`] : []),
    'acl:',
    '  - id: xfr',
    '    address: 127.0.0.1',
    ...(opts.tsig ? [`    key: ${KEY.name}`] : []),
    '    action: transfer',
    'database:',
    `    storage: "${join(dir, 'db')}"`,
    'control:',
    `    listen: "${join(dir, 'knot.sock')}"`,
    'log:',
    '  - target: stderr',
    '    any: info',
    'zone:',
    `  - domain: ${opts.zone}`,
    `    file: "${file}"`,
    '    notify: dunlin',
    '    acl: xfr',
    '    zonefile-sync: -1',
    '    journal-content: changes',
    '    semantic-checks: off',
    '',
  ].join('\n');
  writeFileSync(join(dir, 'knot.conf'), conf);
  mkdirSync(join(dir, 'db'), { recursive: true });
  const child = spawn('knotd', ['-c', join(dir, 'knot.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const d: Daemon = {
    port, dir, child,
    stop: async (remove = true) => {
      await killChild(child);
      if (remove) rmSync(dir, { recursive: true, force: true });
    },
    stderr: () => err,
  };
  try {
    await waitFor(async () => typeof (await soaSerialAt(port, opts.zone)) === 'number', 10_000, 100);
  } catch {
    await d.stop();
    throw new Error(`knotd did not serve ${opts.zone}:\n${err}`);
  }
  return d;
}

/** knotc against the daemon's control socket; throws with its output on failure. */
export function knotc(d: Daemon, ...args: string[]): string {
  const r = spawnSync('knotc', ['-c', join(d.dir, 'knot.conf'), ...args], { encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0) throw new Error(`knotc ${args.join(' ')}: ${r.stdout}${r.stderr}`);
  return r.stdout;
}

/**
 * Starts nsd as the primary of `zone` (file text), allowing AXFR to 127.0.0.1 (TSIG-signed when
 * `tsig`), or, with `primaryPort`, as a secondary transferring it from 127.0.0.1@primaryPort.
 */
export async function startNsdPrimary(opts: { zone: string; text: string; tsig: boolean; notifyPort?: number; primaryPort?: number; port?: number }): Promise<Daemon> {
  const dir = mkdtempSync(join(tmpdir(), 'dunlin-nsdp-'));
  const port = opts.port ?? (await freePort());
  const file = join(dir, `${opts.zone}.zone`);
  if (opts.primaryPort === undefined) writeFileSync(file, opts.text);
  const k = opts.tsig ? KEY.name : 'NOKEY';
  const key = opts.tsig ? ['key:', `  name: ${KEY.name}`, `  algorithm: ${KEY.algorithm}`, `  secret: "${KEY.secret}"`] : [];
  const conf = [
    'server:',
    `  port: ${port}`,
    '  ip-address: 127.0.0.1',
    '  do-ip6: no',
    `  zonesdir: "${dir}"`,
    `  pidfile: "${join(dir, 'nsd.pid')}"`,
    `  xfrdfile: "${join(dir, 'xfrd.state')}"`,
    `  xfrdir: "${dir}"`,
    `  zonelistfile: "${join(dir, 'zone.list')}"`,
    `  database: ""`,
    `  username: ""`,
    `  chroot: ""`,
    '  server-count: 1',
    '  verbosity: 1',
    'remote-control:',
    '  control-enable: no',
    ...key,
    'zone:',
    `  name: ${opts.zone}`,
    `  zonefile: "${file}"`,
    ...(opts.primaryPort === undefined
      ? [`  provide-xfr: 127.0.0.1 ${k}`]
      : [`  request-xfr: 127.0.0.1@${opts.primaryPort} ${k}`, `  allow-notify: 127.0.0.1 ${k}`]),
    ...(opts.notifyPort !== undefined ? [`  notify: 127.0.0.1@${opts.notifyPort} ${opts.tsig ? KEY.name : 'NOKEY'}`] : []),
    '',
  ].join('\n');
  writeFileSync(join(dir, 'nsd.conf'), conf);
  const child = spawn('nsd', ['-d', '-c', join(dir, 'nsd.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const d: Daemon = {
    port, dir, child,
    stop: async (remove = true) => {
      await killChild(child);
      if (remove) rmSync(dir, { recursive: true, force: true });
    },
    stderr: () => err,
  };
  try {
    // A secondary may have nothing to serve yet: then any answer (SERVFAIL) shows it is up.
    await waitFor(async () => (opts.primaryPort === undefined ? typeof (await soaSerialAt(port, opts.zone)) === 'number' : (await soaSerialAt(port, opts.zone)) !== null), 10_000, 100);
  } catch {
    await d.stop();
    throw new Error(`nsd did not serve ${opts.zone}:\n${err}`);
  }
  return d;
}

/** Master-file text (a zone file, or kdig's AXFR output) as sorted canonical record lines. */
export function recordLines(text: string, origin: string): string[] {
  const r = parseZoneText(text, { origin: Name.fromText(origin.endsWith('.') ? origin : origin + '.'), file: 'text' });
  if (r.errors.length > 0) throw new Error(`parse: ${r.errors.map((e) => e.message).join('; ')}`);
  return r.records.map((rr) => recordToText(rr).toLowerCase()).sort();
}

/** The zone as the daemon at `port` transfers it (kdig AXFR; TSIG when `tsig`), one line per record, SOA once. */
export function axfrLines(port: number, zone: string, tsig: boolean): string[] {
  const args = ['@127.0.0.1', '-p', String(port), '+tcp', '+nocomments', '+nostats', '+noheader', zone, 'AXFR'];
  if (tsig) args.unshift('-y', `${KEY.algorithm}:${KEY.name}:${KEY.secret}`);
  const r = spawnSync('kdig', args, { encoding: 'utf8', timeout: 15_000 });
  if (r.status !== 0) throw new Error(`kdig: ${r.stdout}${r.stderr}`);
  const lines = recordLines(r.stdout.split('\n').filter((l) => !l.startsWith(';') && !/\sTSIG\s/.test(l)).join('\n'), zone);
  // AXFR carries the SOA first and last: keep one.
  const seen = new Set<string>();
  return lines.filter((l) => (/\tsoa\t/.test(l) ? (seen.has(l) ? false : (seen.add(l), true)) : true));
}

export function fileLines(path: string, zone: string): string[] {
  return recordLines(readFileSync(path, 'latin1'), zone);
}

// Owns starting and stopping the servers under test (Dunlin, NSD, Knot): generated configs, CPU pinning, readiness, stop by PID.
import { spawn, execFileSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { answersSoa } from './dnsclient.ts';
import { alive, processTree } from './procstat.ts';

/** `dunlin-dgram`: Dunlin with `udp.io: dgram` (the path without the batched-UDP addon), for A/B runs. */
export type ServerId = 'dunlin' | 'dunlin-dgram' | 'nsd' | 'knot';
export const SERVER_IDS: readonly ServerId[] = ['dunlin', 'dunlin-dgram', 'nsd', 'knot'];

export function isDunlin(id: ServerId): boolean {
  return id === 'dunlin' || id === 'dunlin-dgram';
}

export interface StartOptions {
  zoneName: string;
  zoneFile: string;
  workers: number;
  /** taskset CPU list, e.g. "1" or "0,1". */
  cpus: string;
  /** Directory for configs, pid files and logs; created if missing. */
  dir: string;
  /** Extra node flags for Dunlin (e.g. --cpu-prof). */
  nodeFlags?: readonly string[];
  readyTimeoutMs?: number;
}

export interface Running {
  readonly id: ServerId;
  readonly pid: number;
  readonly port: number;
  readonly workers: number;
  /** Spawn to first authoritative SOA answer, in ms. */
  readonly firstAnswerMs: number;
  /** Spawn to Dunlin's `dunlin ready` line, in ms (Dunlin only). */
  readonly readyLineMs: number | undefined;
  stop(): Promise<void>;
  stderrTail(): string;
}

const live = new Set<ChildProcess>();
const liveTrees = new Map<number, () => number[]>();

/** Last-resort cleanup: SIGKILL every server tree still running when this process exits (no stray daemons). */
export function killAllSync(): void {
  for (const [pid, tree] of liveTrees) {
    let pids: number[] = [];
    try {
      pids = tree();
    } catch {
      pids = [pid];
    }
    for (const p of pids.length > 0 ? pids : [pid]) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  liveTrees.clear();
  live.clear();
}

/** Registers a helper process (a load generator) so that killAllSync also ends it; returns the unregister function. */
export function trackProcess(pid: number): () => void {
  liveTrees.set(pid, () => processTree(pid));
  return () => {
    liveTrees.delete(pid);
  };
}

/** A port > 1024 currently free for both UDP and TCP on 127.0.0.1. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20000 + Math.floor(Math.random() * 30000);
    const ok = await new Promise<boolean>((resolve) => {
      const srv = createServer();
      srv.once('error', () => resolve(false));
      srv.listen(port, '127.0.0.1', () => {
        const u = createSocket('udp4');
        u.once('error', () => {
          u.close();
          srv.close(() => resolve(false));
        });
        u.bind(port, '127.0.0.1', () => {
          u.close();
          srv.close(() => resolve(true));
        });
      });
    });
    if (ok) return port;
  }
  throw new Error('no free port found');
}

export function serverVersion(id: ServerId): string {
  try {
    switch (id) {
      case 'nsd':
        // nsd -v writes its version to stderr.
        return execFileSync('sh', ['-c', 'nsd -v 2>&1'], { encoding: 'utf8' }).split('\n')[0]!.trim();
      case 'knot':
        return execFileSync('knotd', ['--version'], { encoding: 'utf8' }).trim();
      case 'dunlin':
      case 'dunlin-dgram': {
        const git = (...args: string[]): string => execFileSync('git', args, { encoding: 'utf8', cwd: repoRoot() }).trim();
        const dirty = git('status', '--porcelain', '--', 'src') !== '' ? ' + uncommitted changes in src/' : '';
        return `Dunlin (git ${git('rev-parse', '--short', 'HEAD')}${dirty}) on Node ${process.version}`;
      }
    }
  } catch (err) {
    // nsd -v prints to stderr and exits 0 on some builds, 1 on others.
    const e = err as { stderr?: string | Buffer };
    const text = e.stderr?.toString() ?? '';
    if (text.trim() !== '') return text.split('\n')[0]!.trim();
    return `${id}: unknown version`;
  }
}

export function repoRoot(): string {
  return new URL('..', import.meta.url).pathname;
}

function nsdConf(o: StartOptions, port: number): string {
  const d = o.dir;
  return `server:
  ip-address: 127.0.0.1@${port}
  port: ${port}
  server-count: ${o.workers}
  reuseport: ${o.workers > 1 ? 'yes' : 'no'}
  username: ""
  chroot: ""
  zonesdir: "${d}"
  pidfile: "${d}/nsd.pid"
  xfrdfile: "${d}/xfrd.state"
  zonelistfile: "${d}/zone.list"
  database: ""
  logfile: "${d}/nsd.log"
  verbosity: 0
  tcp-count: 1000
  tcp-timeout: 30
  # Response rate limiting would throttle a benchmark from one source address.
  rrl-ratelimit: 0
  refuse-any: no
remote-control:
  control-enable: no
zone:
  name: "${o.zoneName}"
  zonefile: "${o.zoneFile}"
`;
}

function knotConf(o: StartOptions, port: number): string {
  const d = o.dir;
  return `server:
    rundir: "${d}"
    listen: 127.0.0.1@${port}
    udp-workers: ${o.workers}
    tcp-workers: ${o.workers}
    background-workers: ${o.workers}
    tcp-max-clients: 1000
control:
    listen: "${d}/knot.sock"
database:
    storage: "${d}/db"
log:
  - target: stderr
    any: warning
template:
  - id: default
    storage: "${d}"
    semantic-checks: off
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none
zone:
  - domain: "${o.zoneName}"
    file: "${o.zoneFile}"
`;
}

function command(id: ServerId, o: StartOptions, port: number): { cmd: string; args: string[] } {
  switch (id) {
    case 'nsd': {
      const conf = join(o.dir, 'nsd.conf');
      writeFileSync(conf, nsdConf(o, port));
      return { cmd: 'nsd', args: ['-d', '-c', conf] };
    }
    case 'knot': {
      const conf = join(o.dir, 'knot.conf');
      mkdirSync(join(o.dir, 'db'), { recursive: true });
      writeFileSync(conf, knotConf(o, port));
      return { cmd: 'knotd', args: ['-c', conf] };
    }
    case 'dunlin':
    case 'dunlin-dgram': {
      // Always a config file in the run's directory: `storage` (journals) defaults to the config's
      // directory, which without a file would be the working directory, the repository.
      writeFileSync(join(o.dir, 'dunlin.yaml'), `storage: ${JSON.stringify(o.dir)}\nudp:\n  io: ${id === 'dunlin-dgram' ? 'dgram' : 'auto'}\n`);
      const config = ['--config', join(o.dir, 'dunlin.yaml')];
      return {
        cmd: process.execPath,
        args: [
          ...(o.nodeFlags ?? []),
          builtCli(), 'serve', ...config,
          '--listen', `127.0.0.1:${port}`,
          '--zone', `${o.zoneName.replace(/\.$/, '')}=${o.zoneFile}`,
          '--workers', String(o.workers),
          // Own control socket per instance (the default path is shared); warn level like NSD verbosity 0 / Knot "warning".
          '--control', join(o.dir, 'control.sock'),
          '--log-level', 'warn',
        ],
      };
    }
  }
}

/** The environment Dunlin's packaged service runs with (contrib/systemd/dunlin.service). */
export const DUNLIN_ENV: Readonly<Record<string, string>> = { MALLOC_MMAP_THRESHOLD_: '131072', NODE_OPTIONS: '--max-semi-space-size=4' };

let built: string | null = null;

/**
 * Dunlin as it ships: the compiled dist/ (npm pack builds it), built once per bench run. Running
 * src/ would add type stripping of every module in every thread to the start-up time (~0.4 s).
 */
export function builtCli(): string {
  if (built === null) {
    const root = repoRoot();
    execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit', cwd: root });
    built = join(root, 'dist/cli/main.js');
  }
  return built;
}

/** Starts one server pinned with taskset and waits until it answers the zone's SOA. */
export async function startServer(id: ServerId, o: StartOptions): Promise<Running> {
  // freePort() cannot reserve the port: another process may take it before the server binds. Retry with a new one.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(id, o, await freePort());
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      if (attempt >= 3 || !/EADDRINUSE|address already in use|Address in use/i.test(msg)) throw err;
    }
  }
}

async function startOnce(id: ServerId, o: StartOptions, port: number): Promise<Running> {
  mkdirSync(o.dir, { recursive: true });
  const { cmd, args } = command(id, o, port);
  const t0 = performance.now();
  // taskset execs the server, so the child's pid is the server's pid and its children inherit the mask.
  // Dunlin runs with the environment its packaged service sets (docs/deployment.md): big buffers
  // always mmap()ed, so the memory of a zone load goes back to the system (glibc keeps it otherwise).
  const env = isDunlin(id) ? { ...process.env, ...DUNLIN_ENV } : process.env;
  const child = spawn('taskset', ['-c', o.cpus, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'], cwd: repoRoot(), env });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${id}: spawn failed`);
  live.add(child);
  liveTrees.set(pid, () => processTree(pid));
  let stderr = '';
  let stdout = '';
  let readyLineMs: number | undefined;
  let exited = false;
  child.stderr.setEncoding('utf8').on('data', (s: string) => {
    stderr = (stderr + s).slice(-8000);
  });
  child.stdout.setEncoding('utf8').on('data', (s: string) => {
    stdout = (stdout + s).slice(-8000);
    if (readyLineMs === undefined && /^dunlin ready /m.test(stdout)) readyLineMs = performance.now() - t0;
  });
  const exitP = new Promise<void>((resolve) => child.once('exit', () => {
    exited = true;
    resolve();
  }));

  const stop = async (): Promise<void> => {
    if (!liveTrees.has(pid)) return;
    const tree = processTree(pid);
    if (!exited) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // already gone
      }
      await Promise.race([exitP, sleep(10_000)]);
    }
    // Anything of the tree still alive after the grace period (or orphaned workers) gets SIGKILL, by pid.
    for (const p of tree) {
      if (alive(p)) {
        try {
          process.kill(p, 'SIGKILL');
        } catch {
          // raced with its exit
        }
      }
    }
    if (!exited) await Promise.race([exitP, sleep(2_000)]);
    liveTrees.delete(pid);
    live.delete(child);
  };

  const deadline = t0 + (o.readyTimeoutMs ?? 60_000);
  try {
    for (;;) {
      if (exited) throw new Error(`${id} exited during startup: ${stderr.trim().split('\n').slice(-5).join(' / ')}`);
      if (performance.now() > deadline) throw new Error(`${id} not answering after ${o.readyTimeoutMs ?? 60_000} ms: ${stderr.trim().split('\n').slice(-5).join(' / ')}`);
      // ICMP port-unreachable is not reported on an unconnected UDP socket, so a short timeout bounds the resolution.
      if (await answersSoa(port, o.zoneName, 30)) break;
      await sleep(5);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  const firstAnswerMs = performance.now() - t0;
  // Dunlin prints its ready line once every worker reported; it may come just after the first answer.
  if (isDunlin(id)) {
    const lineDeadline = performance.now() + 10_000;
    while (readyLineMs === undefined && !exited && performance.now() < lineDeadline) await sleep(5);
  }
  return {
    id, pid, port, workers: o.workers, firstAnswerMs, stop,
    get readyLineMs() {
      return readyLineMs;
    },
    stderrTail: () => stderr,
  };
}

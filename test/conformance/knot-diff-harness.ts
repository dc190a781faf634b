// Owns the processes and sockets of the Knot differential test: knotd in a temp dir, Dunlin, and a UDP/TCP client.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import net from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixedContext } from '../../src/responder/index.ts';
import type { SyncRespondFn } from '../../src/responder/index.ts';

export interface Target {
  readonly name: string;
  readonly port: number;
  /** TCP port when it differs from the UDP port. */
  readonly tcpPort?: number;
}

export interface ZoneSpec {
  readonly origin: string; // without trailing dot
  readonly file: string; // absolute path
}

/** A port free for both UDP and TCP on 127.0.0.1 (knotd binds both). */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const s = net.createServer();
      s.once('error', reject);
      s.listen(0, '127.0.0.1', () => {
        const a = s.address();
        s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
      });
    });
    const ok = await new Promise<boolean>((resolve) => {
      const u = dgram.createSocket('udp4');
      u.once('error', () => { u.close(); resolve(false); });
      u.bind(port, '127.0.0.1', () => u.close(() => resolve(true)));
    });
    if (ok && port > 1024) return port;
  }
  throw new Error('no free port');
}

/** One query over UDP; resolves null after `timeoutMs` without an answer. */
export function udpQuery(port: number, msg: Uint8Array, timeoutMs = 1500): Promise<Uint8Array | null> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    let done = false;
    const finish = (v: Uint8Array | null): void => {
      if (done) return;
      done = true;
      clearTimeout(t);
      s.close();
      resolve(v);
    };
    const t = setTimeout(() => finish(null), timeoutMs);
    s.on('error', () => finish(null));
    s.on('message', (m) => finish(new Uint8Array(m)));
    s.send(msg, port, '127.0.0.1');
  });
}

/** One query over a fresh TCP connection (RFC 7766 two-octet length framing). */
export function tcpQuery(port: number, msg: Uint8Array, timeoutMs = 1500): Promise<Uint8Array | null> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    let done = false;
    const finish = (v: Uint8Array | null): void => {
      if (done) return;
      done = true;
      clearTimeout(t);
      s.destroy();
      resolve(v);
    };
    const t = setTimeout(() => finish(null), timeoutMs);
    s.on('error', () => finish(null));
    s.on('close', () => finish(null));
    s.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 2) {
        const len = buf.readUInt16BE(0);
        if (buf.length >= 2 + len) finish(new Uint8Array(buf.subarray(2, 2 + len)));
      }
    });
    const framed = Buffer.alloc(2 + msg.length);
    framed.writeUInt16BE(msg.length, 0);
    framed.set(msg, 2);
    s.write(framed);
  });
}

export interface Spawned {
  readonly target: Target;
  readonly child: ChildProcess;
  readonly dir: string;
  /** Kills the process by PID and removes its temp dir. */
  stop(): Promise<void>;
}

async function waitReady(port: number, probe: Uint8Array, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const r = await udpQuery(port, probe, 200);
    if (r) return;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`server on port ${port} did not answer within ${ms} ms`);
}

function killChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return resolve();
    const t = setTimeout(() => { try { process.kill(child.pid!, 'SIGKILL'); } catch { /* already gone */ } }, 3000);
    child.once('exit', () => { clearTimeout(t); resolve(); });
    try { process.kill(child.pid, 'SIGTERM'); } catch { clearTimeout(t); resolve(); }
  });
}

/** Starts knotd with a generated config in a temp dir (rundir, pidfile, database, control socket all there). */
export async function startKnot(zones: readonly ZoneSpec[], probe: Uint8Array): Promise<Spawned> {
  const dir = mkdtempSync(join(tmpdir(), 'dunlin-knot-'));
  const port = await freePort();
  const conf = [
    'server:',
    `    rundir: "${dir}"`,
    `    pidfile: "${join(dir, 'knot.pid')}"`,
    `    listen: 127.0.0.1@${port}`,
    '    udp-workers: 1',
    '    tcp-workers: 1',
    '    background-workers: 1',
    '    identity: ""',
    '    version: ""',
    '    nsid: ""',
    'database:',
    `    storage: "${join(dir, 'db')}"`,
    'control:',
    `    listen: "${join(dir, 'knot.sock')}"`,
    'log:',
    '  - target: stderr',
    '    any: warning',
    'template:',
    '  - id: default',
    `    storage: "${dir}"`,
    '    semantic-checks: off',
    '    zonefile-sync: -1',
    '    zonefile-load: whole',
    '    journal-content: none',
    'zone:',
    ...zones.flatMap((z) => [`  - domain: ${z.origin}`, `    file: "${z.file}"`]),
    '',
  ].join('\n');
  writeFileSync(join(dir, 'knot.conf'), conf);
  const child = spawn('knotd', ['-c', join(dir, 'knot.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
  const stop = async (): Promise<void> => {
    await killChild(child);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitReady(port, probe, 10_000);
  } catch (e) {
    await stop();
    throw new Error(`knotd failed: ${(e as Error).message}\n${stderr}`);
  }
  return { target: { name: 'knot', port }, child, dir, stop };
}

/** Starts `dunlin serve` (the real CLI) and parses the bound UDP port from its ready line. */
export async function startDunlin(zones: readonly ZoneSpec[], probe: Uint8Array, cliPath: string, listen = '127.0.0.1:0'): Promise<Spawned> {
  const dir = mkdtempSync(join(tmpdir(), 'dunlin-diff-'));
  const args = [cliPath, 'serve', '--listen', listen, '--workers', '1', ...zones.flatMap((z) => ['--zone', `${z.origin}=${z.file}`])];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir });
  let out = '';
  const stop = async (): Promise<void> => {
    await killChild(child);
    rmSync(dir, { recursive: true, force: true });
  };
  const [port, tcpPort] = await new Promise<[number, number]>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`dunlin serve printed no ready line:\n${out}`)), 15_000);
    const onData = (d: Buffer): void => {
      out += d.toString();
      // The one ready line: "dunlin ready udp=ADDR[,ADDR] tcp=ADDR[,ADDR] workers=N pid=PID".
      const m = /dunlin ready udp=127\.0\.0\.1:(\d+)\S* tcp=127\.0\.0\.1:(\d+)/.exec(out);
      if (m) {
        clearTimeout(t);
        resolve([Number(m[1]), Number(m[2])]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (d: Buffer) => { out += d.toString(); });
    child.once('exit', (code) => { clearTimeout(t); reject(new Error(`dunlin serve exited ${code}:\n${out}`)); });
  }).catch(async (e: unknown) => { await stop(); throw e; });
  await waitReady(port, probe, 10_000).catch(async (e: unknown) => { await stop(); throw e; });
  return { target: { name: 'dunlin', port, tcpPort }, child, dir, stop };
}

export interface InProcess {
  readonly target: Target;
  stop(): Promise<void>;
}

/**
 * The responder behind a minimal UDP + TCP listener, for use until `dunlin serve` exists. It is
 * test scaffolding only: the real transports live in src/transport.
 */
export async function startInProcess(respond: SyncRespondFn): Promise<InProcess> {
  const UDP = fixedContext('udp');
  const TCP = fixedContext('tcp');
  const udp = dgram.createSocket('udp4');
  udp.on('message', (msg, rinfo) => {
    const r = respond(new Uint8Array(msg), UDP);
    if (r) udp.send(Buffer.from(r), rinfo.port, rinfo.address);
  });
  const port = await new Promise<number>((resolve) => udp.bind(0, '127.0.0.1', () => resolve(udp.address().port)));
  const sockets = new Set<net.Socket>();
  const tcp = net.createServer((s) => {
    sockets.add(s);
    let buf = Buffer.alloc(0);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => s.destroy());
    s.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const len = buf.readUInt16BE(0);
        const r = respond(new Uint8Array(buf.subarray(2, 2 + len)), TCP);
        buf = buf.subarray(2 + len);
        if (r) {
          const f = Buffer.alloc(2 + r.length);
          f.writeUInt16BE(r.length, 0);
          f.set(r, 2);
          s.write(f);
        }
      }
    });
  });
  await new Promise<void>((resolve, reject) => { tcp.once('error', reject); tcp.listen(port, '127.0.0.1', () => resolve()); });
  return {
    target: { name: 'dunlin', port },
    stop: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => tcp.close(() => resolve()));
      await new Promise<void>((resolve) => udp.close(() => resolve()));
    },
  };
}

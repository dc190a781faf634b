// Owns `dunlin sockstat`: a running server's connections, fds vs RLIMIT_NOFILE and kernel TCP states, for operators and scripts.
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { controlRequest, ControlClientError } from '../control/client.ts';
import { defaultControlSocketPath } from '../control/paths.ts';
import { findSocket, fmtMs } from './control-cli.ts';
import type { SockstatResult, ProcessReport, WorkerView } from '../control/protocol.ts';
import { CLOSE_REASONS } from '../transport/registry-types.ts';

const usage = `usage: dunlin sockstat [--config FILE | --socket PATH] [--json] [--watch] [--interval MS] [--limit N]

Shows a running server's TCP connections (oldest first, per worker thread), close
reasons, the process's open fds against its RLIMIT_NOFILE, the kernel's TCP states
of the sockets it holds, sockets no worker registry knows, and CLOSE_WAIT sockets
that persist (leaks).

  --config FILE   find the control socket from this config file's control.socket
  --socket PATH   control socket (default ${defaultControlSocketPath()})
  --json          print the raw sample as JSON (one line per sample with --watch)
  --watch         refresh until interrupted (Ctrl-C)
  --interval MS   refresh period for --watch (default 1000, min 100)
  --limit N       connections listed per worker (default 20; --json default 1000)

exit codes: 0 ok, 1 server unreachable or error, 2 usage`;

function fmtBytes(n: number | null): string {
  if (n === null) return '-';
  if (n >= 1024 * 1024 * 1024) return `${(n / 1024 / 1024 / 1024).toFixed(1)}GiB`;
  if (n >= 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)}MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)}KiB`;
  return `${n}B`;
}

function table(rows: string[][], rightAlign: ReadonlySet<number> = new Set()): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => { widths[i] = Math.max(widths[i] ?? 0, c.length); });
  return rows.map((r) => r.map((c, i) => (rightAlign.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n');
}

function states(counts: Partial<Record<string, number>>): string {
  const parts = Object.entries(counts).filter(([, n]) => (n ?? 0) > 0).sort((a, b) => a[0].localeCompare(b[0])).map(([s, n]) => `${s}=${n}`);
  return parts.length ? parts.join(' ') : '-';
}

function processName(p: ProcessReport): string {
  return p.role === 'primary' ? 'server' : 'other';
}

function renderWorker(w: WorkerView): string {
  const lines: string[] = [];
  lines.push(`worker ${w.worker} (thread ${w.threadId}): ${w.openTotal} open [${states(w.byState)}]  accepted ${w.accepted}  queries udp ${w.udpQueries} tcp ${w.tcpQueries}  udp io ${w.udpIo}`);
  lines.push(`  kernel: ${w.kernelConnections} of its connections seen as TCP sockets of the process`);
  lines.push(`  closed by reason: ${CLOSE_REASONS.map((r) => `${r}=${w.closedByReason[r]}`).join(' ')}`);
  if (w.connections.length > 0) {
    const rows = [['ID', 'STATE', 'PEER', 'AGE', 'IDLE', 'IN', 'OUT', 'QUERIES']];
    for (const c of w.connections) {
      rows.push([String(c.id), c.state, c.peer, fmtMs(c.ageMs), fmtMs(c.idleMs), String(c.bytesIn), String(c.bytesOut), String(c.queries)]);
    }
    lines.push(table(rows, new Set([0, 3, 4, 5, 6, 7])).split('\n').map((l) => '  ' + l).join('\n'));
    if (w.openTotal > w.connections.length) lines.push(`  ... and ${w.openTotal - w.connections.length} more (newer)`);
  }
  return lines.join('\n');
}

/** Human-readable rendering of one sample. */
export function renderSockstat(s: SockstatResult, socketPath: string): string {
  const out: string[] = [];
  out.push(`dunlin sockstat  ${s.time}  uptime ${fmtMs(s.uptimeMs)}  control ${socketPath}`);
  out.push('');
  const rows = [['PROCESS', 'PID', 'FDS', 'LIMIT', 'USE', 'SOCKETS', 'RSS', 'KERNEL TCP STATES']];
  for (const p of s.processes) {
    rows.push([
      processName(p), String(p.pid), p.alive ? String(p.fds) : 'gone', p.fdLimitSoft === null ? 'unlimited' : String(p.fdLimitSoft),
      p.fdPercent === null ? '-' : `${p.fdPercent.toFixed(1)}%`, String(p.fdKinds?.socket ?? 0), fmtBytes(p.rssBytes), states(p.tcpStates),
    ]);
  }
  out.push(table(rows, new Set([1, 2, 3, 4, 5, 6])));
  for (const p of s.processes) {
    if (p.fdPercent !== null && p.fdPercent >= 80) out.push(`WARNING: ${processName(p)} (pid ${p.pid}) uses ${p.fdPercent}% of its fd limit`);
    const untracked = p.untracked > 0 ? `, ${p.untracked} NOT in any worker registry (a leak if it persists)` : '';
    out.push(`${processName(p)} (pid ${p.pid}): ${p.kernelConnections} TCP connection socket(s) held${untracked}`);
  }
  out.push('');
  for (const w of s.workers) out.push(renderWorker(w), '');
  if (s.silentWorkers.length) out.push(`workers that did not report: ${s.silentWorkers.join(', ')}`, '');
  out.push(`sockets on our ports that no process holds: ${states(s.orphans)}  (TIME_WAIT after our close is normal)`);
  if (s.leaks.length === 0) {
    out.push(`leaks: none (no socket held in CLOSE_WAIT for more than ${fmtMs(s.leakAfterMs)})`);
  } else {
    out.push(`LEAKS: ${s.leaks.length} socket(s) in CLOSE_WAIT for more than ${fmtMs(s.leakAfterMs)} (peer closed, we never did):`);
    const groups = new Map<string, { n: number; oldest: number; untracked: number }>();
    for (const l of s.leaks) {
      const k = `pid ${l.pid} on ${l.local}`;
      const g = groups.get(k) ?? { n: 0, oldest: 0, untracked: 0 };
      g.n++;
      g.oldest = Math.max(g.oldest, l.ageMs);
      if (l.registryState === null) g.untracked++;
      groups.set(k, g);
    }
    for (const [k, g] of groups) out.push(`  ${k}: ${g.n} (oldest ${fmtMs(g.oldest)}; ${g.untracked} unknown to the connection registry)`);
    const rows2 = [['PID', 'INODE', 'LOCAL', 'PEER', 'FOR', 'REGISTRY']];
    for (const l of s.leaks.slice(0, 20)) rows2.push([String(l.pid), String(l.inode), l.local, l.peer, fmtMs(l.ageMs), l.registryState ?? 'unknown (fd not tracked)']);
    out.push(table(rows2, new Set([0, 1, 4])).split('\n').map((l) => '  ' + l).join('\n'));
    if (s.leaks.length > 20) out.push(`  ... and ${s.leaks.length - 20} more (--json lists all)`);
  }
  return out.join('\n') + '\n';
}

function fail(msg: string): number {
  process.stderr.write(`dunlin sockstat: ${msg}\n`);
  return 1;
}

export async function main(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args, allowPositionals: false, strict: true,
      options: {
        socket: { type: 'string' }, config: { type: 'string' }, json: { type: 'boolean', default: false }, watch: { type: 'boolean', default: false },
        interval: { type: 'string' }, limit: { type: 'string' }, help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    process.stderr.write(`dunlin sockstat: ${err instanceof Error ? err.message : String(err)}\n${usage}\n`);
    return 2;
  }
  const v = parsed.values;
  if (v.help) { process.stdout.write(usage + '\n'); return 0; }
  const intParam = (s: string | undefined, name: string, min: number, max: number, dflt: number): number => {
    if (s === undefined) return dflt;
    const n = Number(s);
    if (!/^\d+$/.test(s) || n < min || n > max) throw new RangeError(`--${name} must be an integer ${min}..${max}, got "${s}"`);
    return n;
  };
  let interval: number;
  let limit: number;
  try {
    interval = intParam(v.interval, 'interval', 100, 3_600_000, 1000);
    limit = intParam(v.limit, 'limit', 0, 1_000_000, v.json ? 1000 : 20);
  } catch (err) {
    process.stderr.write(`dunlin sockstat: ${(err as Error).message}\n${usage}\n`);
    return 2;
  }
  const socketPath = await findSocket('sockstat', v.socket, v.config);
  if (socketPath === 1) return 1;

  const once = async (): Promise<string> => {
    const r = (await controlRequest(socketPath, 'sockstat', { args: { limit }, timeoutMs: 10_000 })) as SockstatResult;
    return v.json ? JSON.stringify(r) + '\n' : renderSockstat(r, socketPath);
  };

  if (!v.watch) {
    try {
      process.stdout.write(await once());
      return 0;
    } catch (err) {
      return fail(err instanceof ControlClientError ? err.message : String(err));
    }
  }

  // --watch: the first sample must succeed; later failures are shown and retried (the server may be restarting).
  let first: string;
  try { first = await once(); } catch (err) {
    return fail(err instanceof ControlClientError ? err.message : String(err));
  }
  const clear = !v.json && process.stdout.isTTY ? '\x1b[H\x1b[2J' : '';
  process.stdout.write(clear + first);
  const stopped = new AbortController();
  const onSigint = (): void => stopped.abort();
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  try {
    while (!stopped.signal.aborted) {
      await sleep(interval, undefined, { signal: stopped.signal }).catch(() => undefined);
      if (stopped.signal.aborted) break;
      try {
        process.stdout.write(clear + await once());
      } catch (err) {
        process.stdout.write(`${clear}${new Date().toISOString()} dunlin sockstat: ${err instanceof Error ? err.message : String(err)}\n`);
      }
    }
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
  return 0;
}

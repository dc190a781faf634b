// Owns running one timed load against a running server (dnsperf UDP/TCP, or the churn generator) and measuring the server's CPU and memory around it.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import dnsPacket from 'dns-packet';
import type { RecordType } from 'dns-packet';
import type { BenchQuery } from './gen.ts';
import { trackProcess } from './servers.ts';
import type { Running } from './servers.ts';
import { cpuJiffies, cpusBusyPct, treeCpuSeconds, treeMemory } from './procstat.ts';

export type LoadKind = 'udp' | 'tcp' | 'churn';

export interface LoadResult {
  server: string;
  kind: LoadKind;
  workers: number;
  rep: number;
  /** Completed queries (or connections, for churn) per second, as the generator measured. */
  qps: number;
  completed: number;
  sent: number;
  lostPct: number;
  /** dnsperf's average latency (or churn's connect-to-answer average), in ms. */
  latencyMs: number;
  /** Server CPU time (all processes and threads) over the run, per completed query or connection, in µs. */
  cpuUsPer: number;
  /** Server CPU use over the run, in percent of one core. */
  cpuPct: number;
  /** The load generator's own CPU use over the run (percent of one core); near 100 (per generator thread) means qps is generator-bound. */
  genCpuPct: number;
  /** How busy the server's CPUs were over the run, whoever used them (percent of one core); well above cpuPct means other jobs competed. */
  coresBusyPct: number;
  pssMiB: number;
  rssMiB: number;
  seconds: number;
  rcodes: string;
  error?: string;
}

export interface LoadSettings {
  duration: number;
  /** taskset CPU list of the server (for the busy-cores column). */
  serverCpus: string;
  /** taskset CPU list for the generator. */
  cpus: string;
  udpClients: number;
  udpOutstanding: number;
  tcpConns: number;
  tcpOutstanding: number;
  churnConcurrency: number;
  churnCmd: readonly string[];
  churnFile: string;
  queryFile: string;
}

/** Runs the generator; samples its CPU time from /proc every 100 ms (the last sample is within 100 ms of its exit). */
function run(cmd: string, args: readonly string[], timeoutMs: number, onStdout?: (chunk: string) => void): Promise<{ code: number | null; stdout: string; stderr: string; cpuSeconds: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const untrack = child.pid !== undefined ? trackProcess(child.pid) : (): void => undefined;
    let stdout = '';
    let stderr = '';
    let cpuSeconds = 0;
    const sample = (): void => {
      if (child.pid !== undefined && child.exitCode === null) cpuSeconds = Math.max(cpuSeconds, treeCpuSeconds(child.pid));
    };
    const sampler = setInterval(sample, 100);
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      stdout += s;
      onStdout?.(s);
    });
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    // The generator prints its statistics just before exiting: the freshest CPU sample is taken then.
    child.stdout.on('end', sample);
    const timer = setTimeout(() => {
      if (child.pid !== undefined) child.kill('SIGKILL');
    }, timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      clearInterval(sampler);
      untrack();
      reject(e);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      clearInterval(sampler);
      untrack();
      resolve({ code, stdout, stderr, cpuSeconds });
    });
  });
}

interface DnsperfStats {
  sent: number;
  completed: number;
  lost: number;
  qps: number;
  latency: number;
  runtime: number;
  rcodes: string;
}

export function parseDnsperf(out: string): DnsperfStats {
  const num = (re: RegExp): number => {
    const m = re.exec(out);
    if (!m) throw new Error(`dnsperf output lacks ${re.source}:\n${out.slice(-1500)}`);
    return Number(m[1]);
  };
  return {
    sent: num(/Queries sent:\s+(\d+)/),
    completed: num(/Queries completed:\s+(\d+)/),
    lost: num(/Queries lost:\s+(\d+)/),
    qps: num(/Queries per second:\s+([\d.]+)/),
    latency: num(/Average Latency \(s\):\s+([\d.]+)/),
    runtime: num(/Run time \(s\):\s+([\d.]+)/),
    rcodes: /Response codes:\s+(.*)/.exec(out)?.[1]?.trim() ?? '',
  };
}

/** Writes the churn generator's input: TCP-framed wire queries (RFC 1035 section 4.2.2), built with dns-packet. */
export function writeFramedQueries(file: string, queries: readonly BenchQuery[], count = 10_000): void {
  const parts: Buffer[] = [];
  for (let i = 0; i < Math.min(count, queries.length); i++) {
    const q = queries[i]!;
    parts.push(dnsPacket.streamEncode({ type: 'query', id: (i % 0xffff) + 1, flags: 0, questions: [{ name: q.name.replace(/\.$/, ''), type: q.type as RecordType, class: 'IN' }] }));
  }
  writeFileSync(file, Buffer.concat(parts));
}

let stdbuf: boolean | undefined;
function hasStdbuf(): boolean {
  if (stdbuf === undefined) {
    try {
      execFileSync('sh', ['-c', 'command -v stdbuf'], { stdio: 'ignore' });
      stdbuf = true;
    } catch {
      stdbuf = false;
    }
  }
  return stdbuf;
}

/** Compiles bench/churn.c into outDir when cc is available and the binary is older than the source. */
export function buildChurnC(outDir: string): string | undefined {
  const src = new URL('./churn.c', import.meta.url).pathname;
  const bin = join(outDir, 'churn');
  mkdirSync(outDir, { recursive: true });
  if (existsSync(bin) && statSync(bin).mtimeMs > statSync(src).mtimeMs) return bin;
  try {
    execFileSync('cc', ['-O2', '-Wall', '-o', bin, src], { stdio: ['ignore', 'ignore', 'pipe'] });
    return bin;
  } catch {
    return undefined;
  }
}

/** Runs one load of `kind` against `srv` for `s.duration` seconds and measures the server around it. */
export async function runLoad(srv: Running, kind: LoadKind, rep: number, s: LoadSettings): Promise<LoadResult> {
  const base = { server: srv.id, kind, workers: srv.workers, rep };
  const cpu0 = treeCpuSeconds(srv.pid);
  const jiffies0 = cpuJiffies();
  const t0 = performance.now();
  let genCpu = 0;
  const marks: { start?: Map<number, { busy: number; total: number }>; end?: Map<number, { busy: number; total: number }> } = {};
  let r: { qps: number; completed: number; sent: number; lostPct: number; latencyMs: number; rcodes: string; seconds: number };
  try {
    if (kind === 'churn') {
      const [cmd, ...pre] = s.churnCmd;
      const out = await run('taskset', ['-c', s.cpus, cmd!, ...pre, '127.0.0.1', String(srv.port), String(s.churnConcurrency), String(s.duration), s.churnFile], (s.duration + 30) * 1000);
      genCpu = out.cpuSeconds;
      const m = /completed=(\d+) errors=(\d+) seconds=([\d.]+) conns_per_sec=([\d.]+) avg_latency_us=([\d.]+)/.exec(out.stdout);
      if (!m) throw new Error(`churn failed (exit ${out.code}): ${out.stderr.slice(-500)}`);
      const completed = Number(m[1]);
      const errors = Number(m[2]);
      r = { qps: Number(m[4]), completed, sent: completed + errors, lostPct: completed + errors > 0 ? (100 * errors) / (completed + errors) : 0, latencyMs: Number(m[5]) / 1000, rcodes: '', seconds: Number(m[3]) };
    } else {
      const args = ['-c', s.cpus, 'dnsperf', '-s', '127.0.0.1', '-p', String(srv.port), '-d', s.queryFile, '-l', String(s.duration), '-T', '1'];
      if (kind === 'udp') args.push('-c', String(s.udpClients), '-q', String(s.udpOutstanding));
      else args.push('-m', 'tcp', '-c', String(s.tcpConns), '-q', String(s.tcpOutstanding));
      // Line-buffered stdout (stdbuf) makes dnsperf's "Sending queries" / "Testing complete" lines arrive when they happen,
      // so the busy share of the server's cores is taken over the load itself, not dnsperf's datafile reading.
      if (hasStdbuf()) args.splice(2, 0, 'stdbuf', '-oL');
      let sawStart = false;
      const out = await run('taskset', args, (s.duration + 60) * 1000, (chunk) => {
        if (!sawStart && chunk.includes('Sending queries')) {
          sawStart = true;
          marks.start = cpuJiffies();
        }
        if (marks.end === undefined && chunk.includes('Testing complete')) marks.end = cpuJiffies();
      });
      genCpu = out.cpuSeconds;
      const d = parseDnsperf(out.stdout);
      r = { qps: d.qps, completed: d.completed, sent: d.sent, lostPct: d.sent > 0 ? (100 * d.lost) / d.sent : 0, latencyMs: d.latency * 1000, rcodes: d.rcodes, seconds: d.runtime };
    }
  } catch (err) {
    return { ...base, qps: 0, completed: 0, sent: 0, lostPct: 100, latencyMs: 0, cpuUsPer: 0, cpuPct: 0, genCpuPct: 0, coresBusyPct: 0, pssMiB: 0, rssMiB: 0, seconds: 0, rcodes: '', error: err instanceof Error ? err.message : String(err) };
  }
  const wall = (performance.now() - t0) / 1000;
  const cpu = treeCpuSeconds(srv.pid) - cpu0;
  const jiffies1 = cpuJiffies();
  const mem = treeMemory(srv.pid);
  return {
    ...base,
    ...r,
    cpuUsPer: r.completed > 0 ? (cpu * 1e6) / r.completed : 0,
    // The generator's own start-up (dnsperf reads the datafile) is inside `wall`; the server is idle then.
    cpuPct: (100 * cpu) / Math.max(r.seconds, 1e-9),
    // Busy share of the server's cores between dnsperf's start and end lines (whole window for churn, which starts at once).
    coresBusyPct: cpusBusyPct(marks.start ?? jiffies0, marks.end ?? jiffies1, s.serverCpus),
    genCpuPct: (100 * genCpu) / Math.max(wall, 1e-9),
    pssMiB: mem.pssMiB,
    rssMiB: mem.rssMiB,
    ...(wall > r.seconds + 5 ? { error: `run took ${wall.toFixed(1)} s for ${r.seconds.toFixed(1)} s of load` } : {}),
  };
}

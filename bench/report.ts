// Owns turning benchmark results into medians, ratios to NSD, target verdicts, the console table and docs/benchmarks.md.
import type { LoadKind, LoadResult } from './load.ts';
import type { Mismatch } from './dnsclient.ts';
import type { QueryKind } from './gen.ts';
import type { SelfTime } from './cpuprofile.ts';

export interface LoadTimeResult {
  server: string;
  rep: number;
  firstAnswerMs: number;
  readyLineMs: number | undefined;
  pssMiB: number;
  maxRssMiB: number;
  rssMiB: number;
  error?: string;
}

export interface CommitResult {
  records: number;
  commits: number;
  medianMs: number;
  maxMs: number;
  layerNodes: number;
  compactMs: number;
}

export function commitLine(c: CommitResult): string {
  return `Commit of a 10-record changeset (5 names added, 5 removed, serial bumped) on the ${c.records.toLocaleString('en-US')}-record zone: median ${c.medianMs.toFixed(2)} ms, max ${c.maxMs.toFixed(2)} ms over ${c.commits} chained commits (change layer ${c.layerNodes} nodes at the end); folding that layer into a new base (compaction): ${c.compactMs.toFixed(0)} ms.`;
}

export interface CheckResult {
  workers: number;
  reference: string;
  servers: string[];
  compared: number;
  mismatches: Mismatch[];
  authorityDiffs: Mismatch[];
}

/** One server under the random-subdomain flood (1 worker), then the normal mix on the same instance. */
export interface FloodResult {
  server: string;
  /** VmRSS summed over the process tree, idle after start-up, right after the flood, and after the normal-mix run. */
  idleRssMiB: number;
  floodRssMiB: number;
  normalRssMiB: number;
  idlePssMiB: number;
  floodPssMiB: number;
  flood: LoadResult;
  normal: LoadResult | undefined;
  error?: string;
}

/** A server's memory when a query phase started it and when the phase ended (before it was stopped). */
export interface MemoryTrack {
  server: string;
  workers: number;
  phase: string;
  startRssMiB: number;
  endRssMiB: number;
  startPssMiB: number;
  endPssMiB: number;
}

export interface BenchRun {
  startedAt: string;
  finishedAt: string;
  command: string;
  machine: { nproc: number; cpu: string; kernel: string; node: string; memGiB: number; loadavgStart: string; loadavgEnd: string };
  versions: Record<string, string>;
  settings: { waitIdle: number; duration: number; reps: number; udpClients: number; udpOutstanding: number; tcpConns: number; tcpOutstanding: number; churnConcurrency: number; churnGenerator: string; seed: number };
  inputs: { smallNames: number; smallRecords: number; queries: number; mix: Record<QueryKind, number>; bigRecords: number };
  checks: CheckResult[];
  loads: LoadResult[];
  loadTimes: LoadTimeResult[];
  /** 10-record changesets committed on the loaded 1M-record zone, in the bench process. */
  commits?: CommitResult | undefined;
  /** The flood phase (absent in runs saved before it existed). */
  floods?: FloodResult[] | undefined;
  floodSettings?: { duration: number; names: number } | undefined;
  /** Memory of each server over each query phase. */
  memory?: MemoryTrack[] | undefined;
  errors: string[];
  note?: string;
  profile?: { rows: SelfTime[]; totalMs: number; idleMs: number; files: number; qps: number; note: string } | undefined;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export interface Summary {
  kind: LoadKind;
  workers: number;
  server: string;
  n: number;
  qps: number;
  qpsMin: number;
  qpsMax: number;
  cpuUsPer: number;
  cpuPct: number;
  coresBusyPct: number;
  genCpuPct: number;
  latencyMs: number;
  lostPct: number;
  pssMiB: number;
  failed: number;
}

export function summarize(loads: readonly LoadResult[]): Summary[] {
  const groups = new Map<string, LoadResult[]>();
  for (const l of loads) {
    const k = `${l.kind}|${l.workers}|${l.server}`;
    const g = groups.get(k);
    if (g) g.push(l);
    else groups.set(k, [l]);
  }
  const out: Summary[] = [];
  for (const g of groups.values()) {
    const ok = g.filter((l) => l.error === undefined && l.completed > 0);
    const first = g[0]!;
    out.push({
      kind: first.kind,
      workers: first.workers,
      server: first.server,
      n: ok.length,
      qps: median(ok.map((l) => l.qps)),
      qpsMin: Math.min(...ok.map((l) => l.qps)),
      qpsMax: Math.max(...ok.map((l) => l.qps)),
      cpuUsPer: median(ok.map((l) => l.cpuUsPer)),
      cpuPct: median(ok.map((l) => l.cpuPct)),
      coresBusyPct: median(ok.map((l) => l.coresBusyPct ?? NaN)),
      genCpuPct: median(ok.map((l) => l.genCpuPct ?? NaN)),
      latencyMs: median(ok.map((l) => l.latencyMs)),
      lostPct: median(ok.map((l) => l.lostPct)),
      pssMiB: median(ok.map((l) => l.pssMiB)),
      failed: g.length - ok.length,
    });
  }
  const kindOrder: LoadKind[] = ['udp', 'tcp', 'churn'];
  const serverOrder = ['dunlin', 'dunlin-dgram', 'nsd', 'knot'];
  return out.sort((a, b) => kindOrder.indexOf(a.kind) - kindOrder.indexOf(b.kind) || a.workers - b.workers || serverOrder.indexOf(a.server) - serverOrder.indexOf(b.server));
}

const f0 = (x: number): string => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '–');
const f1 = (x: number): string => (Number.isFinite(x) ? x.toFixed(1) : '–');
const f2 = (x: number): string => (Number.isFinite(x) ? x.toFixed(2) : '–');
const f3 = (x: number): string => (Number.isFinite(x) ? x.toFixed(3) : '–');

function find(sums: readonly Summary[], kind: LoadKind, workers: number, server: string): Summary | undefined {
  return sums.find((s) => s.kind === kind && s.workers === workers && s.server === server && s.n > 0);
}

export function loadTable(sums: readonly Summary[]): string {
  const lines = [
    '| load | workers | server | qps (median) | qps min–max | x NSD qps | CPU µs/query | x NSD CPU | server CPU % | its cores busy % | generator CPU % | avg latency ms | loss % | PSS MiB | runs |',
    '|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const s of sums) {
    const nsd = find(sums, s.kind, s.workers, 'nsd');
    const unit = s.kind === 'churn' ? ' (per conn)' : '';
    if (s.n === 0) {
      lines.push(`| ${s.kind} | ${s.workers} | ${s.server} | failed | | | | | | | | | | | 0/${s.failed} |`);
      continue;
    }
    lines.push(
      `| ${s.kind}${unit} | ${s.workers} | ${s.server} | ${f0(s.qps)}${s.cpuPct < 80 * s.workers ? ' †' : ''} | ${f0(s.qpsMin)}–${f0(s.qpsMax)} | ${nsd ? f2(s.qps / nsd.qps) : '–'} | ${f1(s.cpuUsPer)} | ${nsd ? f2(s.cpuUsPer / nsd.cpuUsPer) : '–'} | ${f0(s.cpuPct)} | ${f0(s.coresBusyPct)} | ${f0(s.genCpuPct)} | ${f3(s.latencyMs)} | ${f2(s.lostPct)} | ${f0(s.pssMiB)} | ${s.n}${s.failed ? ` (+${s.failed} failed)` : ''} |`,
    );
  }
  lines.push('', '† the server used less than 80% of its CPU(s): this qps is a floor set by the generator or the shared machine; compare CPU µs instead.');
  return lines.join('\n');
}

export interface LoadTimeSummary {
  server: string;
  n: number;
  firstAnswerMs: number;
  readyLineMs: number;
  pssMiB: number;
  maxRssMiB: number;
  errors: string[];
}

export function summarizeLoadTimes(rows: readonly LoadTimeResult[]): LoadTimeSummary[] {
  const servers = [...new Set(rows.map((r) => r.server))];
  return servers.map((server) => {
    const all = rows.filter((r) => r.server === server);
    const ok = all.filter((r) => r.error === undefined);
    return {
      server,
      n: ok.length,
      firstAnswerMs: median(ok.map((r) => r.firstAnswerMs)),
      readyLineMs: median(ok.flatMap((r) => (r.readyLineMs === undefined ? [] : [r.readyLineMs]))),
      pssMiB: median(ok.map((r) => r.pssMiB)),
      maxRssMiB: median(ok.map((r) => r.maxRssMiB)),
      errors: all.flatMap((r) => (r.error === undefined ? [] : [r.error])),
    };
  });
}

export function loadTimeTable(sums: readonly LoadTimeSummary[]): string {
  const knot = sums.find((s) => s.server === 'knot' && s.n > 0);
  const lines = [
    '| server | start → first SOA answer, s | start → ready line, s | x Knot time | PSS after load, MiB | largest process RSS, MiB | x Knot PSS | runs |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const s of sums) {
    if (s.n === 0) {
      lines.push(`| ${s.server} | failed: ${s.errors[0]?.slice(0, 120) ?? ''} | | | | | | 0 |`);
      continue;
    }
    lines.push(`| ${s.server} | ${f2(s.firstAnswerMs / 1000)} | ${Number.isFinite(s.readyLineMs) ? f2(s.readyLineMs / 1000) : '–'} | ${knot ? f2(s.firstAnswerMs / knot.firstAnswerMs) : '–'} | ${f0(s.pssMiB)} | ${f0(s.maxRssMiB)} | ${knot ? f2(s.pssMiB / knot.pssMiB) : '–'} | ${s.n} |`);
  }
  return lines.join('\n');
}

export function floodTable(floods: readonly FloodResult[]): string {
  const lines = [
    '| server | idle RSS, MiB | RSS after flood, MiB | growth, MiB | flood qps | flood CPU µs/query | server CPU % | loss % | normal-mix qps | flood / normal qps | normal CPU µs/query | RSS after normal mix, MiB |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const f of floods) {
    if (f.error !== undefined && f.flood.completed === 0) {
      lines.push(`| ${f.server} | failed: ${f.error.slice(0, 120)} | | | | | | | | | | |`);
      continue;
    }
    const n = f.normal;
    const nOk = n !== undefined && n.completed > 0;
    lines.push(`| ${f.server} | ${f1(f.idleRssMiB)} | ${f1(f.floodRssMiB)} | ${f1(f.floodRssMiB - f.idleRssMiB)} | ${f0(f.flood.qps)}${f.flood.cpuPct < 80 ? ' †' : ''} | ${f1(f.flood.cpuUsPer)} | ${f0(f.flood.cpuPct)} | ${f2(f.flood.lostPct)} | ${nOk ? `${f0(n.qps)}${n.cpuPct < 80 ? ' †' : ''}` : '–'} | ${nOk ? f2(f.flood.qps / n.qps) : '–'} | ${nOk ? f1(n.cpuUsPer) : '–'} | ${f1(f.normalRssMiB)} |`);
  }
  lines.push('', '† the server used less than 80% of its CPU: this qps is a floor set by the generator or the shared machine; compare CPU µs instead.');
  return lines.join('\n');
}

export function memoryTable(rows: readonly MemoryTrack[]): string {
  const lines = [
    '| server | workers | phase | RSS at start, MiB | RSS at end, MiB | x start | PSS at start, MiB | PSS at end, MiB |',
    '|---|---:|---|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) lines.push(`| ${r.server} | ${r.workers} | ${r.phase} | ${f1(r.startRssMiB)} | ${f1(r.endRssMiB)} | ${f2(r.endRssMiB / r.startRssMiB)} | ${f1(r.startPssMiB)} | ${f1(r.endPssMiB)} |`);
  return lines.join('\n');
}

interface Verdict {
  target: string;
  measured: string;
  ok: boolean | undefined;
}

export function verdicts(sums: readonly Summary[], lt: readonly LoadTimeSummary[], floods: readonly FloodResult[] = [], memory: readonly MemoryTrack[] = []): Verdict[] {
  const out: Verdict[] = [];
  const d1 = find(sums, 'udp', 1, 'dunlin');
  const n1 = find(sums, 'udp', 1, 'nsd');
  if (d1 && n1) {
    const r = d1.qps / n1.qps;
    out.push({ target: 'UDP, 1 worker: qps >= 0.55x NSD', measured: `${f2(r)}x (CPU-based: NSD ${f1(n1.cpuUsPer)} µs/q vs Dunlin ${f1(d1.cpuUsPer)} µs/q = ${f2(n1.cpuUsPer / d1.cpuUsPer)}x)`, ok: r >= 0.55 });
  } else out.push({ target: 'UDP, 1 worker: qps >= 0.55x NSD', measured: 'not measured', ok: undefined });
  const d2 = find(sums, 'udp', 2, 'dunlin');
  if (d1 && d2) out.push({ target: 'UDP: 2 workers > 1 worker (Dunlin)', measured: `${f0(d2.qps)} vs ${f0(d1.qps)} qps (${f2(d2.qps / d1.qps)}x)`, ok: d2.qps > d1.qps });
  else out.push({ target: 'UDP: 2 workers > 1 worker (Dunlin)', measured: 'not measured', ok: undefined });
  const t1 = find(sums, 'tcp', 1, 'dunlin');
  const tn = find(sums, 'tcp', 1, 'nsd');
  if (t1 && tn) out.push({ target: 'TCP persistent, 1 worker: qps >= 2x NSD', measured: `${f2(t1.qps / tn.qps)}x (CPU: ${f1(t1.cpuUsPer)} vs ${f1(tn.cpuUsPer)} µs/q)`, ok: t1.qps / tn.qps >= 2 });
  else out.push({ target: 'TCP persistent, 1 worker: qps >= 2x NSD', measured: 'not measured', ok: undefined });
  const c1 = find(sums, 'churn', 1, 'dunlin');
  const cn = find(sums, 'churn', 1, 'nsd');
  if (c1 && cn) out.push({ target: 'new TCP connection, 1 worker: CPU <= 1.5x NSD', measured: `${f1(c1.cpuUsPer)} vs ${f1(cn.cpuUsPer)} µs/conn (${f2(c1.cpuUsPer / cn.cpuUsPer)}x)`, ok: c1.cpuUsPer / cn.cpuUsPer <= 1.5 });
  else out.push({ target: 'new TCP connection, 1 worker: CPU <= 1.5x NSD', measured: 'not measured', ok: undefined });
  const ld = lt.find((s) => s.server === 'dunlin' && s.n > 0);
  const lk = lt.find((s) => s.server === 'knot' && s.n > 0);
  if (ld && lk) {
    out.push({ target: '1M-record zone, 2 workers: load time <= 1.5x Knot', measured: `${f2(ld.firstAnswerMs / 1000)} s vs ${f2(lk.firstAnswerMs / 1000)} s (${f2(ld.firstAnswerMs / lk.firstAnswerMs)}x)`, ok: ld.firstAnswerMs / lk.firstAnswerMs <= 1.5 });
    out.push({ target: '1M-record zone, 2 workers: PSS <= 1.2x Knot', measured: `${f0(ld.pssMiB)} vs ${f0(lk.pssMiB)} MiB PSS (${f2(ld.pssMiB / lk.pssMiB)}x)`, ok: ld.pssMiB / lk.pssMiB <= 1.2 });
  } else {
    out.push({ target: '1M-record zone, 2 workers: load time <= 1.5x Knot', measured: 'not measured', ok: undefined });
    out.push({ target: '1M-record zone, 2 workers: PSS <= 1.2x Knot', measured: 'not measured', ok: undefined });
  }
  const fd = floods.find((f) => f.server === 'dunlin' && f.flood.completed > 0);
  if (fd) {
    const growth = fd.floodRssMiB - fd.idleRssMiB;
    out.push({ target: 'random-subdomain flood, 1 worker: RSS growth <= 64 MiB', measured: `${f1(fd.idleRssMiB)} → ${f1(fd.floodRssMiB)} MiB (${growth >= 0 ? '+' : ''}${f1(growth)})`, ok: growth <= 64 });
    const n = fd.normal;
    if (n !== undefined && n.completed > 0) {
      out.push({ target: 'random-subdomain flood: qps >= 0.6x normal mix', measured: `${f0(fd.flood.qps)} vs ${f0(n.qps)} qps (${f2(fd.flood.qps / n.qps)}x; CPU: ${f1(fd.flood.cpuUsPer)} vs ${f1(n.cpuUsPer)} µs/q = ${f2(n.cpuUsPer / fd.flood.cpuUsPer)}x)`, ok: fd.flood.qps / n.qps >= 0.6 });
    } else out.push({ target: 'random-subdomain flood: qps >= 0.6x normal mix', measured: 'not measured', ok: undefined });
  } else {
    out.push({ target: 'random-subdomain flood, 1 worker: RSS growth <= 64 MiB', measured: 'not measured', ok: undefined });
    out.push({ target: 'random-subdomain flood: qps >= 0.6x normal mix', measured: 'not measured', ok: undefined });
  }
  const dm = memory.filter((m) => m.server === 'dunlin');
  if (dm.length > 0) {
    const worst = dm.reduce((a, b) => (b.endRssMiB / b.startRssMiB > a.endRssMiB / a.startRssMiB ? b : a));
    out.push({ target: 'RSS after the normal runs <= 2x start (Dunlin, worst phase)', measured: `${worst.phase}, ${worst.workers} worker(s): ${f1(worst.startRssMiB)} → ${f1(worst.endRssMiB)} MiB (${f2(worst.endRssMiB / worst.startRssMiB)}x)`, ok: dm.every((m) => m.endRssMiB <= 2 * m.startRssMiB) });
  } else out.push({ target: 'RSS after the normal runs <= 2x start (Dunlin, worst phase)', measured: 'not measured', ok: undefined });
  return out;
}

function verdictTable(v: readonly Verdict[]): string {
  return ['| target | measured | met? |', '|---|---|---|', ...v.map((x) => `| ${x.target} | ${x.measured} | ${x.ok === undefined ? 'n/a' : x.ok ? 'yes' : '**no**'} |`)].join('\n');
}

function checkSection(checks: readonly CheckResult[]): string {
  if (checks.length === 0) return 'Not run in this invocation.';
  const parts: string[] = [];
  for (const c of checks) {
    parts.push(`- ${c.workers} worker(s): ${c.compared} queries sent to ${c.servers.join(', ')}, compared with ${c.reference}: ${c.mismatches.length} rcode/answer mismatches, ${c.authorityDiffs.length} authority-section differences.`);
    for (const m of c.mismatches.slice(0, 15)) parts.push(`  - \`${m.query.name} ${m.query.type}\` (${m.query.kind}) ${m.server} ${m.field}: expected \`${m.expected.slice(0, 160)}\`, got \`${m.got.slice(0, 160)}\``);
    if (c.mismatches.length > 15) parts.push(`  - … ${c.mismatches.length - 15} more`);
    // Authority sections legitimately differ (NSD adds the apex NS set to positive answers; Knot and Dunlin do not): one example per server and query kind.
    const seen = new Set<string>();
    for (const m of c.authorityDiffs) {
      const k = `${m.server}|${m.query.kind}`;
      if (seen.has(k)) continue;
      seen.add(k);
      const n = c.authorityDiffs.filter((x) => x.server === m.server && x.query.kind === m.query.kind).length;
      parts.push(`  - authority only, ${m.server}, ${n} ${m.query.kind} queries, e.g. \`${m.query.name} ${m.query.type}\`: ${c.reference} \`${m.expected.slice(0, 120) || '(empty)'}\`, ${m.server} \`${m.got.slice(0, 120) || '(empty)'}\``);
    }
  }
  return parts.join('\n');
}

function rcodeLines(loads: readonly LoadResult[]): string {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const l of loads) {
    const k = `${l.kind}|${l.workers}|${l.server}`;
    if (l.kind === 'churn' || l.rcodes === '' || seen.has(k)) continue;
    seen.add(k);
    out.push(`- ${l.kind}, ${l.workers} worker(s), ${l.server}: ${l.rcodes}`);
  }
  return out.length > 0 ? out.join('\n') : 'No dnsperf runs in this invocation.';
}

function profileSection(p: BenchRun['profile']): string {
  if (!p) return 'Not run in this invocation (`--only profile` or `--profile`).';
  const rows = p.rows.map((r, i) => `| ${i + 1} | \`${r.fn}\` | ${r.where} | ${f0(r.ms)} | ${f1(r.pct)} |`);
  return [
    `${p.note} ${p.files} profile file(s); ${f0(p.totalMs)} ms of non-idle samples, ${f0(p.idleMs)} ms idle; UDP load ran at ${f0(p.qps)} qps.`,
    '',
    '| # | function | where | self ms | % of busy |',
    '|---:|---|---|---:|---:|',
    ...rows,
  ].join('\n');
}

export function consoleReport(run: BenchRun): string {
  const sums = summarize(run.loads);
  const lt = summarizeLoadTimes(run.loadTimes);
  return [
    loadTable(sums),
    '',
    lt.length > 0 ? loadTimeTable(lt) : '(1M-zone load not run)',
    ...(run.commits ? ['', commitLine(run.commits)] : []),
    ...(run.floods && run.floods.length > 0 ? ['', floodTable(run.floods)] : []),
    ...(run.memory && run.memory.length > 0 ? ['', memoryTable(run.memory)] : []),
    '',
    verdictTable(verdicts(sums, lt, run.floods, run.memory)),
    '',
    checkSection(run.checks),
    ...(run.profile ? ['', profileSection(run.profile)] : []),
    ...(run.errors.length > 0 ? ['', 'errors:', ...run.errors.map((e) => `- ${e}`)] : []),
  ].join('\n');
}

export function markdown(run: BenchRun): string {
  const sums = summarize(run.loads);
  const lt = summarizeLoadTimes(run.loadTimes);
  const s = run.settings;
  const m = run.machine;
  return `# Benchmarks

\`npm run bench\` (\`node bench/run.ts\`) measures Dunlin against NSD and Knot on the same zone, the
same query mix and the same CPU pinning, and rewrites this file with the results. Benchmarks are
not tests: nothing in \`bench/\` runs under \`npm test\`.

## How to run

\`\`\`sh
npm run bench                                   # everything: answer check, udp, tcp, flood, 1M-zone load, churn (~18 min)
npm run bench -- --quick                        # 3 s runs, 2 reps (~4 min)
npm run bench -- --only udp,tcp --servers dunlin,nsd --reps 5 --duration 10
npm run bench -- --only profile                 # node --cpu-prof of Dunlin under UDP load, top self-time functions
npm run bench -- --only flood --flood-duration 10  # random-subdomain flood only: RSS growth and qps vs the normal mix
npm run bench -- --no-doc                       # print only, leave this file alone
\`\`\`

Other options: \`--wait-idle S\` (wait up to S s for a quiet machine before each run), \`--workers 1,2\`, \`--seed N\`, \`--big-records N\`, \`--churn c|node\`,
\`--flood-duration S\` (default 30, 5 with \`--quick\`), \`--flood-names N\` (default 1,000,000),
\`--udp-clients N\`, \`--udp-outstanding N\`, \`--tcp-outstanding N\`, \`--churn-concurrency N\`,
\`--out DIR\` (inputs and raw JSON; default \`bench/out/\`, gitignored), \`--report FILE\` (re-render a saved JSON).
The script needs \`dnsperf\`, \`nsd\`, \`knotd\`, \`taskset\` and \`cc\`; as root it installs them with
\`apt-get install dnsperf nsd knot util-linux gcc\`, otherwise it prints that command and stops.

## Method

- **Inputs** (\`bench/gen.ts\`, fixed seed, own PRNG): a zone of ~10,000 names under \`bench.test.\`
  (hosts with 1–4 A, AAAA, MX, TXT; SRV; 1,000 CNAMEs; a wildcard; 300 delegations with glue) and
  100,000 queries in dnsperf's datafile format: 70% existing name and type, 15% NXDOMAIN, 10% NODATA,
  5% CNAME, wildcard and referral. A 1,000,000-record zone under \`big.test.\` for the load test.
- **Servers** get generated configs in a temp dir, loopback ports > 1024, and are stopped by PID
  (SIGTERM, then SIGKILL to the whole process tree) at the end, on errors and on SIGINT.
  NSD: \`rrl-ratelimit: 0\`, \`database: ""\`, \`server-count\` = workers (with \`reuseport\` at 2).
  Knot: \`udp-workers\`/\`tcp-workers\`/\`background-workers\` = workers, journal off.
  Dunlin as it ships: \`node dist/cli/main.js serve --listen … --zone … --workers N\` (built from src/ by the
  bench), with the packaged service's environment \`MALLOC_MMAP_THRESHOLD_=131072\` and
  \`NODE_OPTIONS=--max-semi-space-size=4\` (docs/deployment.md).
  Its UDP goes through the batched-UDP addon (\`udp.io: auto\`, docs/udp-batching.md) when it was built;
  \`--servers dunlin-dgram\` adds the same Dunlin with \`udp.io: dgram\`, for an interleaved A/B of the two UDP paths.
- **Pinning**: with 1 worker the server runs on CPU 1 and the load generator on CPU 0
  (\`taskset\`). With 2 workers the machine has no spare core, so server and generator share both
  CPUs (\`taskset -c 0,1\` for both); 2-worker numbers therefore include the generator's competition.
- **Order**: servers are started once per worker count and measured interleaved (A B C A B C …),
  ${s.reps} rep(s) of ${s.duration} s each; tables show medians and the qps range. Phases run in the
  order udp+tcp (per worker count), flood, 1M-zone load, profile, churn: churn leaves tens of thousands of
  TIME_WAIT sockets for 60 s, which slows anything that reads \`/proc/net/tcp\` afterwards
  (Dunlin's control sampler does, in the main thread).
- **UDP**: \`dnsperf -c ${s.udpClients} -q ${s.udpOutstanding} -l ${s.duration}\` (several clients so that
  SO_REUSEPORT spreads them over workers; ${s.udpOutstanding} outstanding so that Knot's default socket
  buffer does not drop, the same for every server). **TCP**: \`dnsperf -m tcp -c ${s.tcpConns} -q ${s.tcpOutstanding}\`,
  persistent connections. **Churn**: \`bench/churn.c\` (compiled at run time; \`bench/churn.ts\` is
  the Node fallback) keeps ${s.churnConcurrency} connections in flight, each: connect, one query, read
  the answer, close. dnsperf 2.10's one-query-per-connection mode stalls ~100 ms per reconnect, so
  it is not used. Measured against Knot on this machine: the C generator spent ~36 µs of its own CPU
  (almost all kernel) per connection, the Node one ~117 µs, so C is the default; both were still the
  limit here (the server sat near 50% CPU), so for churn compare CPU µs per connection, not conn/s.
- **CPU per query**: utime+stime from \`/proc/PID/stat\` summed over the server process and all its
  descendants (threads included), before and after the run, divided by completed queries
  (connections for churn). Kernel work done in softirq context on the generator's CPU (loopback
  delivery, part of the TCP handshake) is not charged to the server, for every server alike.
- **Shared machine**: \`--wait-idle S\` makes each run wait up to S s for the machine to be quiet
  (this run: ${s.waitIdle > 0 ? `${s.waitIdle} s` : 'off'}).
- **Noise indicator**: "its cores busy %" is the busy share of the server's CPUs from
  \`/proc/stat\` over the run, whoever used them (steal included). When it is well above the server's
  own CPU %, other jobs (or loopback softirq work) competed for that core. "generator CPU %" is
  dnsperf's (or churn's) own CPU over the run, sampled from \`/proc\`: near 100 it was the limit.
- **qps is a floor when the server is not saturated.** dnsperf needs a whole core near 350k qps;
  when the server's CPU column is well under 100%, the generator (or the shared machine) was the
  limit, and CPU µs/query is the fair comparison. Both are recorded.
- **Memory**: PSS summed over the process tree (pages shared between processes counted once), and
  the largest single process's RSS. Each query phase also records every server's RSS (VmRSS from
  \`/proc/PID/status\`, summed over the tree) and PSS right after it started and at the end of the
  phase, before it is stopped ("Memory over the query phases").
- **Random-subdomain flood** (the "water torture" attack on authoritative servers): every server
  with 1 worker on CPU 1, dnsperf on CPU 0 (\`-c ${s.udpClients} -q ${s.udpOutstanding}\`) for ${run.floodSettings?.duration ?? 30} s
  over a datafile of ${(run.floodSettings?.names ?? 1_000_000).toLocaleString('en-US')} distinct names \`<random>.bench.test. A\` (every
  label starts with a digit, which no name of the zone does: all NXDOMAIN). RSS 1 s after start-up
  (idle) and right after the flood; then the normal mix on the same instance for as long, for the
  flood / normal qps ratio and CPU µs per query (that run starts with the cache as the flood left it).
- **1M-record zone load**, every server with 2 workers on 2 CPUs: time from spawn to the first
  authoritative SOA answer (polled every ~5 ms over UDP), plus Dunlin's \`dunlin ready\` line;
  memory right after.
- **Answer check** (before any timing): ${run.checks[0]?.compared ?? 200} queries spread over the mix are sent to every
  server with an independent client (\`dns-packet\`); rcode and the answer section (as sets of
  owner, TTL, type, RDATA) must equal NSD's; authority differences are listed separately.

Reference numbers measured elsewhere (same class of 2-core machine, generator and server on separate cores):
NSD 4.6, 1 process: UDP 353k–398k qps, 2.5 CPU µs/query; TCP 16 persistent 138k–149k qps;
19–21 CPU µs per new TCP connection; 1M zone 1.1 s, 471 MiB. Knot 3.2, 1 worker: UDP 267k
(generator-bound), 1.9 µs/query; TCP 152k; 19 µs/connection; 1M zone 1.0 s, 230 MiB.

## Latest results

Run ${run.startedAt} → ${run.finishedAt}: \`${run.command}\`

Machine: ${m.nproc} CPUs, ${m.cpu}, ${f0(m.memGiB)} GiB RAM, Linux ${m.kernel}, Node ${m.node}; load average at start ${m.loadavgStart}, at end ${m.loadavgEnd}.
${Object.entries(run.versions).map(([k, v]) => `${k}: ${v}`).join('; ')}.
Inputs: ${run.inputs.smallNames} names / ${run.inputs.smallRecords} records, ${run.inputs.queries} queries (${Object.entries(run.inputs.mix).map(([k, v]) => `${k} ${v}`).join(', ')}); big zone ${run.inputs.bigRecords} records.
Churn generator: ${s.churnGenerator}.

**Caveat:** this machine was shared with other jobs while these numbers were taken (see the load
averages); treat single numbers as noisy and prefer the CPU µs columns and the ratios.${run.note !== undefined ? `\n\n**Note on this run:** ${run.note}` : ''}

### Query loads

${sums.length > 0 ? loadTable(sums) : 'Not run in this invocation.'}

### 1,000,000-record zone

${lt.length > 0 ? loadTimeTable(lt) : 'Not run in this invocation.'}${run.commits ? `\n\n${commitLine(run.commits)}` : ''}

### Random-subdomain flood

${run.floods && run.floods.length > 0 ? floodTable(run.floods) : 'Not run in this invocation.'}

### Memory over the query phases

${run.memory && run.memory.length > 0 ? memoryTable(run.memory) : 'Not run in this invocation.'}

### Targets

${verdictTable(verdicts(sums, lt, run.floods, run.memory))}

### Answer check

${checkSection(run.checks)}

Response codes dnsperf counted (first run of each server and load; a server answering SERVFAIL or REFUSED under load shows here):

${rcodeLines(run.loads)}

### Where Dunlin spends its time (node --cpu-prof, UDP load, top 10 self time)

${profileSection(run.profile)}
${run.errors.length > 0 ? `\n### Errors during the run\n\n${run.errors.map((e) => `- ${e.replace(/\n/g, ' ')}`).join('\n')}\n` : ''}`;
}

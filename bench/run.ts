// Owns `npm run bench`: checks tools, generates inputs, runs Dunlin/NSD/Knot interleaved under dnsperf and churn loads, reports, writes docs/benchmarks.md.
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { generateBig, generateFlood, generateSmall } from './gen.ts';
import type { BenchQuery } from './gen.ts';
import { compareAnswers } from './dnsclient.ts';
import { killAllSync, repoRoot, SERVER_IDS, serverVersion, startServer } from './servers.ts';
import type { Running, ServerId } from './servers.ts';
import { buildChurnC, runLoad, writeFramedQueries } from './load.ts';
import type { LoadKind, LoadResult, LoadSettings } from './load.ts';
import { cpuJiffies, cpusBusyPct, treeMemory } from './procstat.ts';
import { topSelfTime } from './cpuprofile.ts';
import { commitLine, consoleReport, markdown, median } from './report.ts';
import type { BenchRun, CheckResult, CommitResult, FloodResult, LoadTimeResult } from './report.ts';
import { loadZoneIntoStore, NodeFlag, nextSerial, updateZone } from '../src/store/index.ts';
import { RRType } from '../src/wire/constants.ts';
import { Name } from '../src/wire/name.ts';

const usage = `usage: node bench/run.ts [options]
  --quick                 3 s runs, 2 reps, 1 load-time rep
  --only LIST             any of check,udp,tcp,flood,churn,load,profile (default: all but profile)
  --servers LIST          any of dunlin,dunlin-dgram,nsd,knot (default: dunlin,nsd,knot; dunlin-dgram is Dunlin with udp.io: dgram)
  --workers LIST          server worker counts (default: 1,2)
  --reps N                repetitions per load, interleaved (default 3)
  --duration S            seconds per load run (default 10)
  --flood-duration S      seconds of the random-subdomain flood and of the normal-mix run after it (default 30, --quick 5)
  --flood-names N         distinct names in the flood's datafile (default 1000000)
  --seed N                input generator seed (default 1)
  --big-records N         records in the big zone (default 1000000)
  --churn c|node          churn generator (default c when cc works)
  --udp-clients N         dnsperf -c for UDP (default 16)
  --udp-outstanding N     dnsperf -q for UDP (default 200)
  --tcp-outstanding N     dnsperf -q for TCP (default 200)
  --churn-concurrency N   connections in flight for churn (default 64)
  --wait-idle S           before each run, wait up to S seconds for the machine to be quiet (< 25% of one CPU busy over 0.5 s; default 0 = off)
  --profile               also run the --cpu-prof pass (same as adding profile to --only)
  --out DIR               inputs and raw JSON (default bench/out)
  --note TEXT             a sentence about the conditions of this run, printed under the results
  --report FILE           only re-render a saved results JSON (console and docs/benchmarks.md)
  --no-doc                do not rewrite docs/benchmarks.md`;

const ALL_STEPS = ['check', 'udp', 'tcp', 'flood', 'churn', 'load', 'profile'] as const;
type Step = (typeof ALL_STEPS)[number];

function list<T extends string>(value: string, allowed: readonly T[], what: string): T[] {
  const items = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const i of items) if (!(allowed as readonly string[]).includes(i)) throw new Error(`unknown ${what} "${i}" (allowed: ${allowed.join(', ')})`);
  return items as T[];
}

function positive(value: string, what: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${what} must be a positive number, got "${value}"`);
  return n;
}

function parseOptions(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      servers: { type: 'string', default: 'dunlin,nsd,knot' },
      workers: { type: 'string', default: '1,2' },
      reps: { type: 'string' },
      duration: { type: 'string' },
      'flood-duration': { type: 'string' },
      'flood-names': { type: 'string', default: '1000000' },
      seed: { type: 'string', default: '1' },
      'big-records': { type: 'string', default: '1000000' },
      churn: { type: 'string' },
      'udp-clients': { type: 'string', default: '16' },
      'udp-outstanding': { type: 'string', default: '200' },
      'tcp-outstanding': { type: 'string', default: '200' },
      'churn-concurrency': { type: 'string', default: '64' },
      profile: { type: 'boolean', default: false },
      'wait-idle': { type: 'string', default: '0' },
      out: { type: 'string', default: join(repoRoot(), 'bench/out') },
      'no-doc': { type: 'boolean', default: false },
      report: { type: 'string' },
      note: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  const steps = new Set<Step>(values.only !== undefined ? list(values.only, ALL_STEPS, 'step') : ALL_STEPS.filter((s) => s !== 'profile'));
  if (values.profile) steps.add('profile');
  const churn = values.churn;
  if (churn !== undefined && churn !== 'c' && churn !== 'node') throw new Error('--churn must be c or node');
  return {
    help: values.help,
    steps,
    servers: list(values.servers, SERVER_IDS, 'server'),
    workers: values.workers.split(',').map((w) => positive(w, '--workers')),
    reps: positive(values.reps ?? (values.quick ? '2' : '3'), '--reps'),
    duration: positive(values.duration ?? (values.quick ? '3' : '10'), '--duration'),
    floodDuration: positive(values['flood-duration'] ?? (values.quick ? '5' : '30'), '--flood-duration'),
    floodNames: positive(values['flood-names'], '--flood-names'),
    loadReps: values.quick ? 1 : Math.min(3, positive(values.reps ?? '3', '--reps')),
    seed: Number(values.seed) >>> 0,
    bigRecords: positive(values['big-records'], '--big-records'),
    churn,
    udpClients: positive(values['udp-clients'], '--udp-clients'),
    udpOutstanding: positive(values['udp-outstanding'], '--udp-outstanding'),
    tcpOutstanding: positive(values['tcp-outstanding'], '--tcp-outstanding'),
    churnConcurrency: positive(values['churn-concurrency'], '--churn-concurrency'),
    waitIdle: Number(values['wait-idle']) >= 0 ? Number(values['wait-idle']) : 0,
    out: resolve(values.out),
    writeDoc: !values['no-doc'],
    report: values.report,
    note: values.note,
  };
}

type Options = ReturnType<typeof parseOptions>;

function have(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Makes sure the external tools exist: installs them as root, otherwise says exactly what to install (cc is optional). */
function ensureTools(o: Options): void {
  const need: [string, string][] = [['dnsperf', 'dnsperf'], ['taskset', 'util-linux'], ['cc', 'gcc']];
  if (o.servers.includes('nsd')) need.push(['nsd', 'nsd']);
  if (o.servers.includes('knot')) need.push(['knotd', 'knot']);
  let missing = need.filter(([cmd]) => !have(cmd));
  if (missing.length > 0 && process.getuid?.() === 0) {
    const pkgs = [...new Set(missing.map(([, p]) => p))];
    log(`installing ${pkgs.join(' ')} with apt-get`);
    // A temporary policy-rc.d keeps the packages from starting daemons on port 53 during installation.
    const script = [
      'created=0',
      '[ -e /usr/sbin/policy-rc.d ] || { printf \'#!/bin/sh\\nexit 101\\n\' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && created=1; }',
      `apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ${pkgs.join(' ')}`,
      'rc=$?',
      '[ "$created" = 1 ] && rm -f /usr/sbin/policy-rc.d',
      'exit $rc',
    ].join('\n');
    execFileSync('sh', ['-c', script], { stdio: 'inherit' });
    missing = need.filter(([cmd]) => !have(cmd));
  }
  if (missing.length === 1 && missing[0]![0] === 'cc') {
    log('cc not found: the Node churn generator (bench/churn.ts) will be used; install gcc for bench/churn.c');
    return;
  }
  if (missing.length > 0) {
    throw new Error(`missing tools: ${missing.map(([c]) => c).join(', ')}; install them with: sudo apt-get install ${[...new Set(missing.map(([, p]) => p))].join(' ')}`);
  }
}

function log(msg: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

function machine(): BenchRun['machine'] {
  const cpuModel = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpus()[0]?.model ?? 'unknown';
  return {
    nproc: Number(execFileSync('nproc', { encoding: 'utf8' }).trim()),
    cpu: cpuModel.trim(),
    kernel: readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim(),
    node: process.version,
    memGiB: totalmem() / 2 ** 30,
    loadavgStart: loadavg().map((x) => x.toFixed(2)).join(' '),
    loadavgEnd: '',
  };
}

/** Every 500th query of the mix, plus a few of each rarer kind, so the check covers all answer shapes. */
function checkSample(queries: readonly BenchQuery[], n = 200): BenchQuery[] {
  const out: BenchQuery[] = [];
  const step = Math.max(1, Math.floor(queries.length / (n - 30)));
  for (let i = 0; i < queries.length && out.length < n - 30; i += step) out.push(queries[i]!);
  for (const kind of ['cname', 'wildcard', 'referral', 'nodata', 'nxdomain'] as const) {
    out.push(...queries.filter((q) => q.kind === kind).slice(0, 6));
  }
  return out;
}

async function main(): Promise<number> {
  const o = parseOptions(process.argv.slice(2));
  if (o.help) {
    process.stdout.write(usage + '\n');
    return 0;
  }
  if (o.report !== undefined) {
    const saved = JSON.parse(readFileSync(o.report, 'utf8')) as BenchRun;
    if (o.note !== undefined) saved.note = o.note;
    process.stdout.write(consoleReport(saved) + '\n');
    if (o.writeDoc) {
      writeFileSync(join(repoRoot(), 'docs/benchmarks.md'), markdown(saved));
      log('wrote docs/benchmarks.md');
    }
    return 0;
  }
  ensureTools(o);
  const startedAt = new Date().toISOString();
  const runDir = mkdtempSync(join(tmpdir(), 'dunlin-bench-'));
  tempDirs.add(runDir);
  const run: BenchRun = {
    startedAt,
    finishedAt: '',
    command: `node bench/run.ts ${process.argv.slice(2).join(' ')}`.trim(),
    machine: machine(),
    versions: Object.fromEntries(o.servers.map((s) => [s, serverVersion(s)])),
    settings: { waitIdle: o.waitIdle, duration: o.duration, reps: o.reps, udpClients: o.udpClients, udpOutstanding: o.udpOutstanding, tcpConns: 16, tcpOutstanding: o.tcpOutstanding, churnConcurrency: o.churnConcurrency, churnGenerator: '', seed: o.seed },
    inputs: { smallNames: 0, smallRecords: 0, queries: 0, mix: { existing: 0, nxdomain: 0, nodata: 0, cname: 0, wildcard: 0, referral: 0 }, bigRecords: 0 },
    checks: [],
    loads: [],
    loadTimes: [],
    errors: [],
    ...(o.note !== undefined ? { note: o.note } : {}),
  };
  try {
    log(`generating inputs in ${o.out} (seed ${o.seed})`);
    const small = generateSmall(o.out, o.seed);
    run.inputs = { ...run.inputs, smallNames: small.names, smallRecords: small.records, queries: small.queries.length, mix: small.mix };
    const churnFile = join(o.out, `churn-${o.seed}.bin`);
    writeFramedQueries(churnFile, small.queries);
    const cBin = o.churn === 'node' ? undefined : buildChurnC(o.out);
    if (o.churn === 'c' && cBin === undefined) throw new Error('--churn c: compiling bench/churn.c failed (is cc installed?)');
    const churnCmd = cBin !== undefined ? [cBin] : [process.execPath, join(repoRoot(), 'bench/churn.ts')];
    run.settings.churnGenerator = cBin !== undefined ? 'bench/churn.c (epoll, compiled with cc -O2)' : 'bench/churn.ts (Node)';

    const phase = async (kinds: readonly LoadKind[], check: boolean): Promise<void> => {
      for (const workers of kinds.length > 0 || check ? o.workers : []) {
        await queryPhase(o, run, small, runDir, workers, kinds, check, churnCmd, churnFile);
      }
    };
    // udp and tcp first, churn last: churn leaves tens of thousands of TIME_WAIT sockets for 60 s,
    // which makes every later reader of /proc/net/tcp (Dunlin's control sampler) slower.
    await phase((['udp', 'tcp'] as const).filter((k) => o.steps.has(k)), o.steps.has('check'));
    if (o.steps.has('flood')) {
      const flood = generateFlood(o.out, o.seed, o.floodNames);
      run.floodSettings = { duration: o.floodDuration, names: flood.names };
      run.floods = [];
      for (const id of o.servers) {
        if (o.waitIdle > 0) await waitQuiet(o.waitIdle);
        run.floods.push(await floodPhase(o, id, small, flood.queryFile, runDir));
      }
    }
    if (o.steps.has('load')) {
      log(`generating the ${o.bigRecords}-record zone`);
      const big = generateBig(o.out, o.seed, o.bigRecords);
      run.inputs.bigRecords = big.records;
      for (let rep = 1; rep <= o.loadReps; rep++) {
        for (const id of o.servers) {
          if (o.waitIdle > 0) await waitQuiet(o.waitIdle);
          run.loadTimes.push(await measureZoneLoad(id, rep, big.origin, big.zoneFile, join(runDir, `${id}-big-${rep}`)));
        }
      }
      if (o.servers.includes('dunlin')) {
        run.commits = measureCommits(big.origin, big.zoneFile);
        log(commitLine(run.commits));
      }
    }

    if (o.steps.has('profile') && o.servers.includes('dunlin')) {
      try {
        run.profile = await profileDunlin(o, small, runDir, churnCmd, churnFile);
      } catch (err) {
        // A failed profile must not cost the churn phase that follows.
        const msg = `profile: ${err instanceof Error ? err.message : String(err)}`;
        log(msg);
        run.errors.push(msg);
      }
    }

    if (o.steps.has('churn')) await phase(['churn'], false);
  } catch (err) {
    run.errors.push(err instanceof Error ? err.message : String(err));
    log(`error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  } finally {
    killAllSync();
    rmSync(runDir, { recursive: true, force: true });
    tempDirs.delete(runDir);
  }
  run.finishedAt = new Date().toISOString();
  run.machine.loadavgEnd = loadavg().map((x) => x.toFixed(2)).join(' ');
  mkdirSync(o.out, { recursive: true });
  const jsonFile = join(o.out, `results-${run.startedAt.replace(/[:.]/g, '-')}.json`);
  writeFileSync(jsonFile, JSON.stringify(run, null, 2));
  process.stdout.write(consoleReport(run) + '\n');
  log(`raw results: ${jsonFile}`);
  if (o.writeDoc) {
    writeFileSync(join(repoRoot(), 'docs/benchmarks.md'), markdown(run));
    log('wrote docs/benchmarks.md');
  }
  return run.errors.length > 0 ? 1 : 0;
}

/** Waits (at most maxSeconds) until all CPUs together were less than 25% of one CPU busy over half a second: on a shared machine, fewer runs collide with other jobs. */
async function waitQuiet(maxSeconds: number): Promise<void> {
  const cpuList = [...cpuJiffies().keys()].join(',');
  const deadline = performance.now() + maxSeconds * 1000;
  let busy = 0;
  while (performance.now() < deadline) {
    const a = cpuJiffies();
    await sleep(500);
    busy = cpusBusyPct(a, cpuJiffies(), cpuList);
    if (busy < 25) return;
  }
  log(`machine still busy (${busy.toFixed(0)}% of one CPU) after waiting ${maxSeconds} s; running anyway`);
}

/** Starts every server with `workers` workers, optionally checks their answers, runs the loads interleaved, stops them. */
async function queryPhase(o: Options, run: BenchRun, small: ReturnType<typeof generateSmall>, runDir: string, workers: number, kinds: readonly LoadKind[], check: boolean, churnCmd: string[], churnFile: string): Promise<void> {
  const serverCpus = workers === 1 ? '1' : '0,1';
  const genCpus = workers === 1 ? '0' : '0,1';
  const running: Running[] = [];
  const startMem = new Map<Running, ReturnType<typeof treeMemory>>();
  try {
    for (const id of o.servers) {
      try {
        log(`starting ${id} (${workers} worker(s), CPUs ${serverCpus})`);
        const srv = await startServer(id, { zoneName: small.origin, zoneFile: small.zoneFile, workers, cpus: serverCpus, dir: join(runDir, `${id}-w${workers}`) });
        running.push(srv);
        startMem.set(srv, treeMemory(srv.pid));
      } catch (err) {
        const msg = `${id} with ${workers} worker(s) did not start: ${err instanceof Error ? err.message : String(err)}`;
        log(msg);
        run.errors.push(msg);
      }
    }
    if (check && running.length > 1) {
      const ref = running.some((r) => r.id === 'nsd') ? 'nsd' : running[0]!.id;
      const c = await compareAnswers(new Map(running.map((r) => [r.id, r.port])), ref, checkSample(small.queries));
      const cr: CheckResult = { workers, reference: ref, servers: running.map((r) => r.id), ...c };
      run.checks.push(cr);
      log(`answer check: ${c.compared} queries, ${c.mismatches.length} mismatches, ${c.authorityDiffs.length} authority differences`);
      for (const m of c.mismatches.slice(0, 10)) log(`  mismatch ${m.server} ${m.query.name} ${m.query.type} (${m.query.kind}) ${m.field}: expected ${m.expected.slice(0, 120)} got ${m.got.slice(0, 120)}`);
    }
    const settings: LoadSettings = {
      duration: o.duration, serverCpus, cpus: genCpus, udpClients: o.udpClients, udpOutstanding: o.udpOutstanding,
      tcpConns: 16, tcpOutstanding: o.tcpOutstanding, churnConcurrency: o.churnConcurrency, churnCmd, churnFile, queryFile: small.queryFile,
    };
    for (const kind of kinds) {
      for (let rep = 1; rep <= o.reps; rep++) {
        // Interleaved: every server once per rep, so slow drifts of the shared machine hit all of them.
        for (const srv of running) {
          if (o.waitIdle > 0) await waitQuiet(o.waitIdle);
          const r = await runLoad(srv, kind, rep, settings);
          run.loads.push(r);
          log(describe(r));
        }
      }
    }
    if (kinds.length > 0) {
      for (const srv of running) {
        const a = startMem.get(srv)!;
        const b = treeMemory(srv.pid);
        (run.memory ??= []).push({ server: srv.id, workers, phase: kinds.join('+'), startRssMiB: a.rssMiB, endRssMiB: b.rssMiB, startPssMiB: a.pssMiB, endPssMiB: b.pssMiB });
        log(`memory ${srv.id} w${workers} over ${kinds.join('+')}: RSS ${a.rssMiB.toFixed(1)} → ${b.rssMiB.toFixed(1)} MiB, PSS ${a.pssMiB.toFixed(1)} → ${b.pssMiB.toFixed(1)} MiB`);
      }
    }
  } finally {
    for (const r of running) await r.stop();
  }
}

/**
 * The random-subdomain flood against one server (1 worker, CPU 1; dnsperf on CPU 0): RSS idle,
 * after the flood, then the normal mix on the same instance for the qps and CPU comparison.
 */
async function floodPhase(o: Options, id: ServerId, small: ReturnType<typeof generateSmall>, floodFile: string, runDir: string): Promise<FloodResult> {
  const settings: LoadSettings = {
    duration: o.floodDuration, serverCpus: '1', cpus: '0', udpClients: o.udpClients, udpOutstanding: o.udpOutstanding,
    tcpConns: 16, tcpOutstanding: o.tcpOutstanding, churnConcurrency: o.churnConcurrency, churnCmd: [], churnFile: '', queryFile: floodFile,
  };
  let srv: Running | undefined;
  try {
    log(`flood: starting ${id} (1 worker, CPU 1)`);
    srv = await startServer(id, { zoneName: small.origin, zoneFile: small.zoneFile, workers: 1, cpus: '1', dir: join(runDir, `${id}-flood`) });
    // Start-up garbage settles before the idle reading.
    await sleep(1000);
    const idle = treeMemory(srv.pid);
    const flood = await runLoad(srv, 'udp', 1, settings);
    const after = treeMemory(srv.pid);
    log(`flood ${id}: ${describe(flood)}; RSS ${idle.rssMiB.toFixed(1)} → ${after.rssMiB.toFixed(1)} MiB`);
    const normal = await runLoad(srv, 'udp', 1, { ...settings, queryFile: small.queryFile });
    const end = treeMemory(srv.pid);
    log(`flood ${id}, normal mix after it: ${describe(normal)}; RSS ${end.rssMiB.toFixed(1)} MiB`);
    return { server: id, idleRssMiB: idle.rssMiB, floodRssMiB: after.rssMiB, normalRssMiB: end.rssMiB, idlePssMiB: idle.pssMiB, floodPssMiB: after.pssMiB, flood, normal, ...(flood.error !== undefined ? { error: flood.error } : {}) };
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    log(`flood ${id}: FAILED ${msg}`);
    const none = { server: id, kind: 'udp' as const, workers: 1, rep: 1, qps: 0, completed: 0, sent: 0, lostPct: 100, latencyMs: 0, cpuUsPer: 0, cpuPct: 0, genCpuPct: 0, coresBusyPct: 0, pssMiB: 0, rssMiB: 0, seconds: 0, rcodes: '', error: msg };
    return { server: id, idleRssMiB: NaN, floodRssMiB: NaN, normalRssMiB: NaN, idlePssMiB: NaN, floodPssMiB: NaN, flood: none, normal: undefined, error: msg };
  } finally {
    await srv?.stop();
  }
}

function describe(r: LoadResult): string {
  if (r.error !== undefined && r.completed === 0) return `${r.kind} w${r.workers} ${r.server} rep ${r.rep}: FAILED ${r.error}`;
  const unit = r.kind === 'churn' ? 'conn/s' : 'qps';
  return `${r.kind} w${r.workers} ${r.server} rep ${r.rep}: ${Math.round(r.qps)} ${unit}, ${r.cpuUsPer.toFixed(2)} CPU µs each, server CPU ${r.cpuPct.toFixed(0)}% (its cores ${r.coresBusyPct.toFixed(0)}% busy), generator CPU ${r.genCpuPct.toFixed(0)}%, latency ${r.latencyMs.toFixed(3)} ms, loss ${r.lostPct.toFixed(2)}%${r.error !== undefined ? ` (${r.error})` : ''}`;
}

/**
 * Loads the big zone into the store in this process and commits 40 chained 10-record changesets
 * on it (5 names added, 5 removed, the serial bumped), as the API and dynamic updates will.
 */
function measureCommits(originText: string, zoneFile: string): CommitResult {
  const origin = Name.fromText(originText);
  const r = loadZoneIntoStore(zoneFile, origin);
  if (!r.zone) throw new Error(`big zone rejected: ${r.errors[0]?.message ?? 'no zone'}`);
  const names = [...r.zone.nodes()].filter((n) => n.setCount > 0 && !(n.flags & NodeFlag.APEX)).slice(0, 400).map((n) => n.owner);
  const ms: number[] = [];
  let v = r.zone;
  for (let i = 0; i < 40; i++) {
    const u = updateZone(v);
    for (let k = 0; k < 5; k++) {
      const g = i * 5 + k;
      u.add({ name: Name.fromText(`bench-new-${g}.${originText}`), type: RRType.A, class: 1, ttl: 300, rdata: Uint8Array.of(10, 9, g >>> 8, g & 255) });
      u.removeName(names[g]!);
    }
    u.setSerial(nextSerial(v.serial));
    const t0 = performance.now();
    // Removing a name may take an NS target's address or a delegation's glue: the bench checks the speed, not the zone's design.
    v = u.commit({ checkGlue: false }).zone;
    ms.push(performance.now() - t0);
  }
  const t0 = performance.now();
  v.compact();
  const compactMs = performance.now() - t0;
  ms.sort((a, b) => a - b);
  return { records: r.recordCount, commits: ms.length, medianMs: median(ms), maxMs: ms.at(-1)!, layerNodes: v.changedNodes, compactMs };
}

async function measureZoneLoad(id: ServerId, rep: number, origin: string, zoneFile: string, dir: string): Promise<LoadTimeResult> {
  log(`1M-zone load: ${id} rep ${rep}`);
  let srv: Running | undefined;
  try {
    // 2 workers on 2 CPUs: what matters is that N workers cost one parse and one copy of the zone.
    srv = await startServer(id, { zoneName: origin, zoneFile, workers: 2, cpus: '0,1', dir, readyTimeoutMs: 180_000 });
    const mem = treeMemory(srv.pid);
    const r: LoadTimeResult = { server: id, rep, firstAnswerMs: srv.firstAnswerMs, readyLineMs: srv.readyLineMs, pssMiB: mem.pssMiB, maxRssMiB: mem.maxRssMiB, rssMiB: mem.rssMiB };
    log(`  ${id}: first answer ${(r.firstAnswerMs / 1000).toFixed(2)} s${r.readyLineMs !== undefined ? `, ready line ${(r.readyLineMs / 1000).toFixed(2)} s` : ''}, PSS ${r.pssMiB.toFixed(0)} MiB, largest RSS ${r.maxRssMiB.toFixed(0)} MiB`);
    return r;
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    log(`  ${id}: FAILED ${msg}`);
    return { server: id, rep, firstAnswerMs: NaN, readyLineMs: undefined, pssMiB: NaN, maxRssMiB: NaN, rssMiB: NaN, error: msg };
  } finally {
    await srv?.stop();
  }
}

/** Runs Dunlin (1 worker) under node --cpu-prof with UDP load and ranks functions by self time. */
async function profileDunlin(o: Options, small: ReturnType<typeof generateSmall>, runDir: string, churnCmd: string[], churnFile: string): Promise<BenchRun['profile']> {
  const profDir = join(o.out, 'cpuprofile');
  rmSync(profDir, { recursive: true, force: true });
  mkdirSync(profDir, { recursive: true });
  log(`profiling Dunlin under UDP load (${o.duration} s), profiles in ${profDir}`);
  const srv = await startServer('dunlin', {
    zoneName: small.origin, zoneFile: small.zoneFile, workers: 1, cpus: '1', dir: join(runDir, 'dunlin-prof'),
    nodeFlags: ['--cpu-prof', '--cpu-prof-dir', profDir],
  });
  let qps = 0;
  let fromUs = 0;
  let toUs = 0;
  try {
    fromUs = Number(process.hrtime.bigint() / 1000n);
    const r = await runLoad(srv, 'udp', 1, {
      duration: o.duration, serverCpus: '1', cpus: '0', udpClients: o.udpClients, udpOutstanding: o.udpOutstanding, tcpConns: 16,
      tcpOutstanding: o.tcpOutstanding, churnConcurrency: o.churnConcurrency, churnCmd, churnFile, queryFile: small.queryFile,
    });
    toUs = Number(process.hrtime.bigint() / 1000n);
    qps = r.qps;
    log(describe(r));
  } finally {
    // A graceful SIGTERM lets every Node process write its profile on exit.
    await srv.stop();
  }
  const files = readdirSync(profDir).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(profDir, f));
  if (files.length === 0) throw new Error(`no .cpuprofile written in ${profDir} (did Dunlin exit cleanly on SIGTERM?)`);
  const top = topSelfTime(files, repoRoot(), 10, { fromUs, toUs });
  const busy = top.perProcess.map((p) => `${p.file.replace(/^.*\/CPU\.\d+\.\d+\.(\d+)\..*$/, 'pid $1')}: ${Math.round(p.busyMs)} ms busy / ${Math.round(p.idleMs)} ms idle`).join('; ');
  return {
    rows: top.rows, totalMs: top.totalMs, idleMs: top.idleMs, files: files.length, qps,
    note: `Dunlin, 1 worker, \`node --cpu-prof\` (inherited by the worker threads, each writing its own profile); only samples taken while the load ran (start-up and zone load excluded), summed over all processes (${busy}).`,
  };
}

const tempDirs = new Set<string>();

function cleanupSync(): void {
  killAllSync();
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
  tempDirs.clear();
}

// No stray daemons: whatever happens, the servers' and generators' process trees are killed by PID on exit.
process.on('exit', cleanupSync);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(sig, () => {
    log(`${sig}: stopping servers and generators`);
    cleanupSync();
    process.exit(130);
  });
}

try {
  process.exitCode = await main();
} catch (err) {
  log(`error: ${err instanceof Error ? err.message : String(err)}`);
  killAllSync();
  process.exitCode = 2;
}

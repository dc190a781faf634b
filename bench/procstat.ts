// Owns reading a server's process tree from /proc: CPU time (utime+stime over all processes and threads) and memory.
import { readdirSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

let clockTicks: number | undefined;

/** USER_HZ, the unit of utime/stime in /proc/PID/stat (proc(5)). */
export function clkTck(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

interface Stat {
  pid: number;
  ppid: number;
  /** utime + stime in clock ticks; covers every thread of the process, live or exited (proc(5)). */
  ticks: number;
}

function readStat(pid: number): Stat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  // comm may contain spaces and parentheses: fields start after the last ')'.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state); ppid is field 4, utime 14, stime 15.
  return { pid, ppid: Number(rest[1]), ticks: Number(rest[11]) + Number(rest[12]) };
}

/** The root pid and every live descendant. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const s = readStat(Number(e));
    if (!s) continue;
    const list = children.get(s.ppid);
    if (list) list.push(s.pid);
    else children.set(s.ppid, [s.pid]);
  }
  const out: number[] = [];
  const todo = [root];
  while (todo.length > 0) {
    const p = todo.pop()!;
    if (readStat(p) === undefined) continue;
    out.push(p);
    todo.push(...(children.get(p) ?? []));
  }
  return out;
}

/** CPU seconds used so far by the tree under `root` (children that already exited and were reaped count via cutime/cstime of the root only after wait; servers do not fork during a run). */
export function treeCpuSeconds(root: number): number {
  let ticks = 0;
  for (const p of processTree(root)) ticks += readStat(p)?.ticks ?? 0;
  return ticks / clkTck();
}

export interface MemUse {
  /** Sum of VmRSS over the tree (double-counts pages shared between forked processes). */
  rssMiB: number;
  /** Sum of Pss over the tree (shared pages split between sharers): the fair total. */
  pssMiB: number;
  /** The largest single process's VmRSS. */
  maxRssMiB: number;
  processes: number;
}

function kbField(text: string, field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

export function treeMemory(root: number): MemUse {
  let rss = 0;
  let pss = 0;
  let maxRss = 0;
  const pids = processTree(root);
  for (const p of pids) {
    try {
      const r = kbField(readFileSync(`/proc/${p}/status`, 'latin1'), 'VmRSS');
      rss += r;
      maxRss = Math.max(maxRss, r);
      pss += kbField(readFileSync(`/proc/${p}/smaps_rollup`, 'latin1'), 'Pss');
    } catch {
      // The process exited between the listing and the read.
    }
  }
  return { rssMiB: rss / 1024, pssMiB: pss / 1024, maxRssMiB: maxRss / 1024, processes: pids.length };
}

/** True while the pid exists and is not a zombie. */
export function alive(pid: number): boolean {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return text.slice(text.lastIndexOf(')') + 2, text.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Busy and total jiffies per CPU from /proc/stat (busy = user+nice+system+irq+softirq+steal). */
export function cpuJiffies(): Map<number, { busy: number; total: number }> {
  const out = new Map<number, { busy: number; total: number }>();
  for (const line of readFileSync('/proc/stat', 'latin1').split('\n')) {
    const m = /^cpu(\d+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const f = m[2]!.trim().split(/\s+/).map(Number);
    const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = f;
    out.set(Number(m[1]), { busy: user + nice + system + irq + softirq + steal, total: user + nice + system + idle + iowait + irq + softirq + steal });
  }
  return out;
}

/**
 * Busy time of the given CPUs between two cpuJiffies() snapshots, as percent of one CPU over `seconds`
 * (two fully busy CPUs = 200). /proc/stat counts in USER_HZ, like /proc/PID/stat.
 */
export function cpusBusyPct(before: Map<number, { busy: number; total: number }>, after: Map<number, { busy: number; total: number }>, cpuList: string, seconds?: number): number {
  let pct = 0;
  for (const c of cpuList.split(',').map(Number)) {
    const a = before.get(c);
    const b = after.get(c);
    if (!a || !b || b.total === a.total) continue;
    pct += seconds === undefined ? (100 * (b.busy - a.busy)) / (b.total - a.total) : (100 * (b.busy - a.busy)) / clkTck() / seconds;
  }
  return pct;
}

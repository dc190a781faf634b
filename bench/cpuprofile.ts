// Owns reading V8 .cpuprofile files (node --cpu-prof) into a self-time ranking of functions.
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
}
interface Profile {
  startTime: number;
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTime {
  fn: string;
  where: string;
  ms: number;
  pct: number;
}

export interface ProcessBusy {
  file: string;
  busyMs: number;
  idleMs: number;
}

/**
 * Self time per function (summed over all given profiles), highest first; percentages are of all
 * non-idle samples. With a window (CLOCK_MONOTONIC µs, the clock of V8's profile timestamps and of
 * process.hrtime), only samples inside it count, which leaves start-up and zone loading out.
 */
export function topSelfTime(files: readonly string[], root: string, limit = 10, window?: { fromUs: number; toUs: number }): { rows: SelfTime[]; totalMs: number; idleMs: number; perProcess: ProcessBusy[] } {
  const byKey = new Map<string, { fn: string; where: string; us: number }>();
  let total = 0;
  let idle = 0;
  const perProcess: ProcessBusy[] = [];
  for (const f of files) {
    const p = JSON.parse(readFileSync(f, 'utf8')) as Profile;
    const nodes = new Map(p.nodes.map((n) => [n.id, n] as const));
    const busy0 = total;
    const idle0 = idle;
    let t = p.startTime;
    for (let i = 0; i < p.samples.length; i++) {
      const n = nodes.get(p.samples[i]!);
      // timeDeltas[i] is the time since the previous sample; attribute it to this sample's node.
      const dt = p.timeDeltas[i] ?? 0;
      t += dt;
      if (window && (t < window.fromUs || t > window.toUs)) continue;
      if (!n) continue;
      const fn = n.callFrame.functionName || '(anonymous)';
      if (fn === '(idle)') {
        idle += dt;
        continue;
      }
      total += dt;
      const url = n.callFrame.url.replace(/^file:\/\//, '');
      const where = url ? `${url.startsWith('/') ? relative(root, url) : url}:${n.callFrame.lineNumber + 1}` : '';
      const key = `${fn}\u0000${where}`;
      const e = byKey.get(key);
      if (e) e.us += dt;
      else byKey.set(key, { fn, where, us: dt });
    }
    perProcess.push({ file: f, busyMs: (total - busy0) / 1000, idleMs: (idle - idle0) / 1000 });
  }
  const rows = [...byKey.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, limit)
    .map((e) => ({ fn: e.fn, where: e.where, ms: e.us / 1000, pct: total > 0 ? (100 * e.us) / total : 0 }));
  return { rows, totalMs: total / 1000, idleMs: idle / 1000, perProcess };
}

// Owns building a sockstat sample: worker registries joined with the kernel's fds and TCP states, and CLOSE_WAIT leak tracking.
import type { ConnState } from '../transport/registry-types.ts';
import type { ControlHandlers, WorkerReport } from './types.ts';
import type { LeakFlag, ProcessReport, SockstatResult, WorkerView } from './protocol.ts';
import { formatPeer } from './protocol.ts';
import type { ProcessSample, StateCounts, TcpSocketEntry } from './procfs.ts';
import { countStates, kernelHasCloseWait, readKernelTcp, sampleProcess, socketsOwnedBy } from './procfs.ts';

export interface SamplerOptions {
  /** A CLOSE_WAIT socket seen this long is flagged as a leak. */
  readonly leakAfterMs?: number;
  readonly now?: () => number;
}

interface Seen {
  readonly firstSeen: number;
  readonly pid: number;
}

/**
 * Remembers when each CLOSE_WAIT socket (by inode) was first seen. CLOSE_WAIT means the peer sent FIN
 * and our side has not called close() (RFC 9293 §3.3.2): it is transient while we finish an answer to
 * a half-closed client, so only one that persists across samples is a leak.
 */
export class CloseWaitTracker {
  readonly #seen = new Map<number, Seen>();

  /** Records the current CLOSE_WAIT sockets; forgets inodes no longer in that state. */
  observe(now: number, closeWait: ReadonlyMap<number, number>): void {
    for (const inode of this.#seen.keys()) if (!closeWait.has(inode)) this.#seen.delete(inode);
    for (const [inode, pid] of closeWait) if (!this.#seen.has(inode)) this.#seen.set(inode, { firstSeen: now, pid });
  }

  firstSeen(inode: number): number | undefined {
    return this.#seen.get(inode)?.firstSeen;
  }

  get size(): number {
    return this.#seen.size;
  }
}

function stripMapped(addr: string): string {
  return addr.startsWith('::ffff:') && addr.includes('.') ? addr.slice(7) : addr;
}

function workerView(r: WorkerReport, limit: number, held: readonly TcpSocketEntry[]): WorkerView {
  const byState: Partial<Record<ConnState, number>> = {};
  for (const c of r.registry.open) byState[c.state] = (byState[c.state] ?? 0) + 1;
  const oldest = [...r.registry.open].sort((a, b) => b.ageMs - a.ageMs).slice(0, limit);
  const known = new Set(r.registry.open.map((c) => c.peer));
  const conns = held.filter((e) => e.state !== 'LISTEN');
  return {
    pid: r.pid, worker: r.worker, openTotal: r.registry.open.length, byState, connections: oldest,
    accepted: r.registry.accepted, closedByReason: r.registry.closedByReason,
    udpQueries: r.udpQueries, tcpQueries: r.tcpQueries,
    kernelConnections: conns.length,
    untracked: conns.filter((e) => !known.has(formatPeer(stripMapped(e.remoteAddr), e.remotePort))).length,
  };
}

export class SockstatSampler {
  readonly #handlers: ControlHandlers;
  readonly #leakAfterMs: number;
  readonly #now: () => number;
  readonly #startedAt: number;
  readonly #tracker = new CloseWaitTracker();

  constructor(handlers: ControlHandlers, opts: SamplerOptions = {}) {
    this.#handlers = handlers;
    this.#leakAfterMs = opts.leakAfterMs ?? 5000;
    this.#now = opts.now ?? Date.now;
    this.#startedAt = this.#now();
  }

  get startedAt(): number {
    return this.#startedAt;
  }

  /** Cheap periodic check: scans fds only when the kernel has CLOSE_WAIT sockets at all. */
  async tick(): Promise<void> {
    if (!(await kernelHasCloseWait())) {
      this.#tracker.observe(this.#now(), new Map());
      return;
    }
    // Only CLOSE_WAIT lines matter here: skip decoding the (often tens of thousands of) others.
    const tcp = await readKernelTcp('08');
    const pids = this.#allPids();
    const samples = await Promise.all(pids.map((p) => sampleProcess(p.pid)));
    this.#observe(tcp, samples);
  }

  async sample(limit = 1000): Promise<SockstatResult> {
    const pids = this.#allPids();
    const [reports, tcp, samples] = await Promise.all([
      this.#handlers.workers(),
      readKernelTcp(),
      Promise.all(pids.map((p) => sampleProcess(p.pid))),
    ]);
    const now = this.#now();
    const owned = this.#observe(tcp, samples);
    const workerByPid = new Map(reports.map((r) => [r.pid, r]));

    const listenPorts = new Set<number>();
    const processes: ProcessReport[] = pids.map((p, i) => {
      const s = samples[i];
      const mine = owned.get(p.pid) ?? [];
      const listening = mine.filter((e) => e.state === 'LISTEN');
      for (const e of listening) listenPorts.add(e.localPort);
      const soft = s?.fdLimit?.soft;
      const hard = s?.fdLimit?.hard;
      const softN = typeof soft === 'number' ? soft : null;
      return {
        pid: p.pid,
        role: p.role,
        worker: p.role === 'primary' ? 0 : (workerByPid.get(p.pid)?.worker ?? null),
        alive: s !== undefined,
        fds: s?.fds.count ?? 0,
        fdKinds: s?.fds.kinds ?? null,
        fdLimitSoft: softN,
        fdLimitHard: typeof hard === 'number' ? hard : null,
        fdPercent: s && softN ? Math.round((s.fds.count / softN) * 1000) / 10 : null,
        rssBytes: s?.rssBytes ?? null,
        tcpStates: countStates(mine),
        listening: listening.map((e) => formatPeer(e.localAddr, e.localPort)),
      };
    });

    const held = new Set<number>();
    for (const s of samples) for (const ino of s?.fds.socketInodes ?? []) held.add(ino);
    const orphans: StateCounts = countStates(tcp.filter((e) =>
      listenPorts.has(e.localPort) && e.state !== 'LISTEN' && (e.inode === 0 || !held.has(e.inode))));

    const leaks: LeakFlag[] = [];
    for (const [pid, entries] of owned) {
      for (const e of entries) {
        if (e.state !== 'CLOSE_WAIT') continue;
        const first = this.#tracker.firstSeen(e.inode) ?? now;
        if (now - first < this.#leakAfterMs) continue;
        const peer = formatPeer(stripMapped(e.remoteAddr), e.remotePort);
        const conn = workerByPid.get(pid)?.registry.open.find((c) => c.peer === peer);
        leaks.push({
          pid, inode: e.inode, local: formatPeer(e.localAddr, e.localPort), peer,
          firstSeen: new Date(first).toISOString(), ageMs: now - first, registryState: conn?.state ?? null,
        });
      }
    }
    leaks.sort((a, b) => b.ageMs - a.ageMs);

    const reported = new Set(reports.map((r) => r.pid));
    return {
      time: new Date(now).toISOString(),
      uptimeMs: now - this.#startedAt,
      leakAfterMs: this.#leakAfterMs,
      processes,
      workers: [...reports].sort((a, b) => a.worker - b.worker).map((r) => workerView(r, limit, owned.get(r.pid) ?? [])),
      silentWorkers: pids.filter((p) => p.role === 'worker' && !reported.has(p.pid)).map((p) => p.pid),
      orphans,
      leaks,
    };
  }

  #allPids(): { pid: number; role: 'primary' | 'worker' }[] {
    const { primary, workers } = this.#handlers.pids();
    return [{ pid: primary, role: 'primary' as const }, ...workers.map((pid) => ({ pid, role: 'worker' as const }))];
  }

  /** Attributes kernel sockets to pids by inode and feeds the CLOSE_WAIT tracker. */
  #observe(tcp: readonly TcpSocketEntry[], samples: readonly (ProcessSample | undefined)[]): Map<number, TcpSocketEntry[]> {
    const owned = new Map<number, TcpSocketEntry[]>();
    const closeWait = new Map<number, number>();
    for (const s of samples) {
      if (!s) continue;
      const mine = socketsOwnedBy(tcp, s.fds.socketInodes);
      owned.set(s.pid, mine);
      for (const e of mine) if (e.state === 'CLOSE_WAIT') closeWait.set(e.inode, s.pid);
    }
    this.#tracker.observe(this.#now(), closeWait);
    return owned;
  }
}

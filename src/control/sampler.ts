// Owns building a sockstat sample: worker registries joined with the kernel's fds and TCP states, and CLOSE_WAIT leak tracking.
import type { ConnectionSnapshot, ConnState } from '../transport/registry-types.ts';
import type { ControlHandlers, WorkerReport } from './types.ts';
import type { LeakFlag, ProcessReport, SockstatResult, WorkerView } from './protocol.ts';
import { formatPeer } from './protocol.ts';
import type { ProcessSample, StateCounts, TcpSocketEntry } from './procfs.ts';
import { countStates, readKernelTcp, sampleProcess, socketsOwnedBy } from './procfs.ts';

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

/** The peer of a kernel socket the way the transport registry writes it. */
function peerOf(e: TcpSocketEntry): string {
  return formatPeer(stripMapped(e.remoteAddr), e.remotePort);
}

/** Peers the registries of these reports list, each mapped to its connection. */
function registryPeers(reports: readonly WorkerReport[]): Map<string, ConnectionSnapshot> {
  const m = new Map<string, ConnectionSnapshot>();
  for (const r of reports) for (const c of r.registry.open) m.set(c.peer, c);
  return m;
}

/**
 * One serving thread. Threads share the process's descriptor table, so the kernel cannot say which
 * thread holds a socket: a kernel connection counts for the thread whose registry lists its peer.
 */
function workerView(r: WorkerReport, limit: number, held: readonly TcpSocketEntry[]): WorkerView {
  const byState: Partial<Record<ConnState, number>> = {};
  for (const c of r.registry.open) byState[c.state] = (byState[c.state] ?? 0) + 1;
  const oldest = [...r.registry.open].sort((a, b) => b.ageMs - a.ageMs).slice(0, limit);
  const known = registryPeers([r]);
  return {
    pid: r.pid, threadId: r.threadId, worker: r.worker, openTotal: r.registry.open.length, byState, connections: oldest,
    accepted: r.registry.accepted, closedByReason: r.registry.closedByReason,
    udpQueries: r.udpQueries, tcpQueries: r.tcpQueries, udpIo: r.udpIo,
    kernelConnections: held.filter((e) => e.state !== 'LISTEN' && known.has(peerOf(e))).length,
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

  /** Cheap periodic check: scans fds only when some process holds a CLOSE_WAIT socket at all. */
  async tick(): Promise<void> {
    // One read of /proc/net/tcp{,6}, decoding only the CLOSE_WAIT lines (often among tens of
    // thousands of TIME_WAIT ones); a socket with inode 0 is held by no process.
    const tcp = (await readKernelTcp('08')).filter((e) => e.inode !== 0);
    if (tcp.length === 0) {
      this.#tracker.observe(this.#now(), new Map());
      return;
    }
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
    // Every serving thread reports the one server pid; a pid without reports is a process no registry covers.
    const peersByPid = new Map<number, Map<string, ConnectionSnapshot>>();
    for (const p of pids) peersByPid.set(p.pid, registryPeers(reports.filter((r) => r.pid === p.pid)));

    const listenPorts = new Set<number>();
    const ports = this.#handlers.dnsPorts?.();
    const dnsPorts = ports === undefined ? null : new Set(ports);
    const processes: ProcessReport[] = pids.map((p, i) => {
      const s = samples[i];
      const mine = owned.get(p.pid) ?? [];
      const listening = mine.filter((e) => e.state === 'LISTEN');
      for (const e of listening) listenPorts.add(e.localPort);
      const soft = s?.fdLimit?.soft;
      const hard = s?.fdLimit?.hard;
      const softN = typeof soft === 'number' ? soft : null;
      const conns = mine.filter((e) => e.state !== 'LISTEN');
      const known = peersByPid.get(p.pid)!;
      const served = dnsPorts === null ? conns : conns.filter((e) => dnsPorts.has(e.localPort));
      return {
        pid: p.pid,
        role: p.role,
        worker: p.role === 'primary' ? 0 : null,
        alive: s !== undefined,
        fds: s?.fds.count ?? 0,
        fdKinds: s?.fds.kinds ?? null,
        fdLimitSoft: softN,
        fdLimitHard: typeof hard === 'number' ? hard : null,
        fdPercent: s && softN ? Math.round((s.fds.count / softN) * 1000) / 10 : null,
        rssBytes: s?.rssBytes ?? null,
        tcpStates: countStates(mine),
        listening: listening.map((e) => formatPeer(e.localAddr, e.localPort)),
        kernelConnections: conns.length,
        untracked: served.filter((e) => !known.has(peerOf(e))).length,
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
        const peer = peerOf(e);
        const conn = peersByPid.get(pid)?.get(peer);
        leaks.push({
          pid, inode: e.inode, local: formatPeer(e.localAddr, e.localPort), peer,
          firstSeen: new Date(first).toISOString(), ageMs: now - first, registryState: conn?.state ?? null,
        });
      }
    }
    leaks.sort((a, b) => b.ageMs - a.ageMs);

    const reported = new Set(reports.map((r) => r.worker));
    const threads = this.#handlers.threads?.() ?? [];
    return {
      time: new Date(now).toISOString(),
      uptimeMs: now - this.#startedAt,
      leakAfterMs: this.#leakAfterMs,
      processes,
      workers: [...reports].sort((a, b) => a.worker - b.worker).map((r) => workerView(r, limit, owned.get(r.pid) ?? [])),
      silentWorkers: threads.filter((t) => !reported.has(t.worker)).map((t) => t.worker),
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

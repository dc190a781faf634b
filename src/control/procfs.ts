// Owns reading the kernel's view of a process from /proc: fds, RLIMIT_NOFILE, RSS, and TCP socket states.
import { readdir, readFile, readlink } from 'node:fs/promises';

/** Linux TCP states as numbered in include/net/tcp_states.h (the hex `st` column of /proc/net/tcp). */
export const TCP_STATES = {
  0x01: 'ESTABLISHED', 0x02: 'SYN_SENT', 0x03: 'SYN_RECV', 0x04: 'FIN_WAIT1', 0x05: 'FIN_WAIT2',
  0x06: 'TIME_WAIT', 0x07: 'CLOSE', 0x08: 'CLOSE_WAIT', 0x09: 'LAST_ACK', 0x0a: 'LISTEN',
  0x0b: 'CLOSING', 0x0c: 'NEW_SYN_RECV',
} as const;
export type TcpState = (typeof TCP_STATES)[keyof typeof TCP_STATES] | 'UNKNOWN';

export interface TcpSocketEntry {
  readonly family: 4 | 6;
  readonly localAddr: string;
  readonly localPort: number;
  readonly remoteAddr: string;
  readonly remotePort: number;
  readonly state: TcpState;
  /** 0 for sockets no fd refers to any more (TIME_WAIT, orphaned FIN_WAIT). */
  readonly inode: number;
}

export interface FdLimit {
  readonly soft: number | 'unlimited';
  readonly hard: number | 'unlimited';
}

export type FdKind = 'socket' | 'pipe' | 'anon_inode' | 'file' | 'other';

export interface FdTable {
  readonly count: number;
  readonly kinds: Readonly<Record<FdKind, number>>;
  readonly socketInodes: readonly number[];
}

export function tcpStateName(code: number): TcpState {
  return (TCP_STATES as Record<number, TcpState | undefined>)[code] ?? 'UNKNOWN';
}

/** Decodes the hex address of /proc/net/tcp{,6}: each 32-bit word is in host (little-endian) order. */
export function decodeProcAddress(hex: string): { addr: string; port: number } {
  const colon = hex.indexOf(':');
  if (colon < 0) throw new Error(`bad /proc/net/tcp address "${hex}"`);
  const a = hex.slice(0, colon);
  const port = Number.parseInt(hex.slice(colon + 1), 16);
  if (!/^[0-9A-Fa-f]+$/.test(a) || (a.length !== 8 && a.length !== 32) || !Number.isFinite(port)) {
    throw new Error(`bad /proc/net/tcp address "${hex}"`);
  }
  const bytes: number[] = [];
  for (let w = 0; w < a.length; w += 8) {
    const word = a.slice(w, w + 8);
    // little-endian word: the last byte pair is the first octet
    for (let i = 6; i >= 0; i -= 2) bytes.push(Number.parseInt(word.slice(i, i + 2), 16));
  }
  if (bytes.length === 4) return { addr: bytes.join('.'), port };
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  // IPv4-mapped (::ffff:a.b.c.d) is common for dual-stack listeners; print it the way Node does.
  if (groups.slice(0, 5).every((g) => g === '0') && groups[5] === 'ffff') {
    return { addr: `::ffff:${bytes.slice(12).join('.')}`, port };
  }
  return { addr: compressV6(groups), port };
}

function compressV6(groups: string[]): string {
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== '0') { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen && j - i >= 2) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  if (bestStart < 0) return groups.join(':');
  return groups.slice(0, bestStart).join(':') + '::' + groups.slice(bestStart + bestLen).join(':');
}

/**
 * Parses the text of /proc/net/tcp or /proc/net/tcp6. Malformed lines are skipped, never thrown.
 * With `onlyStateHex` (two upper-case hex digits), a regex finds the lines in that state and only
 * those are split: hosts that serve short TCP connections list tens of thousands of TIME_WAIT
 * sockets, and splitting every line every few seconds cost the server several µs per connection.
 */
export function parseProcNetTcp(text: string, family: 4 | 6, onlyStateHex?: string): TcpSocketEntry[] {
  if (onlyStateHex === undefined) return parseLines(text.split('\n'), 1, family);
  if (!/^[0-9A-F]{2}$/.test(onlyStateHex)) throw new Error(`not a TCP state: ${onlyStateHex}`);
  const lines = text.match(new RegExp(`^ *\\d+: [0-9A-F]+:[0-9A-F]+ [0-9A-F]+:[0-9A-F]+ ${onlyStateHex} .*$`, 'gm'));
  return lines === null ? [] : parseLines(lines, 0, family);
}

function parseLines(lines: readonly string[], from: number, family: 4 | 6): TcpSocketEntry[] {
  const out: TcpSocketEntry[] = [];
  for (let i = from; i < lines.length; i++) {
    const f = lines[i]!.trim().split(/\s+/);
    // sl local rem st tx:rx tr:when retrnsmt uid timeout inode ...
    if (f.length < 10) continue;
    try {
      const local = decodeProcAddress(f[1]!);
      const remote = decodeProcAddress(f[2]!);
      const inode = Number(f[9]);
      if (!Number.isSafeInteger(inode)) continue;
      out.push({
        family, localAddr: local.addr, localPort: local.port, remoteAddr: remote.addr, remotePort: remote.port,
        state: tcpStateName(Number.parseInt(f[3]!, 16)), inode,
      });
    } catch {
      continue;
    }
  }
  return out;
}

/** `Max open files` soft/hard from the text of /proc/PID/limits. */
export function parseFdLimit(text: string): FdLimit | undefined {
  const m = /^Max open files\s+(\S+)\s+(\S+)/m.exec(text);
  if (!m) return undefined;
  const v = (s: string): number | 'unlimited' => (s === 'unlimited' ? 'unlimited' : Number(s));
  const soft = v(m[1]!);
  const hard = v(m[2]!);
  if (Number.isNaN(soft) || Number.isNaN(hard)) return undefined;
  return { soft, hard };
}

/** Resident set size in bytes from the text of /proc/PID/status (VmRSS is in kB). */
export function parseRssBytes(text: string): number | undefined {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(text);
  return m ? Number(m[1]) * 1024 : undefined;
}

/** Socket inode of an fd symlink target such as `socket:[12345]`; undefined for other kinds. */
export function socketInode(link: string): number | undefined {
  const m = /^socket:\[(\d+)\]$/.exec(link);
  return m ? Number(m[1]) : undefined;
}

export function fdKind(link: string): FdKind {
  if (link.startsWith('socket:')) return 'socket';
  if (link.startsWith('pipe:')) return 'pipe';
  if (link.startsWith('anon_inode:')) return 'anon_inode';
  if (link.startsWith('/')) return 'file';
  return 'other';
}

function isGone(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return code === 'ENOENT' || code === 'ESRCH';
}

/** Reads /proc/PID/fd. Returns undefined when the process is gone; fds closed mid-scan are skipped. */
export async function readFdTable(pid: number): Promise<FdTable | undefined> {
  let names: string[];
  try {
    names = await readdir(`/proc/${pid}/fd`);
  } catch (err) {
    if (isGone(err)) return undefined;
    throw err;
  }
  const kinds: Record<FdKind, number> = { socket: 0, pipe: 0, anon_inode: 0, file: 0, other: 0 };
  const socketInodes: number[] = [];
  let count = 0;
  // Bounded batches: a leaking process may hold tens of thousands of fds.
  for (let i = 0; i < names.length; i += 256) {
    const links = await Promise.all(names.slice(i, i + 256).map(async (n) => {
      try { return await readlink(`/proc/${pid}/fd/${n}`); } catch (err) {
        if (isGone(err)) return undefined;
        throw err;
      }
    }));
    for (const link of links) {
      if (link === undefined) continue;
      count++;
      kinds[fdKind(link)]++;
      const ino = socketInode(link);
      if (ino !== undefined) socketInodes.push(ino);
    }
  }
  return { count, kinds, socketInodes };
}

export async function readFdLimit(pid: number): Promise<FdLimit | undefined> {
  try { return parseFdLimit(await readFile(`/proc/${pid}/limits`, 'utf8')); } catch (err) {
    if (isGone(err)) return undefined;
    throw err;
  }
}

export async function readRssBytes(pid: number): Promise<number | undefined> {
  try { return parseRssBytes(await readFile(`/proc/${pid}/status`, 'utf8')); } catch (err) {
    if (isGone(err)) return undefined;
    throw err;
  }
}

/** All TCP sockets of this network namespace, IPv4 and IPv6 (tcp6 may be absent without IPv6). */
export async function readKernelTcp(onlyStateHex?: string): Promise<TcpSocketEntry[]> {
  const read = async (file: string, family: 4 | 6): Promise<TcpSocketEntry[]> => {
    // latin1: the file is ASCII, and a one-byte decode is cheaper than UTF-8 for megabytes of it.
    try { return parseProcNetTcp(await readFile(file, 'latin1'), family, onlyStateHex); } catch (err) {
      if (isGone(err)) return [];
      throw err;
    }
  };
  const [v4, v6] = await Promise.all([read('/proc/net/tcp', 4), read('/proc/net/tcp6', 6)]);
  return [...v4, ...v6];
}

export interface ProcessSample {
  readonly pid: number;
  readonly fds: FdTable;
  readonly fdLimit: FdLimit | undefined;
  readonly rssBytes: number | undefined;
}

/** One process's fds, limit and RSS; undefined if the process no longer exists. */
export async function sampleProcess(pid: number): Promise<ProcessSample | undefined> {
  const [fds, fdLimit, rssBytes] = await Promise.all([readFdTable(pid), readFdLimit(pid), readRssBytes(pid)]);
  if (fds === undefined) return undefined;
  return { pid, fds, fdLimit, rssBytes };
}

/** Counts of kernel TCP states, keyed by state name. */
export type StateCounts = Partial<Record<TcpState, number>>;

export function countStates(entries: Iterable<TcpSocketEntry>): StateCounts {
  const out: StateCounts = {};
  for (const e of entries) out[e.state] = (out[e.state] ?? 0) + 1;
  return out;
}

/** The kernel TCP entries whose inode is one of `inodes` (the sockets a process holds open). */
export function socketsOwnedBy(entries: readonly TcpSocketEntry[], inodes: Iterable<number>): TcpSocketEntry[] {
  const set = new Set(inodes);
  return entries.filter((e) => e.inode !== 0 && set.has(e.inode));
}

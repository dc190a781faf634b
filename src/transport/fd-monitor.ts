// Owns the file-descriptor watch: count /proc/self/fd periodically and warn past 80% of RLIMIT_NOFILE.
import { readdirSync, readFileSync } from 'node:fs';
import type { Logger } from 'pino';

/** Soft RLIMIT_NOFILE from /proc/self/limits, or null when unknown (non-Linux) or unlimited. */
export function fdLimit(): number | null {
  try {
    const text = readFileSync('/proc/self/limits', 'latin1');
    const m = /^Max open files\s+(\d+|unlimited)\s/m.exec(text);
    if (!m || m[1] === 'unlimited') return null;
    return Number(m[1]);
  } catch {
    return null;
  }
}

/** Open descriptors of this process, or null when /proc is unavailable. */
export function fdCount(): number | null {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return null;
  }
}

export interface FdMonitor {
  stop(): void;
}

/** Warns once when fd use crosses `ratio` of the limit, and again only after it fell below 90% of that. */
export function startFdMonitor(log: Logger, intervalMs = 5_000, ratio = 0.8): FdMonitor {
  const limit = fdLimit();
  if (limit === null) return { stop: () => undefined };
  const high = Math.floor(limit * ratio);
  let warned = false;
  const timer = setInterval(() => {
    const n = fdCount();
    if (n === null) return;
    if (!warned && n >= high) {
      warned = true;
      log.warn({ fds: n, limit }, 'file descriptor use above 80% of RLIMIT_NOFILE');
    } else if (warned && n < high * 0.9) {
      warned = false;
      log.info({ fds: n, limit }, 'file descriptor use back below 80% of RLIMIT_NOFILE');
    }
  }, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

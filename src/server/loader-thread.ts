// Owns the zone loader thread's entry: fingerprint, parse, check and build one zone per job, off every serving thread and off the main thread.
import { closeSync, fsyncSync, mkdirSync, openSync, readlinkSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { diffZones, HISTORY_DEFAULTS, loadZoneIntoStore, Zone } from '../store/index.ts';
import type { Changeset } from '../store/index.ts';
import { buildTransfer, zoneText } from '../xfr/build.ts';
import { encodeChangeset } from './changes.ts';
import { Name } from '../wire/name.ts';
import { formatProblem, readZoneText } from '../zone/index.ts';
import { zoneFingerprint } from './fingerprint.ts';
import type { ChangesReply, LoadJob, LoadReply } from './ipc.ts';

/** At most this many problems travel back per zone (a 1M-line file of errors must not become a 1M-entry message). */
const MAX_PROBLEMS = 100;

/**
 * Writes a version as a master file the crash-safe way: a temporary file next to it, fsync,
 * rename over the old copy, fsync of the directory (so the rename itself survives a crash).
 */
function persist(text: Iterable<string>, file: string): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w', 0o644);
  try {
    for (const chunk of text) writeSync(fd, chunk, null, 'latin1');
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  closeSync(fd);
  renameSync(tmp, file);
  try {
    const dfd = openSync(dirname(file), 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  } catch {
    // a directory that cannot be opened for fsync (some filesystems): the rename stands
  }
}

/** A received transfer: build it (off the main thread), persist the copy, then reply as a load would. */
function runTransfer(job: LoadJob): { reply: LoadReply; built: Zone | null; changeset?: Changeset | null } {
  const t = job.transfer!;
  const t0 = performance.now();
  const failed = (why: string): { reply: LoadReply; built: null } => ({ reply: { id: job.id, status: 'failed', fingerprint: null, errors: [`${t.source}: error: ${why}`], errorCount: 1, warnings: [] }, built: null });
  let b;
  try {
    b = buildTransfer(Name.fromText(job.zone), t.kind, t.messages, job.previous ? Zone.fromImage(job.previous) : null, t.maxRecords, t.source);
  } catch (err) {
    return failed(err instanceof Error ? err.message : String(err));
  }
  try {
    // AXFR: the text that was parsed; IXFR: the new version printed.
    persist(b.text !== null ? [b.text] : zoneText(b.zone), job.file);
  } catch (err) {
    return failed(`cannot write the zone copy ${job.file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const ms = Math.round((performance.now() - t0) * 100) / 100;
  return {
    reply: { id: job.id, status: 'built', fingerprint: zoneFingerprint(job.file), image: b.zone.image(), serial: b.zone.serial, records: b.zone.recordCount, ms, warnings: b.warnings },
    built: b.zone,
    changeset: b.changeset,
  };
}

function run(job: LoadJob): { reply: LoadReply; built: Zone | null; changeset?: Changeset | null } {
  if (job.transfer) return runTransfer(job);
  const read = new Map<string, Buffer>();
  const fingerprint = zoneFingerprint(job.file, read);
  if (fingerprint === job.fingerprint) return { reply: { id: job.id, status: 'unchanged', fingerprint }, built: null };
  const t0 = performance.now();
  // The parse takes the bytes the fingerprint hashed (each dropped once taken): what is served is what was hashed.
  const readFile = (path: string): string => {
    const abs = resolve(path);
    const b = read.get(abs);
    if (b === undefined) return readZoneText(path);
    read.delete(abs);
    return b.toString('latin1');
  };
  let r;
  try {
    r = loadZoneIntoStore(job.file, Name.fromText(job.zone), { readFile });
  } catch (err) {
    return { reply: { id: job.id, status: 'failed', fingerprint, errors: [`${job.file}:0:0: error: ${err instanceof Error ? err.message : String(err)}`], errorCount: 1, warnings: [] }, built: null };
  }
  const warnings = r.warnings.slice(0, MAX_PROBLEMS).map(formatProblem);
  if (r.errors.length > 0 || r.zone === null) {
    const errors = r.errors.slice(0, MAX_PROBLEMS).map(formatProblem);
    if (errors.length === 0) errors.push(`${job.file}:0:0: error: the loader built no zone`);
    return { reply: { id: job.id, status: 'failed', fingerprint, errors, errorCount: Math.max(1, r.errors.length), warnings }, built: null };
  }
  const ms = Math.round((performance.now() - t0) * 100) / 100;
  return { reply: { id: job.id, status: 'built', fingerprint, image: r.zone.image(), serial: r.zone.serial, records: r.recordCount, ms, warnings }, built: r.zone };
}

/**
 * The changeset from the served version to the one just built (O(zone), after the build was
 * posted, so it never delays serving the new version); null when larger than the history keeps.
 */
function changes(job: LoadJob, built: Zone): ChangesReply {
  const cs = diffZones(Zone.fromImage(job.previous!), built, HISTORY_DEFAULTS.maxRecords);
  return { id: job.id, status: 'changes', changeset: cs === null ? null : encodeChangeset(cs) };
}

/**
 * Building a big zone takes a core for seconds; during a reload the serving threads must win every
 * time they want the CPU. On Linux setpriority() on a thread id renices only that thread
 * (/proc/thread-self names it). Startup loads keep full priority (nothing is served yet), and
 * since an unprivileged thread cannot raise its priority again, the main thread starts a new
 * loader thread for every batch of jobs. Best effort: without /proc the priority stays.
 */
const LOADER_NICE = 10;
let reniced = false;
function giveWay(): void {
  if (reniced) return;
  reniced = true;
  try {
    const tid = Number(/\/task\/(\d+)$/.exec(readlinkSync('/proc/thread-self'))?.[1] ?? NaN);
    if (Number.isInteger(tid)) setPriority(tid, LOADER_NICE);
  } catch {
    // no /proc or not permitted: same priority as the rest
  }
}

const port = parentPort;
if (port === null) throw new Error('loader-thread.ts runs only as a worker thread');
port.on('message', (job: LoadJob) => {
  if (job.background) giveWay();
  // The image's columns are SharedArrayBuffers: posting shares them, so the built zone is never copied.
  const { reply, built, changeset } = run(job);
  port.postMessage(reply);
  if (built !== null && job.previous !== null) {
    let c: ChangesReply;
    try {
      // A transfer computed its changeset while building (IXFR: the changes it applied).
      c = changeset !== undefined ? { id: job.id, status: 'changes', changeset: changeset === null ? null : encodeChangeset(changeset) } : changes(job, built);
    } catch {
      c = { id: job.id, status: 'changes', changeset: null };
    }
    port.postMessage(c);
  }
});

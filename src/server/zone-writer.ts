// Owns the zone writer in the main thread: per-zone state (current image, serial, source, loaded-at, last result), reloads through the loader thread, publishing.
import diagnostics from 'node:diagnostics_channel';
import { existsSync } from 'node:fs';
import type { Logger } from 'pino';
import type { ZoneSpec } from '../config/load.ts';
import type { ZoneResult, ZoneStatus } from '../control/types.ts';
import { ZONE_CHANNEL } from '../metrics/channels.ts';
import type { ZoneEvent } from '../metrics/channels.ts';
import { HISTORY_DEFAULTS, updateZone, soaWithSerial, Zone, ZoneHistory } from '../store/index.ts';
import type { HistoryLimits } from '../store/index.ts';
import { RRType } from '../wire/constants.ts';
import type { ResourceRecord } from '../wire/record.ts';
import { serialGt } from '../wire/serial.ts';
import { bumpedSerial } from '../xfr/serial-policy.ts';
import type { NewVersion } from '../xfr/types.ts';
import type { Changeset, ZoneImage } from '../store/index.ts';
import { Name } from '../wire/name.ts';
import { decodeChangeset } from './changes.ts';
import type { LoadReply, TransferData, WireChangeset } from './ipc.ts';
import type { ZoneLoadService } from './loader.ts';

interface ZoneState {
  readonly spec: ZoneSpec;
  readonly origin: Name;
  /** Changesets between the recent versions (serial from -> to, removed, added), for IXFR, NOTIFY and the API. */
  readonly history: ZoneHistory;
  fingerprint: string | null;
  image: ZoneImage | null;
  serial: number | null;
  records: number;
  loadedAt: number | null;
  /** The last load's first error, or null when the last load succeeded. */
  error: string | null;
  last: ZoneResult | null;
  failures: number;
  /** A secondary zone past its SOA expire without a successful refresh: kept, but answered SERVFAIL (RFC 1034 §4.3.5). */
  expired: boolean;
  /** The serial the file had when the serial policy replaced it in the version served (null: not replaced). */
  bumpedFrom: number | null;
}

const zoneChannel = diagnostics.channel(ZONE_CHANNEL);

function newState(spec: ZoneSpec, limits: HistoryLimits): ZoneState {
  return { spec, origin: Name.fromText(spec.name), history: new ZoneHistory(limits), fingerprint: null, image: null, serial: null, records: 0, loadedAt: null, error: null, last: null, failures: 0, bumpedFrom: null, expired: false };
}

/** One line for humans (logs, the control `reload` summary); code looks at the typed result instead. */
export function describeResult(r: ZoneResult, what: 'load' | 'reload' = 'reload'): string {
  switch (r.status) {
    case 'loaded':
      return what === 'load'
        ? `${r.zone}: loaded serial ${r.serial}`
        : `${r.zone}: reloaded serial ${r.previousSerial ?? '-'} -> ${r.serial} (${r.records} records, ${r.ms} ms)`;
    case 'unchanged':
      return r.stillFailing === null ? `${r.zone}: unchanged (serial ${r.serial ?? '-'})` : `${r.zone}: unchanged, still failing: ${r.stillFailing}`;
    case 'failed': {
      const keep = r.servingSerial !== null ? `; still serving serial ${r.servingSerial}` : '; not served';
      return `${r.zone}: error: ${r.problems[0] ?? 'unknown'} (${r.errorCount} error${r.errorCount === 1 ? '' : 's'}${keep})`;
    }
    case 'removed':
      return `${r.zone}: removed from the configuration (was serial ${r.serial ?? '-'}); no longer served`;
  }
}

/** What reconfigure() changed. */
export interface ZoneReconfiguration {
  readonly added: readonly string[];
  readonly removed: readonly ZoneResult[];
  readonly changed: readonly string[];
}

/**
 * The single writer of zone versions. Every zone is parsed and built once, by the loader thread; the
 * writer keeps the resulting image (SharedArrayBuffer-backed) and hands the same image to every
 * serving thread, so N workers cost one copy and can never disagree about a zone's content.
 */
export class ZoneWriter {
  readonly #log: Logger;
  readonly #loader: ZoneLoadService;
  readonly #states: ZoneState[] = [];
  readonly #subscribers = new Set<(images: readonly ZoneImage[], unserved: readonly string[]) => Promise<void>>();
  readonly #versionListeners = new Set<(v: NewVersion) => void>();
  /** The end of the queue of writer turns. */
  #tail: Promise<unknown> = Promise.resolve();
  /** A full reload waiting for its turn: later full reloads share it. */
  #queuedFull: Promise<ZoneResult[]> | null = null;
  #builds = 0;
  /** The unserved names last published (threads start knowing every configured zone as unserved). */
  #publishedUnserved: string;

  readonly #historyLimits: HistoryLimits;

  /** `historyLimits`: changesets kept per zone for IXFR (config xfr.journal_max_depth), records over them. */
  constructor(specs: readonly ZoneSpec[], log: Logger, loader: ZoneLoadService, historyLimits: HistoryLimits = HISTORY_DEFAULTS) {
    this.#log = log;
    this.#loader = loader;
    this.#historyLimits = historyLimits;
    for (const spec of specs) this.#states.push(newState(spec, historyLimits));
    this.#publishedUnserved = this.unserved().join('\n');
  }

  /**
   * Takes over the zone list of a re-read configuration (call it through reload(specs), which
   * runs it in the writer's turn) (the next reload loads what it adds and
   * what changed): a removed zone stops being served at once; a zone whose settings changed keeps
   * serving its current version until its new file is built (its file is parsed again even if
   * its content did not change). Zones are matched by name (case-insensitive, RFC 4343).
   */
  async reconfigure(specs: readonly ZoneSpec[]): Promise<ZoneReconfiguration> {
    const key = (name: string): string => Name.fromText(name).key;
    const next = new Map(specs.map((spec) => [key(spec.name), spec]));
    const added: string[] = [];
    const changed: string[] = [];
    const removed: ZoneResult[] = [];
    const states: ZoneState[] = [];
    for (const s of this.#states) {
      const spec = next.get(s.origin.key);
      if (!spec) {
        removed.push({ zone: s.spec.name, status: 'removed', serial: s.image !== null ? s.serial : null });
        continue;
      }
      next.delete(s.origin.key);
      if (JSON.stringify(spec) === JSON.stringify(s.spec)) {
        states.push(s);
        continue;
      }
      changed.push(spec.name);
      states.push({ ...s, spec, fingerprint: null });
    }
    for (const spec of next.values()) {
      added.push(spec.name);
      states.push(newState(spec, this.#historyLimits));
    }
    // Configuration order, as the file lists them.
    const order = new Map(specs.map((spec, i) => [key(spec.name), i]));
    states.sort((a, b) => order.get(a.origin.key)! - order.get(b.origin.key)!);
    this.#states.splice(0, this.#states.length, ...states);
    for (const r of removed) this.#log.warn({ zone: r.zone, status: r.status, result: describeResult(r) }, 'zone removed');
    if (removed.length > 0) await this.#publish();
    return { added, removed, changed };
  }

  /** The images of every zone served now, in configuration order. */
  images(): ZoneImage[] {
    const out: ZoneImage[] = [];
    for (const s of this.#states) if (s.image !== null && !s.expired) out.push(s.image);
    return out;
  }

  /**
   * Called with the complete set of images each time one zone changes; the promise settles when
   * the readers serve them, so a zone is reported loaded only once it is answered from. `unserved`
   * names the configured zones without a version.
   */
  onPublish(fn: (images: readonly ZoneImage[], unserved: readonly string[]) => Promise<void>): () => void {
    this.#subscribers.add(fn);
    return () => this.#subscribers.delete(fn);
  }

  /**
   * Called after every thread serves a new version of a zone whose serial changed (whatever made
   * it: a file load or reload, later a transfer or the API), with the changeset now in its history.
   */
  onNewVersion(fn: (v: NewVersion) => void): () => void {
    this.#versionListeners.add(fn);
    return () => this.#versionListeners.delete(fn);
  }

  /**
   * Puts changesets read back from a journal into a zone's history (at startup); only when the
   * history is empty and the chain ends at the serial served. Returns whether they were taken.
   */
  restoreHistory(zone: string, changesets: readonly Changeset[]): boolean {
    const key = Name.fromText(zone).key;
    const s = this.#states.find((x) => x.origin.key === key);
    if (!s || s.image === null || s.history.depth > 0 || changesets.length === 0 || changesets.at(-1)!.serialTo !== s.serial) return false;
    for (const cs of changesets) s.history.append(cs);
    return true;
  }

  /** Zones served now. */
  get served(): number {
    return this.#states.filter((s) => s.image !== null && !s.expired).length;
  }

  /** Zone versions built since start (each one parsed exactly once, whatever the number of workers). */
  get builds(): number {
    return this.#builds;
  }

  /** Configured zones, those served now, and those not served or whose last load failed. */
  counts(): { configured: number; loaded: number; failed: number } {
    let loaded = 0;
    let failed = 0;
    for (const s of this.#states) {
      if (s.image !== null && !s.expired) loaded++;
      if (s.image === null || s.expired || s.last?.status === 'failed') failed++;
    }
    return { configured: this.#states.length, loaded, failed };
  }

  /** Names of configured zones that have no version to serve (failed or not loaded yet). */
  unserved(): string[] {
    return this.#states.filter((s) => s.image === null || s.expired).map((s) => s.spec.name);
  }

  status(): ZoneStatus[] {
    return this.#states.map((s) => ({
      zone: s.spec.name, file: s.spec.file, serial: s.serial, records: s.records,
      loadedAt: s.loadedAt === null ? null : new Date(s.loadedAt).toISOString(), last: s.last, failures: s.failures,
    }));
  }

  /** Startup: loads every zone; a zone that fails is logged (file:line:col) and not served, the others are (as NSD and Knot do). */
  loadAll(): Promise<ZoneResult[]> {
    return this.#enqueue(() => this.#run('load'));
  }

  /**
   * Reloads zones whose file or $INCLUDEs changed. Runs one at a time, in the order asked; calls
   * that arrive while a full reload waits for its turn share it (a reload already running may have
   * read a file before it changed, so it is not shared). With `specs` (a re-read configuration)
   * the zone list is taken over first, in the same turn.
   */
  reload(specs?: readonly ZoneSpec[]): Promise<ZoneResult[]> {
    if (specs !== undefined) {
      return this.#enqueue(async () => {
        const { removed } = await this.reconfigure(specs);
        return [...removed, ...(await this.#run('reload'))];
      });
    }
    if (this.#queuedFull) return this.#queuedFull;
    const p = this.#enqueue(() => {
      this.#queuedFull = null;
      return this.#run('reload');
    });
    this.#queuedFull = p;
    return p;
  }

  /** Reloads one configured zone (matched case-insensitively); [] when no such zone is configured. */
  reloadZone(name: string): Promise<ZoneResult[]> {
    const key = Name.fromText(name).key;
    return this.#enqueue(async () => {
      const s = this.#states.find((x) => x.origin.key === key);
      return s ? this.#run('reload', [s]) : [];
    });
  }

  /**
   * Publishes a received zone transfer as the zone's new version (secondary zones): the loader
   * thread builds it and writes the copy to the zone's file, the version goes through the same
   * history path as a reload, and every worker switches to it between two queries. A transfer
   * that fails to build changes nothing. Runs in the writer's turn like every other change.
   */
  applyTransfer(name: string, transfer: TransferData): Promise<ZoneResult | null> {
    const key = Name.fromText(name).key;
    return this.#enqueue(async () => {
      const s = this.#states.find((x) => x.origin.key === key);
      if (!s) return null;
      const [r] = await this.#run('transfer', [s], transfer);
      return r ?? null;
    });
  }

  /**
   * Marks a secondary zone expired (its SOA expire passed without a successful refresh: answered
   * SERVFAIL, RFC 1034 §4.3.5) or fresh again; the version is kept for when it recovers.
   */
  setExpired(name: string, expired: boolean): Promise<void> {
    const key = Name.fromText(name).key;
    return this.#enqueue(async () => {
      const s = this.#states.find((x) => x.origin.key === key);
      if (!s || s.expired === expired) return;
      s.expired = expired;
      this.#log[expired ? 'error' : 'info']({ zone: s.spec.name, serial: s.serial }, expired ? 'zone expired: answering SERVFAIL until a refresh succeeds' : 'zone refreshed after expiry: served again');
      await this.#publish();
    });
  }

  /** The SOA record of the version held for a zone (served or expired), or null. */
  soa(name: string): ResourceRecord | null {
    const key = Name.fromText(name).key;
    const s = this.#states.find((x) => x.origin.key === key);
    if (!s || s.image === null) return null;
    const z = Zone.fromImage(s.image);
    const set = z.soa;
    return set ? { name: z.origin, type: RRType.SOA, class: 1, ttl: set.ttl, rdata: Uint8Array.from(set.first()) } : null;
  }

  /** One writer turn at a time: loads, reloads and reconfigurations never interleave. */
  #enqueue<T>(task: () => Promise<T>): Promise<T> {
    const p = this.#tail.then(task, task);
    this.#tail = p.catch(() => undefined);
    return p;
  }

  async #run(what: 'load' | 'reload' | 'transfer', only?: readonly ZoneState[], transfer?: TransferData): Promise<ZoneResult[]> {
    const results: ZoneResult[] = [];
    for (const s of only ?? this.#states) {
      const previous = s.image;
      if (transfer === undefined && previous === null && s.spec.role === 'secondary' && !existsSync(s.spec.file)) {
        // A secondary without a copy yet: nothing to load, not an error; answered SERVFAIL until its first transfer.
        const r: ZoneResult = { zone: s.spec.name, status: 'failed', problems: ['no copy yet: waiting for the first transfer from its primaries'], errorCount: 1, servingSerial: null };
        s.last = r;
        results.push(r);
        if (this.unserved().join('\n') !== this.#publishedUnserved) await this.#publish();
        this.#log.info({ zone: s.spec.name, file: s.spec.file }, 'secondary zone has no copy yet: waiting for the first transfer');
        continue;
      }
      const servedSerial = previous !== null ? s.serial : null;
      // The loader sends the changeset from `previous` some time after a `built` reply (always: null when too large or failed).
      let changesArrived: (cs: WireChangeset | null) => void = () => undefined;
      const changes = new Promise<WireChangeset | null>((resolve) => {
        changesArrived = resolve;
      });
      const reply = await this.#loader.load(
        { zone: s.spec.name, file: s.spec.file, fingerprint: s.fingerprint, background: what === 'reload' || (what === 'transfer' && previous !== null), previous, ...(transfer ? { transfer } : {}) },
        (cs) => changesArrived(cs),
      );
      s.bumpedFrom = null;
      const r = this.#apply(s, reply);
      // A transfer that built is a successful refresh: an expired zone is served again.
      if (r.status === 'loaded' && what === 'transfer') s.expired = false;
      s.last = r;
      results.push(r);
      // Published per zone, as soon as it is built: a big zone later in the list does not delay this one.
      // A zone that failed with nothing to serve and was not yet known as unserved (added by a reload) is published too: the threads answer SERVFAIL for it.
      if (r.status === 'loaded' || this.unserved().join('\n') !== this.#publishedUnserved) await this.#publish();
      this.#report(s, r, reply, what);
      if (r.status === 'loaded') {
        // Served first, recorded after: the difference is computed while the threads already answer from the new version.
        const changeset = previous !== null && reply.status === 'built' ? this.#record(s, await changes) : null;
        if (changeset === null) s.history.clear();
        if (r.serial !== servedSerial) this.#newVersion(s, servedSerial, changeset);
      } else if (previous !== null && reply.status === 'built') {
        // Refused by the serial policy: its changeset is not kept.
        await changes;
      }
    }
    return results;
  }

  #apply(s: ZoneState, reply: LoadReply): ZoneResult {
    const zone = s.spec.name;
    switch (reply.status) {
      case 'unchanged':
        return { zone, status: 'unchanged', serial: s.serial, stillFailing: s.error };
      case 'failed':
        if (reply.fingerprint !== null) s.fingerprint = reply.fingerprint;
        s.error = reply.errors[0] ?? 'unknown error';
        s.failures++;
        return { zone, status: 'failed', problems: reply.errors, errorCount: reply.errorCount, servingSerial: s.image !== null ? s.serial : null };
      case 'built': {
        const previousSerial = s.serial;
        let image = reply.image;
        let serial = reply.serial;
        if (s.image !== null && previousSerial !== null && !serialGt(serial, previousSerial)) {
          // The file changed but its serial did not grow: secondaries would keep the old content under that serial.
          const bumped = bumpedSerial(s.spec.serialPolicy ?? 'keep', previousSerial);
          if (bumped === null) {
            s.fingerprint = reply.fingerprint;
            s.error = `content changed but serial ${serial} is not greater than the served ${previousSerial}: new content refused (serial_policy keep; raise the serial)`;
            s.failures++;
            return { zone, status: 'failed', problems: [`${s.spec.file}: ${s.error}`], errorCount: 1, servingSerial: previousSerial };
          }
          const next = updateZone(Zone.fromImage(image)).setSerial(bumped).commit({ checkGlue: false });
          image = next.zone.image();
          serial = bumped;
          s.bumpedFrom = reply.serial;
          this.#log.info({ zone, fileSerial: reply.serial, serial: bumped, policy: s.spec.serialPolicy }, `zone content changed with serial ${reply.serial}; serial set to ${bumped} (serial_policy ${s.spec.serialPolicy ?? 'keep'})`);
        }
        s.fingerprint = reply.fingerprint;
        s.image = image;
        s.serial = serial;
        s.records = reply.records;
        s.loadedAt = Date.now();
        s.error = null;
        this.#builds++;
        return { zone, status: 'loaded', serial, previousSerial, records: reply.records, ms: reply.ms };
      }
    }
  }

  #report(s: ZoneState, r: ZoneResult, reply: LoadReply, how: 'load' | 'reload' | 'transfer'): void {
    const zone = s.spec.name;
    if (reply.status !== 'unchanged') for (const w of reply.warnings) this.#log.warn({ zone, problem: w }, w);
    const what = how === 'transfer' ? 'reload' : how;
    const result = describeResult(r, what);
    switch (r.status) {
      case 'loaded':
        this.#log.info({ zone, status: r.status, records: r.records, serial: r.serial, ms: r.ms, result }, how === 'load' ? 'zone loaded' : how === 'transfer' ? 'zone transferred' : 'zone reloaded');
        if (zoneChannel.hasSubscribers) {
          const ev: ZoneEvent = { zone, serial: r.serial, records: r.records, ms: r.ms };
          zoneChannel.publish(ev);
        }
        break;
      case 'unchanged':
        this.#log[r.stillFailing === null ? 'info' : 'warn']({ zone, status: r.status, serial: r.serial, result }, 'zone unchanged');
        break;
      case 'removed':
        break;
      case 'failed':
        // Each problem is logged once, here: the loader thread and the serving threads never log zone problems.
        for (const p of r.problems) this.#log.error({ zone, problem: p }, p);
        this.#log.error({ zone, file: s.spec.file, status: r.status, errors: r.errorCount, keeping: r.servingSerial, result }, how === 'load' ? 'zone load failed' : how === 'transfer' ? 'zone transfer not applied' : 'zone reload failed');
        break;
    }
  }

  /**
   * Tells the onNewVersion listeners (journal, NOTIFY) about the version `s` serves now. Every path
   * that publishes a new serial calls it after the threads serve it and the changeset is in the
   * history (file reloads here; transfers in and the API must too, so chains of secondaries work).
   */
  #newVersion(s: ZoneState, previousSerial: number | null, changeset: Changeset | null): void {
    if (s.image === null || s.serial === null) return;
    const soa = Zone.fromImage(s.image).soa;
    const v: NewVersion = { zone: s.spec.name, spec: s.spec, serial: s.serial, previousSerial, changeset, soa: soa ? { ttl: soa.ttl, rdata: Uint8Array.from(soa.first()) } : null };
    for (const fn of this.#versionListeners) {
      try {
        fn(v);
      } catch (err) {
        this.#log.error({ zone: v.zone, err: err instanceof Error ? err.message : String(err) }, 'new version listener failed');
      }
    }
  }

  /**
   * Appends the changeset of a reload to the zone's history (with the serial the policy gave the
   * version, when it replaced the file's); null when there is none (too large).
   */
  #record(s: ZoneState, wire: WireChangeset | null): Changeset | null {
    if (wire === null) return null;
    let cs = decodeChangeset(s.origin, wire);
    const serial = s.serial;
    if (s.bumpedFrom !== null && serial !== null) {
      cs = { ...cs, serialTo: serial, soaTo: cs.soaTo && { ...cs.soaTo, rdata: soaWithSerial(cs.soaTo.rdata, serial) } };
    }
    s.history.append(cs);
    return cs;
  }

  /** The change history of a zone (by name as configured), or undefined for an unknown zone. */
  history(zone: string): ZoneHistory | undefined {
    return this.#states.find((x) => x.spec.name === zone)?.history;
  }

  /** IXFR out: the changesets of a zone (matched case-insensitively) from `serial` to its newest version; null when unknown. */
  changesSince(zone: string, serial: number): Changeset[] | null {
    const key = Name.fromText(zone).key;
    const s = this.#states.find((x) => x.origin.key === key);
    if (!s || s.image === null) return null;
    return s.history.since(serial);
  }

  async #publish(): Promise<void> {
    const images = this.images();
    const unserved = this.unserved();
    this.#publishedUnserved = unserved.join('\n');
    await Promise.all([...this.#subscribers].map((fn) => fn(images, unserved)));
  }
}

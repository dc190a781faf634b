// Owns the zones one worker serves: load at startup, reload what changed on SIGHUP, swap one ZoneSet reference.
import diagnostics from 'node:diagnostics_channel';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { ZoneSpec } from '../config/load.ts';
import { ZONE_CHANNEL } from '../metrics/channels.ts';
import type { ZoneEvent } from '../metrics/channels.ts';
import { ZoneSet, buildZone, loadZoneIntoStore } from '../store/index.ts';
import type { StoreLoadResult, Zone } from '../store/index.ts';
import { Name } from '../wire/name.ts';
import type { ZoneLoadResult } from '../zone/types.ts';
import { formatProblem } from '../zone/index.ts';
import { zoneFingerprint } from './fingerprint.ts';

/** A loader: either records to build from (check-zone's shape) or a built snapshot (the default, loadZoneIntoStore). */
export type LoadZoneFile = (path: string, origin: Name) => ZoneLoadResult | StoreLoadResult | Promise<ZoneLoadResult | StoreLoadResult>;

const zoneChannel = diagnostics.channel(ZONE_CHANNEL);

interface ZoneState {
  readonly spec: ZoneSpec;
  readonly origin: Name;
  fingerprint: string | null;
  zone: Zone | null;
  serial: number | null;
  records: number;
  /** The last load's first error, or null when the last load succeeded. */
  error: string | null;
}

export class ZoneManager {
  readonly #log: Logger;
  readonly #states: ZoneState[] = [];
  #current = new ZoneSet([]);
  readonly #load: LoadZoneFile;
  #reloading: Promise<string[]> | null = null;

  constructor(specs: readonly ZoneSpec[], log: Logger, load: LoadZoneFile = loadZoneIntoStore) {
    this.#log = log;
    this.#load = load;
    for (const spec of specs) {
      this.#states.push({ spec, origin: Name.fromText(spec.name), fingerprint: null, zone: null, serial: null, records: 0, error: null });
    }
  }

  /** The set every query reads; replaced (never mutated) by reload. */
  get current(): ZoneSet {
    return this.#current;
  }

  /** Zones being served now. */
  get served(): number {
    return this.#states.filter((s) => s.zone !== null).length;
  }

  /**
   * Startup: loads every zone. A zone that fails is logged (file:line:col) and not served; the
   * others are (as NSD and Knot do). Returns how many zones failed.
   */
  async loadAll(): Promise<number> {
    let failed = 0;
    for (const s of this.#states) {
      const r = await this.#loadOne(s, 'load');
      if (r.startsWith('error')) failed++;
    }
    this.#swap();
    return failed;
  }

  /** Reloads zones whose file or includes changed; one summary line per zone. Concurrent calls share one run. */
  reload(): Promise<string[]> {
    this.#reloading ??= this.#reloadNow().finally(() => {
      this.#reloading = null;
    });
    return this.#reloading;
  }

  async #reloadNow(): Promise<string[]> {
    const lines: string[] = [];
    let changed = false;
    for (const s of this.#states) {
      const fp = zoneFingerprint(s.spec.file);
      if (fp === s.fingerprint && s.error === null) {
        lines.push(`${s.spec.name}: unchanged (serial ${s.serial ?? '-'})`);
        continue;
      }
      if (fp === s.fingerprint) {
        lines.push(`${s.spec.name}: unchanged, still failing: ${s.error ?? ''}`);
        continue;
      }
      const before = s.zone;
      const r = await this.#loadOne(s, 'reload', fp);
      if (s.zone !== before) changed = true;
      lines.push(`${s.spec.name}: ${r}`);
    }
    if (changed) this.#swap();
    return lines;
  }

  /** Loads one zone; on failure the previous version (if any) stays. Returns a summary. */
  async #loadOne(s: ZoneState, what: 'load' | 'reload', fp = zoneFingerprint(s.spec.file)): Promise<string> {
    const t0 = performance.now();
    let result: ZoneLoadResult | StoreLoadResult;
    try {
      result = await this.#load(s.spec.file, s.origin);
    } catch (err) {
      s.fingerprint = fp;
      s.error = err instanceof Error ? err.message : String(err);
      this.#log.error({ zone: s.spec.name, file: s.spec.file, err: s.error, keeping: s.serial }, `zone ${what} failed`);
      return `error: ${s.error}${s.zone ? ` (still serving serial ${s.serial ?? '-'})` : ''}`;
    }
    s.fingerprint = fp;
    for (const w of result.warnings) this.#log.warn({ zone: s.spec.name, problem: formatProblem(w) }, formatProblem(w));
    if (result.errors.length > 0) {
      for (const e of result.errors) this.#log.error({ zone: s.spec.name, problem: formatProblem(e) }, formatProblem(e));
      s.error = formatProblem(result.errors[0]!);
      const keep = s.zone ? `; still serving serial ${s.serial ?? '-'}` : '; not served';
      this.#log.error({ zone: s.spec.name, file: s.spec.file, errors: result.errors.length, keeping: s.zone ? s.serial : null }, `zone ${what} failed${keep}`);
      return `error: ${s.error} (${result.errors.length} error${result.errors.length === 1 ? '' : 's'}${keep})`;
    }
    let zone: Zone;
    let records: number;
    try {
      // The default loader already built the snapshot from its compact table; a record list is built here.
      if ('zone' in result) {
        if (!result.zone) throw new Error('loader returned no zone and no errors');
        zone = result.zone;
        records = result.recordCount;
      } else {
        zone = buildZone(s.origin, result.records);
        records = result.records.length;
      }
    } catch (err) {
      s.error = err instanceof Error ? err.message : String(err);
      this.#log.error({ zone: s.spec.name, file: s.spec.file, err: s.error }, `zone ${what} failed`);
      return `error: ${s.error}`;
    }
    const ms = Math.round((performance.now() - t0) * 100) / 100;
    const prevSerial = s.serial;
    s.zone = zone;
    s.serial = result.serial;
    s.records = records;
    s.error = null;
    this.#log.info({ zone: s.spec.name, records: s.records, serial: s.serial, ms }, what === 'load' ? 'zone loaded' : 'zone reloaded');
    if (zoneChannel.hasSubscribers) {
      const ev: ZoneEvent = { zone: s.spec.name, serial: s.serial ?? 0, records: s.records, ms };
      zoneChannel.publish(ev);
    }
    return what === 'load' ? `loaded serial ${s.serial ?? '-'}` : `reloaded serial ${prevSerial ?? '-'} -> ${s.serial ?? '-'} (${s.records} records, ${ms} ms)`;
  }

  #swap(): void {
    const zones: Zone[] = [];
    for (const s of this.#states) if (s.zone !== null) zones.push(s.zone);
    this.#current = new ZoneSet(zones);
  }
}

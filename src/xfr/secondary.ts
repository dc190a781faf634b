// Owns the secondary zones' refresh in the main thread: SOA refresh/retry/expire timers with jitter, NOTIFY-triggered checks, primaries tried in order, IXFR then AXFR, expiry to SERVFAIL.
import diagnostics from 'node:diagnostics_channel';
import { setMaxListeners } from 'node:events';
import type { Logger } from 'pino';
import type { Config } from '../config/load.ts';
import { XFR_IN_CHANNEL } from './secondary-events.ts';
import type { XfrInEvent } from './secondary-events.ts';
import { Name } from '../wire/name.ts';
import { serialGt } from '../wire/serial.ts';
import type { ResourceRecord } from '../wire/record.ts';
import type { TransferData } from './build.ts';
import { querySoa, soaField, soaSerial, transfer, XfrError } from './client.ts';
import type { ClientOptions, Endpoint, RequestSigner } from './client.ts';

/** The refresh state of a secondary zone (ISO times; null when not yet / not applicable). */
export interface SecondaryStatus {
  readonly lastRefresh: string | null;
  readonly nextRefresh: string | null;
  readonly expiresAt: string | null;
  readonly expired: boolean;
  /** The last refresh that failed, with why; null after a success. */
  readonly lastError: string | null;
  readonly lastTransfer: {
    readonly kind: 'axfr' | 'ixfr';
    readonly from: string;
    readonly at: string;
    readonly durationMs: number;
    readonly records: number;
    readonly bytes: number;
    readonly serial: number | null;
    readonly result: 'ok' | 'failed';
    readonly error: string | null;
  } | null;
}

/** What publishing a transfer gave: the new version, or why it was not applied (the served version is untouched). */
export type Applied = { readonly ok: true; readonly serial: number; readonly records: number } | { readonly ok: false; readonly error: string };

/** What the scheduler needs of the zone writer (the server passes its ZoneWriter). */
export interface SecondaryHost {
  /** Builds and publishes a transfer as the zone's new version; null when the zone is gone. */
  applyTransfer(zone: string, transfer: TransferData): Promise<Applied | null>;
  setExpired(zone: string, expired: boolean): Promise<void>;
  /** The SOA of the version held now (served or expired), or null. */
  soa(zone: string): ResourceRecord | null;
}

/** Bounds on SOA timers: a hostile or mistyped SOA can neither hammer the primary nor stop refreshes for ever. */
const MIN_INTERVAL_MS = 1_000;
const MAX_INTERVAL_MS = 24 * 3600_000;
/** Without a copy (nothing to take timers from): first retry after this, doubling up to NO_COPY_MAX_MS. */
const NO_COPY_RETRY_MS = 2_000;
const NO_COPY_MAX_MS = 300_000;
/** NOTIFY-triggered checks of one zone at most this often (a NOTIFY flood costs one SOA query per second). */
const NOTIFY_MIN_GAP_MS = 1_000;
/** Refreshes (SOA check and transfer) running at once; the others wait their turn (a server with 1000 secondary zones starts 1000 checks at once otherwise: descriptors and primaries' load). */
const MAX_CONCURRENT_REFRESHES = 8;

const xfrIn = diagnostics.channel(XFR_IN_CHANNEL);

interface Entry {
  readonly zone: string;
  readonly origin: Name;
  readonly primaries: readonly string[];
  timer: NodeJS.Timeout | null;
  expiryTimer: NodeJS.Timeout | null;
  running: Promise<void> | null;
  /** A NOTIFY came while a refresh ran: check again when it ends. */
  again: boolean;
  lastRefresh: number | null;
  nextRefresh: number | null;
  expiresAt: number | null;
  expired: boolean;
  lastError: string | null;
  failures: number;
  lastCheckAt: number;
  lastTransfer: SecondaryStatus['lastTransfer'];
  closed: boolean;
}

function clampMs(seconds: number): number {
  return Math.min(MAX_INTERVAL_MS, Math.max(MIN_INTERVAL_MS, seconds * 1000));
}

/** RFC 1996 §4.1 spirit: spread the refreshes of many zones (up to 10% earlier), so they do not all hit the primary at once. */
function jitter(ms: number): number {
  return Math.round(ms * (0.9 + 0.1 * Math.random()));
}

const iso = (t: number | null): string | null => (t === null ? null : new Date(t).toISOString());

export type SignerFor = (remote: string) => RequestSigner | null;

/**
 * One scheduler for every secondary zone of the server, in the main thread: transfers are
 * fetched once per server, whatever the number of workers. It owns every refresh and expiry
 * timer and every transfer in progress; close() clears and aborts them all.
 */
export class SecondaryScheduler {
  #config: Config;
  readonly #host: SecondaryHost;
  readonly #log: Logger;
  readonly #signerFor: SignerFor;
  readonly #entries = new Map<string, Entry>();
  readonly #abort = new AbortController();
  /** Zones whose refresh is due but waits for a free slot, in order (at most one entry per zone). */
  readonly #waiting: Entry[] = [];
  #active = 0;
  #closed = false;

  constructor(config: Config, host: SecondaryHost, log: Logger, signerFor: SignerFor = () => null) {
    this.#config = config;
    this.#host = host;
    this.#log = log;
    this.#signerFor = signerFor;
    // Every exchange in progress listens on the one signal (bounded by MAX_CONCURRENT_REFRESHES).
    setMaxListeners(0, this.#abort.signal);
  }

  /** Starts the timers of every secondary zone: each checks its primaries at once (a copy loaded from disk is served meanwhile). */
  start(): void {
    for (const z of this.#config.zones) if (z.primaries.length > 0) this.#add(z.name, z.primaries);
  }

  /** Takes over a re-read configuration: removed zones (or changed primaries) stop, new ones start. */
  reconfigure(config: Config): void {
    this.#config = config;
    const wanted = new Map(config.zones.filter((z) => z.primaries.length > 0).map((z) => [Name.fromText(z.name).key, z]));
    for (const [key, e] of this.#entries) {
      const z = wanted.get(key);
      if (!z || z.primaries.join(',') !== e.primaries.join(',')) this.#remove(key);
    }
    for (const [key, z] of wanted) if (!this.#entries.has(key)) this.#add(z.name, z.primaries);
  }

  /** A NOTIFY for `zone` passed the ACL and TSIG checks in a worker: check the primaries' SOA now (rate-limited). */
  notify(zone: string, serial: number | null, peer: string): boolean {
    const e = this.#entries.get(Name.fromText(zone).key);
    if (!e) return false;
    const current = this.#host.soa(e.zone);
    this.#log.info({ zone: e.zone, serial, peer, ourSerial: current ? soaSerial(current.rdata) : null }, 'NOTIFY received');
    if (e.running) {
      e.again = true;
      return true;
    }
    const wait = Math.max(0, e.lastCheckAt + NOTIFY_MIN_GAP_MS - Date.now());
    this.#schedule(e, wait);
    return true;
  }

  /** The refresh state of a secondary zone, or undefined for a zone that is not one. */
  status(zone: string): SecondaryStatus | undefined {
    const e = this.#entries.get(Name.fromText(zone).key);
    if (!e) return undefined;
    return { lastRefresh: iso(e.lastRefresh), nextRefresh: iso(e.nextRefresh), expiresAt: iso(e.expiresAt), expired: e.expired, lastError: e.lastError, lastTransfer: e.lastTransfer };
  }

  /** Checks a zone now (tests, `reload NAME` of a secondary); resolves when that refresh ends. */
  async refreshNow(zone: string): Promise<void> {
    const e = this.#entries.get(Name.fromText(zone).key);
    if (!e) return;
    if (e.running) await e.running;
    this.#schedule(e, 0);
    await new Promise<void>((resolve) => setImmediate(resolve));
    await e.running;
  }

  /** Stops every timer and aborts every exchange in progress; resolves once the refreshes have ended. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#abort.abort();
    const running = [...this.#entries.values()].map((e) => e.running).filter((p): p is Promise<void> => p !== null);
    for (const key of [...this.#entries.keys()]) this.#remove(key);
    this.#waiting.length = 0;
    await Promise.allSettled(running);
  }

  #add(zone: string, primaries: readonly string[]): void {
    if (this.#closed) return;
    const origin = Name.fromText(zone);
    const e: Entry = {
      zone, origin, primaries, timer: null, expiryTimer: null, running: null, again: false,
      lastRefresh: null, nextRefresh: null, expiresAt: null, expired: false, lastError: null, failures: 0, lastCheckAt: 0, lastTransfer: null, closed: false,
    };
    this.#entries.set(origin.key, e);
    // A copy read from disk at startup: its age is unknown (timers are not persisted), so it counts as
    // fresh from now and expires after its SOA expire unless a refresh succeeds (Knot without its timer database does the same).
    const soa = this.#host.soa(zone);
    if (soa) this.#setExpiry(e, soa);
    this.#schedule(e, 0);
  }

  #remove(key: string): void {
    const e = this.#entries.get(key);
    if (!e) return;
    e.closed = true;
    const w = this.#waiting.indexOf(e);
    if (w >= 0) this.#waiting.splice(w, 1);
    if (e.timer) clearTimeout(e.timer);
    if (e.expiryTimer) clearTimeout(e.expiryTimer);
    e.timer = e.expiryTimer = null;
    this.#entries.delete(key);
  }

  #schedule(e: Entry, ms: number): void {
    if (e.closed || this.#closed) return;
    if (e.timer) clearTimeout(e.timer);
    e.nextRefresh = Date.now() + ms;
    e.timer = setTimeout(() => {
      e.timer = null;
      if (e.running || this.#waiting.includes(e)) return;
      this.#waiting.push(e);
      this.#next();
    }, ms);
    e.timer.unref();
  }

  /** Starts waiting refreshes while fewer than MAX_CONCURRENT_REFRESHES run. */
  #next(): void {
    while (this.#active < MAX_CONCURRENT_REFRESHES && !this.#closed) {
      const e = this.#waiting.shift();
      if (!e) return;
      if (e.closed || e.running) continue;
      this.#active++;
      e.running = this.#refresh(e).finally(() => {
        this.#active--;
        e.running = null;
        if (e.again && !e.closed) {
          e.again = false;
          this.#schedule(e, Math.max(0, e.lastCheckAt + NOTIFY_MIN_GAP_MS - Date.now()));
        }
        this.#next();
      });
    }
  }

  #setExpiry(e: Entry, soa: ResourceRecord): void {
    const expireMs = clampMs(soaField(soa.rdata, 3));
    e.expiresAt = Date.now() + expireMs;
    if (e.expiryTimer) clearTimeout(e.expiryTimer);
    e.expiryTimer = setTimeout(() => {
      e.expiryTimer = null;
      if (e.closed) return;
      e.expired = true;
      this.#log.warn({ zone: e.zone, expireMs, lastError: e.lastError }, 'secondary zone expired: no successful refresh within its SOA expire');
      void this.#host.setExpired(e.zone, true);
    }, expireMs);
    e.expiryTimer.unref();
  }

  #options(remote: string): ClientOptions {
    const xfr = this.#config.xfr;
    return { timeoutMs: xfr.timeoutMs, maxRecords: xfr.maxRecords, signer: this.#signerFor(remote), signal: this.#abort.signal };
  }

  async #refresh(e: Entry): Promise<void> {
    e.lastCheckAt = Date.now();
    e.nextRefresh = null;
    const errors: string[] = [];
    let outcome: ResourceRecord | null = null;
    for (const name of e.primaries) {
      const remote = this.#config.remotes.find((r) => r.name === name);
      if (!remote) continue;
      for (const addr of remote.address) {
        if (e.closed) return;
        try {
          outcome = await this.#fromPrimary(e, name, addr);
        } catch (err) {
          errors.push(`${name} ${addr.host}:${addr.port}: ${err instanceof Error ? err.message : String(err)}`);
          continue;
        }
        break;
      }
      if (outcome) break;
    }
    if (e.closed) return;
    if (outcome) {
      e.lastRefresh = Date.now();
      e.lastError = null;
      e.failures = 0;
      this.#setExpiry(e, outcome);
      if (e.expired) {
        e.expired = false;
        await this.#host.setExpired(e.zone, false);
      }
      this.#schedule(e, jitter(clampMs(soaField(outcome.rdata, 1))));
      return;
    }
    e.failures++;
    e.lastError = errors.join('; ') || 'no primary address configured';
    const held = this.#host.soa(e.zone);
    const retry = held ? clampMs(soaField(held.rdata, 2)) : Math.min(NO_COPY_MAX_MS, NO_COPY_RETRY_MS * 2 ** Math.min(16, e.failures - 1));
    this.#log.warn({ zone: e.zone, error: e.lastError, retryInMs: retry }, 'secondary zone refresh failed');
    this.#schedule(e, jitter(retry));
  }

  /** One primary address: SOA query, then IXFR (or AXFR without a copy), then AXFR when IXFR fails. Returns the SOA now held. */
  async #fromPrimary(e: Entry, remote: string, addr: Endpoint): Promise<ResourceRecord> {
    const opts = this.#options(remote);
    const current = this.#host.soa(e.zone);
    const ours = current ? soaSerial(current.rdata) : null;
    const soa = await querySoa(e.origin, addr, opts);
    const theirs = soaSerial(soa.rdata);
    if (ours !== null && !serialGt(theirs, ours)) {
      if (theirs !== ours) this.#log.warn({ zone: e.zone, remote, ours, theirs }, 'primary has an older serial than ours; keeping ours (RFC 1982)');
      return current!;
    }
    this.#log.info({ zone: e.zone, remote, address: `${addr.host}:${addr.port}`, from: ours, to: theirs }, 'primary has a newer serial: transferring');
    if (current) {
      try {
        const held = await this.#transferOnce(e, remote, addr, current, opts);
        if (held) return held;
      } catch (err) {
        if (this.#closed || e.closed) throw err;
        this.#log.info({ zone: e.zone, remote, error: err instanceof Error ? err.message : String(err) }, 'IXFR failed; trying AXFR');
      }
    }
    const held = await this.#transferOnce(e, remote, addr, null, opts);
    if (!held) throw new XfrError('AXFR brought no newer version');
    return held;
  }

  /** One IXFR (`current` given) or AXFR; publishes what it brought. Returns the SOA now held, or null when IXFR answered with our serial only. */
  async #transferOnce(e: Entry, remote: string, addr: Endpoint, current: ResourceRecord | null, opts: ClientOptions): Promise<ResourceRecord | null> {
    const t0 = Date.now();
    const asked = current ? 'ixfr' : 'axfr';
    const from = `${remote} ${addr.host}:${addr.port}`;
    const record = (kind: 'axfr' | 'ixfr', result: 'ok' | 'failed', records: number, bytes: number, serial: number | null, error: string | null): void => {
      const durationMs = Date.now() - t0;
      e.lastTransfer = { kind, from, at: new Date(t0).toISOString(), durationMs, records, bytes, serial, result, error };
      if (xfrIn.hasSubscribers) xfrIn.publish({ zone: e.zone, kind, result, durationMs, records, bytes } satisfies XfrInEvent);
    };
    let r;
    try {
      r = await transfer(e.origin, addr, current, opts);
    } catch (err) {
      record(asked, 'failed', 0, 0, null, err instanceof Error ? err.message : String(err));
      throw err;
    }
    if (r.kind === 'current') {
      // A lone SOA: up to date, or a primary that cannot send IXFR now (RFC 1995 §4): then ask AXFR.
      if (current && !serialGt(r.serial, soaSerial(current.rdata))) return current;
      return null;
    }
    const applied = await this.#host.applyTransfer(e.zone, { kind: r.kind, messages: r.messages, maxRecords: opts.maxRecords, source: `${r.kind.toUpperCase()} from ${from}` });
    if (applied === null) throw new XfrError('zone removed during the transfer');
    if (!applied.ok) {
      const why = applied.error;
      record(r.kind, 'failed', r.records, r.bytes, r.serial, why);
      throw new XfrError(why);
    }
    record(r.kind, 'ok', applied.records, r.bytes, applied.serial, null);
    this.#log.info({ zone: e.zone, kind: r.kind, from, serial: applied.serial, records: applied.records, bytes: r.bytes, changesets: r.changesets, ms: Date.now() - t0 }, 'zone transfer applied');
    const held = this.#host.soa(e.zone);
    if (!held) throw new XfrError('no version after the transfer');
    return held;
  }
}

// Owns the main thread's primary side: each zone's journal (restored into the history at startup, appended on every new version) and NOTIFY out on every new serial.
import type { Logger } from 'pino';
import type { Config } from '../config/schema.ts';
import { Name } from '../wire/name.ts';
import { Journal } from './journal.ts';
import { NotifySender } from './notify.ts';
import type { NotifyOutcome, NotifySigning } from './notify.ts';
import type { NewVersion, VersionSource } from './types.ts';
import { Keyring, signRequest } from '../tsig/index.ts';

/** NOTIFY signed with the remote's key (RFC 8945 §5.1), and its answer checked. */
export function tsigSigning(keyring: Keyring): NotifySigning {
  return {
    sign(message, keyName) {
      const key = keyring.byConfigName(keyName);
      if (key === undefined) return { bytes: message, verify: () => `unknown key ${keyName}` };
      const { bytes, verifier } = signRequest(message, key, Date.now() / 1000);
      return {
        bytes,
        verify: (b, m, spans) => {
          const c = verifier.verify(b, m, spans);
          return c === 'ok' ? 'ok' : c === 'unsigned' ? 'the answer is not signed' : c.error;
        },
      };
    },
  };
}

/** What `zone status` shows of the primary side of a zone. */
export interface PrimaryZoneStatus {
  readonly journalDepth: number;
  readonly journalBytes: number;
  readonly notified: readonly NotifyOutcome[];
}

/**
 * Follows the writer's new versions. The first version of a zone since startup restores the
 * zone's journal into its history when the journal ends at the serial loaded (so IXFR works across
 * restarts), and empties it otherwise; later versions append their changeset (or empty it when the
 * difference was too large to keep). Every new serial is NOTIFYed to the zone's `notify` remotes.
 */
export class PrimarySide {
  readonly #log: Logger;
  readonly #storage: string;
  readonly #limits: { maxBytes: number; maxDepth: number };
  readonly #journals = new Map<string, Journal>();
  readonly #notify: NotifySender;
  readonly #off: () => void;

  constructor(config: Config, writer: VersionSource, log: Logger, signing: NotifySigning = tsigSigning(new Keyring(config.keys))) {
    this.#log = log;
    this.#storage = config.storage;
    this.#limits = { maxBytes: config.xfr.journalMaxBytes, maxDepth: config.xfr.journalMaxDepth };
    this.#notify = new NotifySender({ remotes: config.remotes, retries: config.xfr.notifyRetries, timeoutMs: config.xfr.notifyTimeoutMs, log, signing });
    this.#off = writer.onNewVersion((v) => this.#onVersion(writer, v));
  }

  #journal(zone: string): Journal {
    let j = this.#journals.get(zone);
    if (!j) this.#journals.set(zone, (j = new Journal(this.#storage, Name.fromText(zone), this.#limits)));
    return j;
  }

  #onVersion(writer: VersionSource, v: NewVersion): void {
    const j = this.#journal(v.zone);
    try {
      if (v.previousSerial === null) {
        const { changesets, tornBytes } = j.open();
        if (tornBytes > 0) this.#log.warn({ zone: v.zone, journal: j.path, tornBytes }, 'journal: incomplete last write dropped');
        if (changesets.length > 0) {
          if (writer.restoreHistory(v.zone, changesets)) {
            this.#log.info({ zone: v.zone, journal: j.path, depth: changesets.length, from: changesets[0]!.serialFrom, serial: v.serial }, 'journal restored');
          } else {
            this.#log.warn({ zone: v.zone, journal: j.path, journalSerial: changesets.at(-1)!.serialTo, serial: v.serial }, 'journal does not end at the loaded serial; discarded (IXFR from older serials is answered with the whole zone)');
            j.reset();
          }
        }
      } else if (v.changeset !== null) {
        if (!j.append(v.changeset)) this.#log.warn({ zone: v.zone, journal: j.path, maxBytes: this.#limits.maxBytes }, 'journal: changeset larger than journal_max_bytes; journal emptied');
      } else {
        j.reset();
      }
    } catch (err) {
      // A journal that cannot be written costs IXFR after a restart, never the served zone.
      this.#log.error({ zone: v.zone, journal: j.path, err: err instanceof Error ? err.message : String(err) }, 'journal write failed');
    }
    const remotes = v.spec.notify ?? [];
    if (remotes.length > 0) this.#notify.notify(v.zone, v.serial, v.soa, remotes);
  }

  status(zone: string): PrimaryZoneStatus {
    const j = this.#journals.get(zone);
    return { journalDepth: j?.depth ?? 0, journalBytes: j?.bytes ?? 0, notified: this.#notify.outcomes(zone) };
  }

  async close(): Promise<void> {
    this.#off();
    await this.#notify.close();
  }
}

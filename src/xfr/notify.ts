// Owns NOTIFY out (RFC 1996) in the main thread: one UDP socket per address family, one exchange per (zone, target), retries with doubling timeouts, each outcome logged and kept for zone status.
import dgram from 'node:dgram';
import { randomInt } from 'node:crypto';
import diagnostics from 'node:diagnostics_channel';
import type { Logger } from 'pino';
import type { RemoteConfig } from '../config/schema.ts';
import { NOTIFY_OUT_CHANNEL } from './events.ts';
import type { NotifyOutEvent } from './events.ts';
import { Flag, Opcode, Rcode, RRType } from '../wire/constants.ts';
import { decodeMessage, newMessageSpans } from '../wire/message.ts';
import type { Message, MessageSpans } from '../wire/message.ts';
import { Name } from '../wire/name.ts';
import { Writer } from '../wire/writer.ts';
import { writeRdata } from '../wire/registry.ts';

const notifyOutChannel = diagnostics.channel(NOTIFY_OUT_CHANNEL);

/** What signs a NOTIFY for a remote with a key, and checks its answer (TSIG, RFC 8945). */
export interface NotifySigning {
  /** The signed bytes and a check of the answer ('ok', 'unsigned' or an error text). */
  sign(message: Uint8Array, keyName: string): { bytes: Uint8Array; verify: (bytes: Uint8Array, message: Message, spans: MessageSpans) => string };
}

export interface NotifyOptions {
  readonly remotes: readonly RemoteConfig[];
  readonly retries: number;
  readonly timeoutMs: number;
  readonly log: Logger;
  /** Absent: NOTIFY to a remote with a key is sent unsigned (no TSIG support loaded). */
  readonly signing?: NotifySigning;
}

/** The last outcome of NOTIFY to one target of a zone (zone status). */
export interface NotifyOutcome {
  readonly remote: string;
  readonly address: string;
  readonly serial: number;
  readonly result: 'pending' | 'ok' | 'error' | 'timeout' | 'cancelled';
  readonly detail: string | null;
  readonly attempts: number;
  readonly at: string;
}

interface Exchange {
  readonly zone: string;
  readonly remote: RemoteConfig;
  readonly host: string;
  readonly port: number;
  readonly serial: number;
  readonly id: number;
  bytes: Uint8Array;
  verify: ((bytes: Uint8Array, message: Message, spans: MessageSpans) => string) | null;
  attempts: number;
  timer: NodeJS.Timeout | null;
}

const target = (host: string, port: number): string => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);

/** A NOTIFY for `zone` (RFC 1996 §3.7: opcode NOTIFY, AA, the zone's SOA as the question, the new SOA in the answer section). */
export function notifyMessage(id: number, zone: Name, soa: { ttl: number; rdata: Uint8Array } | null): Uint8Array {
  const w = new Writer(512 + (soa?.rdata.length ?? 0));
  w.u16(id);
  w.u16((Opcode.NOTIFY << 11) | Flag.AA);
  w.u16(1);
  w.u16(soa ? 1 : 0);
  w.u32(0);
  w.name(zone, true);
  w.u16(RRType.SOA);
  w.u16(1);
  if (soa) {
    w.name(zone, true);
    w.u16(RRType.SOA);
    w.u16(1);
    w.u32(soa.ttl >>> 0);
    const at = w.pos;
    w.u16(0);
    writeRdata(w, RRType.SOA, soa.rdata);
    w.setU16(at, w.pos - at - 2);
  }
  return w.toBytes();
}

/**
 * Sends NOTIFY for each new serial to every address of every remote in a zone's `notify` list.
 * A target that does not answer gets the same message again after `timeoutMs`, then twice as long,
 * up to `retries` times (RFC 1996 §3.6 asks for retries with a timeout); a newer serial of the
 * same zone replaces an exchange still running for the same target.
 */
export class NotifySender {
  readonly #opts: NotifyOptions;
  readonly #byName: Map<string, RemoteConfig>;
  readonly #exchanges = new Map<string, Exchange>();
  readonly #outcomes = new Map<string, Map<string, NotifyOutcome>>();
  #udp4: dgram.Socket | null = null;
  #udp6: dgram.Socket | null = null;
  #closed = false;

  constructor(opts: NotifyOptions) {
    this.#opts = opts;
    this.#byName = new Map(opts.remotes.map((r) => [r.name, r]));
  }

  #socket(host: string): dgram.Socket {
    const v6 = host.includes(':');
    const existing = v6 ? this.#udp6 : this.#udp4;
    if (existing) return existing;
    const s = dgram.createSocket(v6 ? 'udp6' : 'udp4');
    s.on('message', (msg, rinfo) => this.#onAnswer(msg, rinfo.address, rinfo.port));
    s.on('error', (err) => this.#opts.log.warn({ err: err.message }, 'notify socket error'));
    s.bind(0);
    s.unref();
    if (v6) this.#udp6 = s;
    else this.#udp4 = s;
    return s;
  }

  /** NOTIFY `zone` (lowercase, trailing dot) at `serial` to the remotes named in `remotes`. */
  notify(zone: string, serial: number, soa: { ttl: number; rdata: Uint8Array } | null, remotes: readonly string[]): void {
    if (this.#closed) return;
    const origin = Name.fromText(zone);
    for (const name of remotes) {
      const remote = this.#byName.get(name);
      if (!remote) continue;
      for (const a of remote.address) {
        const key = `${zone}\n${target(a.host, a.port)}`;
        const old = this.#exchanges.get(key);
        if (old) this.#finish(key, old, 'cancelled', `replaced by serial ${serial}`);
        const id = randomInt(0, 0x10000);
        const plain = notifyMessage(id, origin, soa);
        let bytes = plain;
        let verify: Exchange['verify'] = null;
        if (remote.key !== null && this.#opts.signing) {
          const signed = this.#opts.signing.sign(plain, remote.key);
          bytes = signed.bytes;
          verify = signed.verify;
        }
        const ex: Exchange = { zone, remote, host: a.host, port: a.port, serial, id, bytes, verify, attempts: 0, timer: null };
        this.#exchanges.set(key, ex);
        this.#record(ex, 'pending', null);
        this.#send(key, ex);
      }
    }
  }

  #send(key: string, ex: Exchange): void {
    ex.attempts++;
    try {
      this.#socket(ex.host).send(ex.bytes, ex.port, ex.host);
    } catch (err) {
      this.#opts.log.warn({ zone: ex.zone, remote: ex.remote.name, target: target(ex.host, ex.port), err: err instanceof Error ? err.message : String(err) }, 'notify send failed');
    }
    const wait = this.#opts.timeoutMs * 2 ** (ex.attempts - 1);
    ex.timer = setTimeout(() => {
      ex.timer = null;
      if (this.#exchanges.get(key) !== ex) return;
      if (ex.attempts > this.#opts.retries) this.#finish(key, ex, 'timeout', `no answer after ${ex.attempts} attempt(s)`);
      else this.#send(key, ex);
    }, wait);
  }

  #onAnswer(buf: Buffer, host: string, port: number): void {
    if (buf.length < 12 || (buf[2]! & 0x80) === 0) return;
    const id = buf.readUInt16BE(0);
    for (const [key, ex] of this.#exchanges) {
      if (ex.id !== id || ex.port !== port || !sameHost(ex.host, host)) continue;
      const spans = newMessageSpans();
      let msg: Message;
      try {
        msg = decodeMessage(buf, spans);
      } catch {
        this.#finish(key, ex, 'error', 'malformed answer');
        return;
      }
      if (msg.opcode !== Opcode.NOTIFY) return;
      if (ex.verify) {
        const v = ex.verify(buf, msg, spans);
        if (v !== 'ok') {
          this.#finish(key, ex, 'error', `answer signature: ${v}`);
          return;
        }
      }
      if (msg.rcode !== Rcode.NOERROR) this.#finish(key, ex, 'error', `answered rcode ${msg.rcode}`);
      else this.#finish(key, ex, 'ok', null);
      return;
    }
  }

  #finish(key: string, ex: Exchange, result: 'ok' | 'error' | 'timeout' | 'cancelled', detail: string | null): void {
    if (ex.timer) clearTimeout(ex.timer);
    ex.timer = null;
    if (this.#exchanges.get(key) === ex) this.#exchanges.delete(key);
    this.#record(ex, result, detail);
    const fields = { zone: ex.zone, serial: ex.serial, remote: ex.remote.name, target: target(ex.host, ex.port), attempts: ex.attempts, result, detail };
    if (result === 'ok') this.#opts.log.info(fields, 'notify answered');
    else this.#opts.log.warn(fields, `notify ${result}${detail ? `: ${detail}` : ''}`);
    if (notifyOutChannel.hasSubscribers) {
      const ev: NotifyOutEvent = { zone: ex.zone, remote: ex.remote.name, result, attempts: ex.attempts };
      notifyOutChannel.publish(ev);
    }
  }

  #record(ex: Exchange, result: NotifyOutcome['result'], detail: string | null): void {
    let m = this.#outcomes.get(ex.zone);
    if (!m) this.#outcomes.set(ex.zone, (m = new Map<string, NotifyOutcome>()));
    const t = target(ex.host, ex.port);
    m.set(t, { remote: ex.remote.name, address: t, serial: ex.serial, result, detail, attempts: ex.attempts, at: new Date().toISOString() });
  }

  /** The last NOTIFY outcome per target of `zone`. */
  outcomes(zone: string): NotifyOutcome[] {
    return [...(this.#outcomes.get(zone)?.values() ?? [])];
  }

  /** Exchanges still waiting for an answer. */
  get pending(): number {
    return this.#exchanges.size;
  }

  /** Stops every exchange and closes the sockets. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const ex of this.#exchanges.values()) if (ex.timer) clearTimeout(ex.timer);
    this.#exchanges.clear();
    const close = (s: dgram.Socket | null): Promise<void> => (s ? new Promise((resolve) => s.close(() => resolve())) : Promise.resolve());
    await Promise.all([close(this.#udp4), close(this.#udp6)]);
    this.#udp4 = null;
    this.#udp6 = null;
  }
}

function sameHost(a: string, b: string): boolean {
  return a === b || a.replace(/^::ffff:/, '') === b.replace(/^::ffff:/, '');
}

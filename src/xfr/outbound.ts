// Owns the primary's transfer answers in a serving thread: AXFR and IXFR streams over TCP, IXFR over UDP, the per-thread transfer limit.
import diagnostics from 'node:diagnostics_channel';
import type { Logger } from 'pino';
import type { QueryRouter, Request } from '../responder/router.ts';
import type { Answer } from '../responder/types.ts';
import type { Changeset, Zone, ZoneSet } from '../store/index.ts';
import { Flag, Rcode, RRType } from '../wire/constants.ts';
import { readU32 } from '../wire/bytes.ts';
import { serialCompare } from '../wire/serial.ts';
import { XFR_OUT_CHANNEL } from './events.ts';
import type { XfrOutEvent } from './events.ts';
import { axfrRecords, ixfrRecords, MessagePacker, packMessages, soaRecord } from './pack.ts';
import type { EchoQuestion, PackRecord } from './pack.ts';

const xfrOutChannel = diagnostics.channel(XFR_OUT_CHANNEL);

/** What the access check decided for one request. */
export type Gate =
  /** Allowed; `sign` signs each message (TSIG), `reserve` octets are kept free in every message for it. */
  | { readonly kind: 'ok'; readonly sign: ((message: Uint8Array) => Uint8Array) | null; readonly reserve: number }
  /** Not allowed: send `answer` (REFUSED, or the TSIG error of RFC 8945 §5.3) and nothing else. */
  | { readonly kind: 'deny'; readonly answer: Uint8Array; readonly why: 'refused' | 'tsig' };

export interface OutboundDeps {
  readonly zones: () => ZoneSet;
  /**
   * The changesets that lead from `serial` to the newest version of `zone` (from the main thread's
   * history): [] when `serial` is the newest, null when unknown.
   */
  readonly changes: (zone: string, serial: number, signal: AbortSignal) => Promise<Changeset[] | null>;
  /** TSIG and ACL (action `transfer`) for a request about `zone` (lowercase text with the trailing dot). */
  readonly authorize: (req: Request, zone: string) => Gate;
  /** Concurrent transfer answers in this thread (config xfr.max_transfers_out). */
  readonly maxTransfers: number;
  /** Our EDNS UDP payload size. */
  readonly udpPayloadSize: number;
  readonly log: Logger;
}

/**
 * A response without records (an error, a refusal): header, the question, and an OPT advertising
 * `payload` when the request had one (RFC 6891 §6.1.1: a responder that sees OPT includes OPT).
 */
export function plainAnswer(req: Request, rcode: number, aa = false, payload = 1232): Uint8Array {
  const q = req.message.questions[0];
  const qLen = q ? q.name.wire.length + 4 : 0;
  const opt = req.message.edns !== null;
  const out = new Uint8Array(12 + qLen + (opt ? 11 : 0));
  const flags = Flag.QR | (req.message.flags & (Flag.RD | 0x7800)) | (aa ? Flag.AA : 0) | (rcode & 0xf);
  out[0] = req.bytes[0]!;
  out[1] = req.bytes[1]!;
  out[2] = flags >>> 8;
  out[3] = flags & 0xff;
  let at = 12;
  if (q) {
    out[5] = 1;
    out.set(q.name.wire, 12);
    at += q.name.wire.length;
    out[at] = q.type >>> 8;
    out[at + 1] = q.type & 0xff;
    out[at + 2] = q.class >>> 8;
    out[at + 3] = q.class & 0xff;
    at += 4;
  }
  if (opt) {
    out[11] = 1;
    // Root owner, TYPE OPT (41), CLASS = our payload size, TTL 0 (version 0, no DO), RDLENGTH 0.
    out[at + 2] = 41;
    out[at + 3] = payload >>> 8;
    out[at + 4] = payload & 0xff;
  }
  return out;
}

/** `m` with an OPT record (root owner, our payload size, version 0) appended and ARCOUNT + 1. */
function withOpt(m: Uint8Array, payload: number): Uint8Array {
  const out = new Uint8Array(m.length + 11);
  out.set(m);
  out[m.length + 2] = 41;
  out[m.length + 3] = payload >>> 8;
  out[m.length + 4] = payload & 0xff;
  const ar = ((m[10]! << 8) | m[11]!) + 1;
  out[10] = ar >>> 8;
  out[11] = ar & 0xff;
  return out;
}

function echo(req: Request): EchoQuestion {
  const q = req.message.questions[0]!;
  return { id: req.message.id, name: q.name.wire, type: q.type, class: q.class, rd: (req.message.flags & Flag.RD) !== 0 };
}

/** The client's serial from the SOA in the authority section of an IXFR request (RFC 1995 §3), or null. */
function clientSerial(req: Request): number | null {
  const soa = req.message.authority.find((r) => r.type === RRType.SOA);
  if (!soa || soa.rdata.length < 20) return null;
  return readU32(soa.rdata, soa.rdata.length - 20);
}

/** RFC 1995 §2 and RFC 5936 §2.2: the one TCP limit of a message, minus what a TSIG record needs. */
const TCP_MESSAGE = 65535;

/**
 * The transfer side of a primary in one serving thread. Transfers read the zone version they
 * started with to the end (a reload during a transfer does not mix versions); each is pulled by
 * the transport only while the socket drains, so a transfer holds one message at a time.
 */
export class TransfersOut {
  readonly #deps: OutboundDeps;
  #active = 0;

  constructor(deps: OutboundDeps) {
    this.#deps = deps;
  }

  #plain(req: Request, rcode: number): Uint8Array {
    return plainAnswer(req, rcode, false, this.#deps.udpPayloadSize);
  }

  /** Transfers being answered now. */
  get active(): number {
    return this.#active;
  }

  register(router: QueryRouter): void {
    router.onTransfer(RRType.AXFR, (req) => this.#stream(req, 'axfr'));
    router.onTransfer(RRType.IXFR, (req) => this.#stream(req, 'ixfr'));
    router.onUdpIxfr((req) => this.#udpIxfr(req));
  }

  /** The zone asked for: exactly a zone we serve (not a name inside one), or a final answer. */
  #zone(req: Request): { zone: Zone; name: string } | { answer: Uint8Array; result: XfrOutEvent['result'] } {
    const q = req.message.questions[0];
    if (!q || req.message.questions.length !== 1) return { answer: this.#plain(req, Rcode.FORMERR), result: 'formerr' };
    const zs = this.#deps.zones();
    const zone = zs.get(q.name);
    // Not a zone of ours: NOTAUTH, as Knot answers a transfer of a zone it does not serve.
    if (!zone) return zs.hasUnserved && zs.unservedCovers(q.name) && zs.find(q.name) === undefined
      ? { answer: this.#plain(req, Rcode.SERVFAIL), result: 'servfail' }
      : { answer: this.#plain(req, Rcode.NOTAUTH), result: 'notauth' };
    return { zone, name: zone.origin.toText().toLowerCase() };
  }

  #publish(ev: XfrOutEvent): void {
    if (xfrOutChannel.hasSubscribers) xfrOutChannel.publish(ev);
  }

  async *#stream(req: Request, kind: 'axfr' | 'ixfr'): AsyncGenerator<Uint8Array> {
    const started = Date.now();
    const z = this.#zone(req);
    const ev = (zone: string, form: XfrOutEvent['form'], result: XfrOutEvent['result'], p: MessagePacker | null, extra = 0): void =>
      this.#publish({ zone, kind, form, result, transport: 'tcp', messages: (p?.messages ?? 0) + extra, records: p?.records ?? 0, bytes: p?.bytes ?? 0, ms: Date.now() - started });
    if ('answer' in z) {
      ev(req.message.questions[0]?.name.toText().toLowerCase() ?? '.', 'none', z.result, null, 1);
      yield z.answer;
      return;
    }
    const gate = this.#deps.authorize(req, z.name);
    if (gate.kind === 'deny') {
      this.#deps.log.info({ zone: z.name, peer: req.ctx.peerAddress, kind, why: gate.why }, 'transfer refused');
      ev(z.name, 'none', gate.why === 'tsig' ? 'tsig' : 'refused', null, 1);
      yield gate.answer;
      return;
    }
    const sign = gate.sign ?? ((m: Uint8Array): Uint8Array => m);
    let serial: number | null = null;
    if (kind === 'ixfr') {
      serial = clientSerial(req);
      if (serial === null) {
        ev(z.name, 'none', 'formerr', null, 1);
        yield sign(this.#plain(req, Rcode.FORMERR));
        return;
      }
    }
    if (this.#active >= this.#deps.maxTransfers) {
      // Over the limit: SERVFAIL, a temporary failure after which a secondary retries (or asks another primary).
      this.#deps.log.warn({ zone: z.name, peer: req.ctx.peerAddress, kind, limit: this.#deps.maxTransfers }, 'transfer refused: too many transfers in progress');
      ev(z.name, 'none', 'limit', null, 1);
      yield sign(this.#plain(req, Rcode.SERVFAIL));
      return;
    }
    this.#active++;
    const packer = new MessagePacker(echo(req), TCP_MESSAGE - gate.reserve);
    let form: XfrOutEvent['form'] = 'axfr';
    let done = false;
    try {
      const zone = z.zone;
      let records: Iterable<PackRecord> = axfrRecords(zone);
      if (serial !== null) {
        const cmp = serialCompare(serial, zone.serial);
        if (cmp === 0 || cmp === 1) {
          // RFC 1995 §2: a client as new as we are gets our SOA alone.
          form = 'soa';
          records = [soaRecord(zone)];
        } else {
          const chain = await this.#deps.changes(z.name, serial, req.ctx.signal);
          // The history must end at the version this transfer reads; a reload in between means AXFR-style.
          if (chain !== null && chain.length > 0 && chain.at(-1)!.serialTo === zone.serial) {
            form = 'ixfr';
            records = ixfrRecords(soaRecord(zone), chain);
          }
        }
      }
      for (const m of packMessages(packer, records)) yield sign(m);
      done = true;
      this.#deps.log.info({ zone: z.name, peer: req.ctx.peerAddress, kind, form, serial: zone.serial, from: serial, messages: packer.messages, records: packer.records, bytes: packer.bytes, ms: Date.now() - started }, 'transfer out');
      ev(z.name, form, 'ok', packer);
    } finally {
      this.#active--;
      if (!done) {
        this.#deps.log.info({ zone: z.name, peer: req.ctx.peerAddress, kind, form, messages: packer.messages, ms: Date.now() - started }, 'transfer out aborted');
        ev(z.name, form, 'aborted', packer);
      }
    }
  }

  /**
   * IXFR over UDP (RFC 1995 §2): the SOA alone when the client is current or the difference does
   * not fit in one datagram; the incremental answer when it fits; never a full zone.
   */
  async #udpIxfr(req: Request): Promise<Answer> {
    const started = Date.now();
    const z = this.#zone(req);
    const publish = (zone: string, form: XfrOutEvent['form'], result: XfrOutEvent['result'], bytes: number, records: number): void =>
      this.#publish({ zone, kind: 'ixfr', form, result, transport: 'udp', messages: 1, records, bytes, ms: Date.now() - started });
    if ('answer' in z) {
      publish(req.message.questions[0]?.name.toText().toLowerCase() ?? '.', 'none', z.result, z.answer.length, 0);
      return z.answer;
    }
    const gate = this.#deps.authorize(req, z.name);
    if (gate.kind === 'deny') {
      publish(z.name, 'none', gate.why === 'tsig' ? 'tsig' : 'refused', gate.answer.length, 0);
      return gate.answer;
    }
    const sign = gate.sign ?? ((m: Uint8Array): Uint8Array => m);
    const serial = clientSerial(req);
    if (serial === null) return sign(this.#plain(req, Rcode.FORMERR));
    const zone = z.zone;
    const edns = req.message.edns;
    // RFC 6891 §6.1.1: a request with OPT gets OPT back; its 11 octets come out of the datagram budget.
    const opt = (m: Uint8Array): Uint8Array => (edns ? withOpt(m, this.#deps.udpPayloadSize) : m);
    const limit = (edns ? Math.max(512, Math.min(edns.udpSize, this.#deps.udpPayloadSize)) - 11 : 512) - gate.reserve;
    const soaOnly = (): Uint8Array => {
      const p = new MessagePacker(echo(req), TCP_MESSAGE);
      const m = opt([...packMessages(p, [soaRecord(zone)])][0]!);
      publish(z.name, 'soa', 'ok', m.length, 1);
      return sign(m);
    };
    const cmp = serialCompare(serial, zone.serial);
    if (cmp === 0 || cmp === 1) return soaOnly();
    const chain = await this.#deps.changes(z.name, serial, req.ctx.signal);
    if (chain === null || chain.length === 0 || chain.at(-1)!.serialTo !== zone.serial) return soaOnly();
    const p = new MessagePacker(echo(req), Math.max(limit, 12));
    const msgs: Uint8Array[] = [];
    try {
      for (const m of packMessages(p, ixfrRecords(soaRecord(zone), chain))) {
        msgs.push(m);
        if (msgs.length > 1) break;
      }
    } catch {
      return soaOnly();
    }
    if (msgs.length !== 1) return soaOnly();
    publish(z.name, 'ixfr', 'ok', msgs[0]!.length, p.records);
    return sign(opt(msgs[0]!));
  }
}

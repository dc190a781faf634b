// Owns packing zone-transfer records into DNS messages: one message at a time, compressed, up to a size budget (RFC 5936 §2.2).
import { lowerByte } from '../wire/bytes.ts';
import { Flag, RRType } from '../wire/constants.ts';
import { WireError } from '../wire/errors.ts';
import { writeRdata } from '../wire/registry.ts';
import { Writer } from '../wire/writer.ts';
import type { Changeset, Zone } from '../store/index.ts';

/** The question of the request, echoed in the first message of the answer. */
export interface EchoQuestion {
  readonly id: number;
  /** Wire form of QNAME (uncompressed). */
  readonly name: Uint8Array;
  readonly type: number;
  readonly class: number;
  /** The request's RD bit, copied (RFC 1035 §4.1.1). */
  readonly rd: boolean;
}

/**
 * Fills one message with answer records until the next one does not fit, then hands it out and
 * starts the next. Each message has its own compression table (pointers never cross messages).
 * The question goes into the first message only (RFC 5936 §2.2.1 makes it optional afterwards).
 */
export class MessagePacker {
  readonly #q: EchoQuestion;
  readonly #w: Writer;
  #count = 0;
  /** Offset of the zone origin written in this message (a pointer target), or -1. */
  #originAt = -1;
  /** The previous owner and where it starts in this message (-1: not a pointer target). */
  #prevOwner: Uint8Array | null = null;
  #prevAt = -1;
  readonly #origin: Uint8Array;
  #messages = 0;
  #bytes = 0;
  #records = 0;

  /** `origin`: the zone's name; owners under it are compressed without a table search (see #owner). */
  constructor(q: EchoQuestion, limit: number, origin: Uint8Array = q.name) {
    this.#q = q;
    this.#origin = origin;
    this.#w = new Writer(limit, 4096);
    this.#begin();
  }

  #begin(): void {
    const w = this.#w;
    const q = this.#q;
    w.reset();
    w.u16(q.id);
    w.u16(Flag.QR | Flag.AA | (q.rd ? Flag.RD : 0));
    const withQ = this.#messages === 0;
    w.u16(withQ ? 1 : 0);
    w.u16(0);
    w.u32(0);
    this.#originAt = -1;
    this.#prevOwner = null;
    this.#prevAt = -1;
    if (withQ) {
      if (sameWire(q.name, 0, this.#origin, 0, q.name.length) && q.name.length === this.#origin.length) this.#originAt = w.pos;
      w.nameWire(q.name, true);
      w.u16(q.type);
      w.u16(q.class);
    }
    this.#count = 0;
  }

  /** Appends one record; false (and nothing written) when it does not fit in this message. */
  tryAdd(owner: Uint8Array, type: number, ttl: number, rdata: Uint8Array): boolean {
    const w = this.#w;
    const m = w.mark();
    try {
      this.#owner(owner);
      w.u16(type);
      w.u16(1);
      w.u32(ttl >>> 0);
      const lenAt = w.pos;
      w.u16(0);
      writeRdata(w, type, rdata);
      w.setU16(lenAt, w.pos - lenAt - 2);
    } catch (e) {
      if (!(e instanceof WireError) || e.code !== 'DUNLIN_ERR_WIRE_OVERFLOW') throw e;
      w.rollback(m);
      return false;
    }
    this.#count++;
    this.#records++;
    return true;
  }

  /**
   * Writes an owner name. Records come in canonical order, so an owner is usually the previous one
   * (a pointer to it) or a name under the origin (its own labels, then a pointer to the origin):
   * O(1) per record instead of the writer's search of every name written (RFC 1035 §4.1.4 allows
   * any pointer to an earlier occurrence; the result is valid, if not always the shortest).
   */
  #owner(owner: Uint8Array): void {
    const w = this.#w;
    const start = w.pos;
    const prev = this.#prevOwner;
    if (prev !== null && this.#prevAt >= 0 && prev.length === owner.length && sameWire(prev, 0, owner, 0, owner.length)) {
      w.u16(0xc000 | this.#prevAt);
      return;
    }
    const o = this.#origin;
    const cut = owner.length - o.length;
    if (cut >= 0 && sameWire(owner, cut, o, 0, o.length) && onLabelBoundary(owner, cut)) {
      if (this.#originAt >= 0) {
        w.bytes(owner.subarray(0, cut));
        w.u16(0xc000 | this.#originAt);
      } else {
        w.bytes(owner);
        if (start + cut < 0x4000) this.#originAt = start + cut;
      }
    } else {
      w.nameWire(owner, true);
    }
    this.#prevOwner = owner;
    this.#prevAt = start < 0x4000 ? start : -1;
  }

  /** Records in the message being filled. */
  get pending(): number {
    return this.#count;
  }

  /** The message filled so far (a copy), and a fresh one started. */
  take(): Uint8Array {
    const w = this.#w;
    w.setU16(6, this.#count);
    const out = w.toBytes();
    this.#messages++;
    this.#bytes += out.length;
    this.#begin();
    return out;
  }

  get messages(): number {
    return this.#messages;
  }

  get bytes(): number {
    return this.#bytes;
  }

  get records(): number {
    return this.#records;
  }
}

/** True when a[ai..ai+len) equals b[bi..bi+len) ignoring ASCII case (RFC 4343). */
function sameWire(a: Uint8Array, ai: number, b: Uint8Array, bi: number, len: number): boolean {
  for (let k = 0; k < len; k++) {
    const x = a[ai + k]!;
    const y = b[bi + k]!;
    if (x !== y && lowerByte(x) !== lowerByte(y)) return false;
  }
  return true;
}

/** True when offset `at` of an uncompressed wire name starts a label. */
function onLabelBoundary(w: Uint8Array, at: number): boolean {
  let p = 0;
  while (p < at) p += w[p]! + 1;
  return p === at;
}

/** One record of a transfer, as the packer takes it. */
export interface PackRecord {
  readonly owner: Uint8Array;
  readonly type: number;
  readonly ttl: number;
  readonly rdata: Uint8Array;
}

/** The SOA of a version as a record (the zone's apex SOA). */
export function soaRecord(zone: Zone): PackRecord {
  const soa = zone.soa;
  if (!soa) throw new Error(`${zone.origin.toText()} has no SOA`);
  return { owner: zone.origin.wire, type: RRType.SOA, ttl: soa.ttl, rdata: soa.first() };
}

/**
 * Every record of an AXFR (RFC 5936 §2.2): the SOA, every other record in canonical order, the
 * SOA again. Reads the version's tables lazily: nothing of the zone is copied up front.
 */
export function* axfrRecords(zone: Zone): Generator<PackRecord> {
  const soa = soaRecord(zone);
  yield soa;
  const apexKey = zone.origin.key;
  for (const n of zone.nodes()) {
    if (n.setCount === 0) continue;
    const owner = n.snap.ownerWire(n.index);
    const apex = owner.length === soa.owner.length && n.owner.key === apexKey;
    for (let i = 0; i < n.setCount; i++) {
      const s = n.setAt(i);
      if (apex && s.type === RRType.SOA) continue;
      const d = s.data;
      let p = s.start;
      while (p < s.end) {
        const len = (d[p]! << 8) | d[p + 1]!;
        yield { owner, type: s.type, ttl: s.ttl, rdata: d.subarray(p + 2, p + 2 + len) };
        p += 2 + len;
      }
    }
  }
  yield soa;
}

/**
 * The records of an incremental answer (RFC 1995 §4): the new SOA, then per changeset the old
 * SOA, the records removed, the new SOA, the records added; the new SOA again. Changesets are sent
 * chained as kept (one difference sequence per version), which RFC 1995 §4 allows.
 */
export function* ixfrRecords(current: PackRecord, changesets: readonly Changeset[]): Generator<PackRecord> {
  yield current;
  for (const cs of changesets) {
    if (!cs.soaFrom || !cs.soaTo) throw new Error('changeset without its SOAs');
    yield { owner: cs.soaFrom.name.wire, type: RRType.SOA, ttl: cs.soaFrom.ttl, rdata: cs.soaFrom.rdata };
    for (const r of cs.removed) yield { owner: r.name.wire, type: r.type, ttl: r.ttl, rdata: r.rdata };
    yield { owner: cs.soaTo.name.wire, type: RRType.SOA, ttl: cs.soaTo.ttl, rdata: cs.soaTo.rdata };
    for (const r of cs.added) yield { owner: r.name.wire, type: r.type, ttl: r.ttl, rdata: r.rdata };
  }
  yield current;
}

/**
 * Packs records into messages of at most the packer's limit, yielding each full one; the last
 * (partial) message is yielded at the end. A record too large for an empty message throws.
 */
export function* packMessages(packer: MessagePacker, records: Iterable<PackRecord>): Generator<Uint8Array> {
  for (const r of records) {
    if (packer.tryAdd(r.owner, r.type, r.ttl, r.rdata)) continue;
    if (packer.pending === 0) throw new Error('a record does not fit in an empty message');
    yield packer.take();
    if (!packer.tryAdd(r.owner, r.type, r.ttl, r.rdata)) throw new Error('a record does not fit in an empty message');
  }
  if (packer.pending > 0) yield packer.take();
}

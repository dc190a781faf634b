// Owns the in-memory zone snapshot: one node per owner name in a Map keyed by Name.key, RDATA packed in one arena.
import { RRType } from '../wire/constants.ts';
import { Name } from '../wire/name.ts';
import type { ResourceRecord } from '../wire/record.ts';

/** Node flags (bit set). */
export const NodeFlag = {
  /** The zone apex. */
  APEX: 1,
  /** NS at a non-apex name: a zone cut (RFC 1034 §4.2.1). */
  DELEGATION: 2,
  /** Has a DNAME RRset (RFC 6672). */
  DNAME: 4,
  /** Has a CNAME RRset. */
  CNAME: 8,
  /** Exists only because a descendant exists: an empty non-terminal (RFC 8020, RFC 4592 §2.2.2). */
  ENT: 16,
} as const;

/**
 * One RRset. The RDATAs are stored back to back in `data[start..end)`, each preceded by a 16-bit
 * length, so a zone of a million records holds a handful of large buffers instead of a million
 * small ones. `data` is the zone arena (or a private buffer for synthesised RRsets).
 */
export class RRset {
  readonly type: number;
  readonly ttl: number;
  readonly count: number;
  readonly data: Uint8Array;
  readonly start: number;
  readonly end: number;

  constructor(type: number, ttl: number, count: number, data: Uint8Array, start: number, end: number) {
    this.type = type;
    this.ttl = ttl;
    this.count = count;
    this.data = data;
    this.start = start;
    this.end = end;
  }

  /** A stand-alone RRset from RDATAs (used for synthesised records, e.g. the CNAME of a DNAME). */
  static of(type: number, ttl: number, rdatas: readonly Uint8Array[]): RRset {
    let len = 0;
    for (const r of rdatas) len += 2 + r.length;
    const data = new Uint8Array(len);
    let p = 0;
    for (const r of rdatas) {
      data[p] = r.length >>> 8;
      data[p + 1] = r.length & 0xff;
      data.set(r, p + 2);
      p += 2 + r.length;
    }
    return new RRset(type, ttl, rdatas.length, data, 0, len);
  }

  /** The RDATAs as views into the arena. */
  rdatas(): Uint8Array[] {
    const out: Uint8Array[] = [];
    const d = this.data;
    let p = this.start;
    while (p < this.end) {
      const len = (d[p]! << 8) | d[p + 1]!;
      out.push(d.subarray(p + 2, p + 2 + len));
      p += 2 + len;
    }
    return out;
  }

  /** The first RDATA (a view); for singleton types such as SOA, CNAME, DNAME. */
  first(): Uint8Array {
    const d = this.data;
    const len = (d[this.start]! << 8) | d[this.start + 1]!;
    return d.subarray(this.start + 2, this.start + 2 + len);
  }
}

/** One owner name: its RRsets sorted by type (Knot answers ANY with the lowest type, see docs/responder.md). */
export class ZoneNode {
  /** Offset of the case-preserved owner wire name in the zone arena; -1 for an empty non-terminal. */
  readonly ownerAt: number;
  readonly sets: readonly RRset[];
  readonly flags: number;

  constructor(ownerAt: number, sets: readonly RRset[], flags: number) {
    this.ownerAt = ownerAt;
    this.sets = sets;
    this.flags = flags;
  }

  get(type: number): RRset | undefined {
    const s = this.sets;
    for (let i = 0; i < s.length; i++) if (s[i]!.type === type) return s[i];
    return undefined;
  }
}

/** Offsets of each label in a name key (lower-cased wire as latin1), leftmost first. */
export function keyLabelOffsets(key: string): number[] {
  const out: number[] = [];
  let i = 0;
  while (i < key.length && key.charCodeAt(i) !== 0) {
    out.push(i);
    i += key.charCodeAt(i) + 1;
  }
  return out;
}

/** An immutable zone snapshot. Build with `buildZone`; replace the whole object on reload. */
export class Zone {
  readonly origin: Name;
  readonly serial: number;
  readonly recordCount: number;
  readonly #nodes: Map<string, ZoneNode>;
  readonly #arena: Uint8Array;
  readonly #soa: RRset | undefined;
  #negSoa: RRset | undefined | null = null;

  constructor(origin: Name, nodes: Map<string, ZoneNode>, arena: Uint8Array, recordCount: number) {
    this.origin = origin;
    this.#nodes = nodes;
    this.#arena = arena;
    this.recordCount = recordCount;
    const apex = nodes.get(origin.key);
    this.#soa = apex?.get(RRType.SOA);
    const soa = this.#soa?.first();
    // SOA RDATA ends with SERIAL REFRESH RETRY EXPIRE MINIMUM (RFC 1035 §3.3.13).
    this.serial = soa && soa.length >= 20 ? readU32(soa, soa.length - 20) : 0;
  }

  /** The node for a name key (including empty non-terminals), if any. */
  node(key: string): ZoneNode | undefined {
    return this.#nodes.get(key);
  }

  get nodeCount(): number {
    return this.#nodes.size;
  }

  get soa(): RRset | undefined {
    return this.#soa;
  }

  /** The SOA as it goes into negative answers: TTL = min(SOA TTL, SOA MINIMUM) (RFC 2308 §3). */
  get negativeSoa(): RRset | undefined {
    if (this.#negSoa !== null) return this.#negSoa;
    const soa = this.#soa;
    if (!soa) return (this.#negSoa = undefined);
    const r = soa.first();
    const minimum = r.length >= 4 ? readU32(r, r.length - 4) : soa.ttl;
    this.#negSoa = new RRset(soa.type, Math.min(soa.ttl, minimum), 1, soa.data, soa.start, soa.start + 2 + r.length);
    return this.#negSoa;
  }

  /** The case-preserved owner name of a node (`key` used for empty non-terminals). */
  ownerName(node: ZoneNode, key: string): Name {
    if (node.ownerAt < 0) return Name.fromWire(keyBytes(key));
    const a = this.#arena;
    let p = node.ownerAt;
    while (a[p] !== 0) p += a[p]! + 1;
    return Name.fromWire(a.subarray(node.ownerAt, p + 1));
  }

  /** Every node key (for tools and tests; not used on the query path). */
  keys(): IterableIterator<string> {
    return this.#nodes.keys();
  }

  /** All records, owner by owner (for tools, tests and later AXFR). */
  *records(): Generator<ResourceRecord> {
    for (const [key, node] of this.#nodes) {
      if (node.sets.length === 0) continue;
      const name = this.ownerName(node, key);
      for (const s of node.sets) {
        for (const rdata of s.rdatas()) yield { name, type: s.type, class: 1, ttl: s.ttl, rdata: Uint8Array.from(rdata) };
      }
    }
  }
}

function readU32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) >>> 0) + (b[at + 1]! << 16) + (b[at + 2]! << 8) + b[at + 3]!;
}

/** Latin1 key string back to bytes. */
export function keyBytes(key: string): Uint8Array {
  const out = new Uint8Array(key.length);
  for (let i = 0; i < key.length; i++) out[i] = key.charCodeAt(i);
  return out;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Builds an immutable snapshot. `records` are the checked output of the zone loader; records
 * outside `origin` are ignored, duplicates are merged and an RRset takes the TTL of its first
 * record (RFC 2181 §5.2), so a hand-made record list cannot corrupt the structure.
 */
export function buildZone(origin: Name, records: readonly ResourceRecord[]): Zone {
  // Group by owner key, then by type, keeping the first-seen owner spelling.
  interface Pending { owner: Name; types: Map<number, { ttl: number; rdatas: Uint8Array[] }> }
  const byOwner = new Map<string, Pending>();
  let arenaLen = 0;
  let count = 0;
  for (const rr of records) {
    if (!rr.name.isSubdomainOf(origin)) continue;
    let p = byOwner.get(rr.name.key);
    if (!p) {
      p = { owner: rr.name, types: new Map() };
      byOwner.set(rr.name.key, p);
      arenaLen += rr.name.wire.length;
    }
    let t = p.types.get(rr.type);
    if (!t) {
      t = { ttl: rr.ttl, rdatas: [] };
      p.types.set(rr.type, t);
    }
    if (t.rdatas.some((r) => sameBytes(r, rr.rdata))) continue;
    t.rdatas.push(rr.rdata);
    arenaLen += 2 + rr.rdata.length;
    count++;
  }
  const arena = new Uint8Array(arenaLen);
  let at = 0;
  const nodes = new Map<string, ZoneNode>();
  const originLabels = origin.labelCount;
  for (const [key, p] of byOwner) {
    const ownerAt = at;
    arena.set(p.owner.wire, at);
    at += p.owner.wire.length;
    const types = [...p.types.keys()].sort((a, b) => a - b);
    const sets: RRset[] = [];
    let flags = 0;
    for (const type of types) {
      const t = p.types.get(type)!;
      const start = at;
      for (const r of t.rdatas) {
        arena[at] = r.length >>> 8;
        arena[at + 1] = r.length & 0xff;
        arena.set(r, at + 2);
        at += 2 + r.length;
      }
      sets.push(new RRset(type, t.ttl, t.rdatas.length, arena, start, at));
      if (type === RRType.CNAME) flags |= NodeFlag.CNAME;
      if (type === RRType.DNAME) flags |= NodeFlag.DNAME;
    }
    const isApex = key === origin.key;
    if (isApex) flags |= NodeFlag.APEX;
    else if (p.types.has(RRType.NS)) flags |= NodeFlag.DELEGATION;
    nodes.set(key, new ZoneNode(ownerAt, sets, flags));
  }
  // Empty non-terminals: every ancestor between an owner and the apex exists (RFC 4592 §2.2.2).
  const entFlags = NodeFlag.ENT;
  for (const key of byOwner.keys()) {
    const offs = keyLabelOffsets(key);
    const depth = offs.length - originLabels;
    for (let i = 1; i < depth; i++) {
      const anc = key.slice(offs[i]);
      if (nodes.has(anc)) break;
      nodes.set(anc, new ZoneNode(-1, [], entFlags));
    }
  }
  if (!nodes.has(origin.key)) nodes.set(origin.key, new ZoneNode(-1, [], NodeFlag.APEX | NodeFlag.ENT));
  return new Zone(origin, nodes, arena, count);
}

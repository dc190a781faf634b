// Owns a zone version: a canonical base node table plus an optional change layer, its readers (node, RRset, order) and builders.
import { lowerByte, readU32 } from '../wire/bytes.ts';
import { RRType } from '../wire/constants.ts';
import { Name } from '../wire/name.ts';
import type { ResourceRecord } from '../wire/record.ts';
import { RecordTable } from '../zone/table.ts';
import { compareWire } from './canonical.ts';
import { allocColumns, canonicalPermutation, columnsFromNodes, coveredOf, finishColumns, mergeColumns, NodeFlag, setOrder, Snap, typeFlags } from './columns.ts';
import type { Columns, NodeData } from './columns.ts';
import { nameHash, newNameSeed } from '../wire/hash.ts';

export { NodeFlag } from './columns.ts';

/**
 * One RRset. The RDATAs are stored back to back in `data[start..end)`, each preceded by a 16-bit
 * length. `data` is a node table's arena (or a private buffer for synthesised RRsets). RRset
 * objects are made on demand by the lookup; the zone itself stores only numbers in typed arrays.
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

  /** For an RRSIG RRset: the type its signatures cover (RFC 4034 §3.1.1); 0 otherwise. */
  get covered(): number {
    return this.count > 0 ? coveredOf(this.type, this.data, this.start + 2) : 0;
  }
}

function rrsetOfRow(c: Columns, s: number): RRset {
  return new RRset(c.setType[s]!, c.setTtl[s]!, c.setCount[s]!, c.arena, c.setStart[s]!, c.setEnd[s]!);
}

/** A view of one owner name of a zone version; its RRsets are sorted by type (Knot answers ANY with the lowest). */
export class ZoneNode {
  readonly snap: Snap;
  readonly index: number;
  readonly flags: number;
  readonly setCount: number;

  constructor(snap: Snap, index: number) {
    this.snap = snap;
    this.index = index;
    this.flags = snap.c.nodeFlags[index]!;
    this.setCount = snap.c.nodeSetCount[index]!;
  }

  /** The i-th RRset (by type order; an owner's RRSIGs are one RRset per covered type). */
  setAt(i: number): RRset {
    return rrsetOfRow(this.snap.c, this.snap.c.nodeFirstSet[this.index]! + i);
  }

  /**
   * The RRset of `type`. For RRSIG: every signature at the owner as one view (its RRsets per
   * covered type are adjacent), with the TTL of the first; use sigs() for one covered type.
   */
  get(type: number): RRset | undefined {
    const c = this.snap.c;
    const first = c.nodeFirstSet[this.index]!;
    const end = first + this.setCount;
    for (let s = first; s < end; s++) {
      if (c.setType[s] !== type) continue;
      if (type !== RRType.RRSIG) return rrsetOfRow(c, s);
      let last = s;
      let count = c.setCount[s]!;
      while (last + 1 < end && c.setType[last + 1] === type) count += c.setCount[++last]!;
      return new RRset(type, c.setTtl[s]!, count, c.arena, c.setStart[s]!, c.setEnd[last]!);
    }
    return undefined;
  }

  /** The RRSIG RRset covering `type` (RFC 4035 §2.2: signatures are per covered RRset, with their own TTL). */
  sigs(type: number): RRset | undefined {
    const c = this.snap.c;
    const first = c.nodeFirstSet[this.index]!;
    for (let s = first; s < first + this.setCount; s++) {
      if (c.setType[s] === RRType.RRSIG && coveredOf(RRType.RRSIG, c.arena, c.setStart[s]! + 2) === type) return rrsetOfRow(c, s);
    }
    return undefined;
  }

  /** All RRsets (allocates; for tools and tests). */
  get sets(): RRset[] {
    const out: RRset[] = [];
    for (let i = 0; i < this.setCount; i++) out.push(this.setAt(i));
    return out;
  }

  /** The case-preserved owner name. */
  get owner(): Name {
    return Name.fromWire(this.snap.ownerWire(this.index));
  }

  /** The node's content as plain data (views into shared memory). */
  data(): NodeData {
    return this.snap.nodeData(this.index);
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

/** Latin1 key string back to bytes. */
export function keyBytes(key: string): Uint8Array {
  const out = new Uint8Array(key.length);
  for (let i = 0; i < key.length; i++) out[i] = key.charCodeAt(i);
  return out;
}

/**
 * A zone version as plain data over SharedArrayBuffers: posting it to a worker thread shares the
 * memory (structured clone of a SharedArrayBuffer-backed view copies no octet), so every serving
 * thread reads the one copy the writer built. Opaque to everything outside src/store.
 */
export interface ZoneImage {
  readonly origin: Uint8Array;
  readonly base: Columns;
  readonly delta: Columns | null;
  readonly seed: number;
  readonly recordCount: number;
}

/** A change layer larger than this share of the base (or than 64k rows) is worth folding into a new base. */
const COMPACT_RATIO = 8;
const COMPACT_MIN_ROWS = 65_536;

/**
 * An immutable zone version: a base node table in canonical order plus an optional change layer
 * (the nodes changed since the base, GONE rows for removed names). A commit builds a new change
 * layer and shares the base, so a few changed records on a million-record zone cost a small
 * table, not a rebuild (copy-on-write at the node level). Readers keep a version for a whole
 * query; an old version is freed by the garbage collector once no thread holds it.
 */
export class Zone {
  readonly origin: Name;
  readonly serial: number;
  readonly recordCount: number;
  readonly base: Snap;
  readonly delta: Snap | null;
  readonly #soa: RRset | undefined;
  #negSoa: RRset | undefined | null = null;

  constructor(origin: Name, base: Snap, delta: Snap | null, recordCount: number) {
    this.origin = origin;
    this.base = base;
    this.delta = delta && delta.rows > 0 ? delta : null;
    this.recordCount = recordCount;
    this.#soa = this.node(origin.key)?.get(RRType.SOA);
    const soa = this.#soa?.first();
    // SOA RDATA ends with SERIAL REFRESH RETRY EXPIRE MINIMUM (RFC 1035 §3.3.13).
    this.serial = soa && soa.length >= 20 ? readU32(soa, soa.length - 20) : 0;
  }

  /** This version as shareable data (see ZoneImage). */
  image(): ZoneImage {
    return { origin: this.origin.wire, base: this.base.c, delta: this.delta?.c ?? null, seed: this.base.seed, recordCount: this.recordCount };
  }

  /** A reader over an image posted from another thread (no copy). */
  static fromImage(img: ZoneImage): Zone {
    return new Zone(Name.fromWire(img.origin), new Snap(img.base, img.seed), img.delta ? new Snap(img.delta, img.seed) : null, img.recordCount);
  }

  /** The node for a name key (including empty non-terminals), if any. */
  node(key: string): ZoneNode | undefined {
    const d = this.delta;
    if (d !== null) {
      const n = d.find(key);
      if (n >= 0) return d.c.nodeFlags[n]! & NodeFlag.GONE ? undefined : new ZoneNode(d, n);
    }
    const n = this.base.find(key);
    return n < 0 ? undefined : new ZoneNode(this.base, n);
  }

  /** True when the name key exists in the zone (as a node or an empty non-terminal). */
  has(key: string): boolean {
    return this.node(key) !== undefined;
  }

  /** Nodes in this version (empty non-terminals included). */
  get nodeCount(): number {
    let n = this.base.rows;
    const d = this.delta;
    if (d === null) return n;
    for (let j = 0; j < d.rows; j++) {
      const inBase = this.base.find(keyOf(d.ownerWire(j))) >= 0;
      if (d.c.nodeFlags[j]! & NodeFlag.GONE) n -= inBase ? 1 : 0;
      else n += inBase ? 0 : 1;
    }
    return n;
  }

  /** Octets held by this version's tables (shared with other versions where they share the base). */
  get byteSize(): number {
    return this.base.byteSize + (this.delta?.byteSize ?? 0);
  }

  /** Rows in the change layer (0 right after a load or a compaction). */
  get changedNodes(): number {
    return this.delta?.rows ?? 0;
  }

  /** True when the change layer has grown enough that folding it into a new base pays (see compact()). */
  get needsCompaction(): boolean {
    const d = this.changedNodes;
    return d > COMPACT_MIN_ROWS || d * COMPACT_RATIO > Math.max(this.base.rows, 8 * 1024);
  }

  /** The same content with the change layer folded into a new base (O(zone) copy; run it off the query path). */
  compact(): Zone {
    if (this.delta === null) return this;
    const seed = newNameSeed();
    return new Zone(this.origin, new Snap(mergeColumns(this.base, this.delta, seed), seed), null, this.recordCount);
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

  /** The case-preserved owner name of a node (the key argument is kept for callers; unused). */
  ownerName(node: ZoneNode, _key?: string): Name {
    return node.owner;
  }

  /** Every node of this version in canonical order (RFC 4034 §6.1), empty non-terminals included. */
  *nodes(): Generator<ZoneNode> {
    const b = this.base;
    const d = this.delta;
    let i = 0;
    let j = 0;
    const bRows = b.rows;
    const dRows = d?.rows ?? 0;
    while (i < bRows || j < dRows) {
      let cmp: number;
      if (d === null || j >= dRows) cmp = -1;
      else if (i >= bRows) cmp = 1;
      else cmp = compareWire(b.c.arena, b.c.nodeOwner[i]!, b.c.nodeOwnerLen[i]!, d.c.arena, d.c.nodeOwner[j]!, d.c.nodeOwnerLen[j]!);
      if (cmp < 0) yield new ZoneNode(b, i++);
      else {
        if (cmp === 0) i++;
        if (!(d!.c.nodeFlags[j]! & NodeFlag.GONE)) yield new ZoneNode(d!, j);
        j++;
      }
    }
  }

  /** The last node canonically before `name` (`name` itself excluded), skipping empty non-terminals when asked; wraps to none. */
  predecessor(name: Name, skipEmpty = false): ZoneNode | undefined {
    return this.#neighbour(name.wire, -1, skipEmpty);
  }

  /** The first node canonically after `name` (`name` itself excluded). */
  successor(name: Name, skipEmpty = false): ZoneNode | undefined {
    return this.#neighbour(name.wire, 1, skipEmpty);
  }

  #neighbour(w: Uint8Array, dir: -1 | 1, skipEmpty: boolean): ZoneNode | undefined {
    const live = (s: Snap, n: number): boolean => {
      const f = s.c.nodeFlags[n]!;
      return !(f & NodeFlag.GONE) && !(skipEmpty && s.c.nodeSetCount[n] === 0);
    };
    const d = this.delta;
    // Base candidate: skip rows the change layer overrides (their current form is the delta's row).
    const b = this.base;
    let i = b.lowerBound(w);
    if (dir < 0) i--;
    else if (i < b.rows && b.compareRow(i, w) === 0) i++;
    while (i >= 0 && i < b.rows && ((d !== null && d.find(keyOf(b.ownerWire(i))) >= 0) || !live(b, i))) i += dir;
    const bc = i >= 0 && i < b.rows ? new ZoneNode(b, i) : undefined;
    if (d === null) return bc;
    let j = d.lowerBound(w);
    if (dir < 0) j--;
    else if (j < d.rows && d.compareRow(j, w) === 0) j++;
    while (j >= 0 && j < d.rows && !live(d, j)) j += dir;
    const dc = j >= 0 && j < d.rows ? new ZoneNode(d, j) : undefined;
    if (!bc) return dc;
    if (!dc) return bc;
    const cmp = compareWire(b.c.arena, b.c.nodeOwner[bc.index]!, b.c.nodeOwnerLen[bc.index]!, d.c.arena, d.c.nodeOwner[dc.index]!, d.c.nodeOwnerLen[dc.index]!);
    return (dir < 0 ? cmp > 0 : cmp < 0) ? bc : dc;
  }

  /** Every node key (for tools and tests; not used on the query path). */
  *keys(): Generator<string> {
    for (const n of this.nodes()) yield keyOf(n.snap.ownerWire(n.index));
  }

  /** All records in canonical owner order, RRset by RRset (AXFR order after the SOA; tools, tests). */
  *records(): Generator<ResourceRecord> {
    for (const n of this.nodes()) {
      if (n.setCount === 0) continue;
      const name = n.owner;
      for (let i = 0; i < n.setCount; i++) {
        const s = n.setAt(i);
        for (const rdata of s.rdatas()) yield { name, type: s.type, class: 1, ttl: s.ttl, rdata: Uint8Array.from(rdata) };
      }
    }
  }

  /** A version from its tables (the update commit's constructor). */
  static fromParts(origin: Name, base: Snap, delta: Snap | null, recordCount: number): Zone {
    return new Zone(origin, base, delta, recordCount);
  }
}

/** The lower-cased latin1 key of a wire name (Name.key's form). */
export function keyOf(w: Uint8Array): string {
  let k = '';
  for (let i = 0; i < w.length; i++) k += String.fromCharCode(lowerByte(w[i]!));
  return k;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Builds an immutable version from a record list (check-zone, tests, hand-made zones). Records
 * outside `origin` are ignored, exact duplicates are merged and an RRset takes the TTL of its first
 * record (RFC 2181 §5.2), so a hand-made list cannot corrupt the structure. It groups the list into
 * the order the loader's table path produces and shares that one builder.
 */
export function buildZone(origin: Name, records: readonly ResourceRecord[]): Zone {
  const table = RecordTable.fromRecords(records.filter((rr) => rr.name.isSubdomainOf(origin)));
  // Owner by owner (first seen, case-insensitively), RRset by RRset (first seen), duplicates dropped.
  const owners = new Map<number, Map<number, number[]>>();
  for (let i = 0; i < table.count; i++) {
    const owner = table.ownerCanon[table.recOwner[i]!]!;
    let types = owners.get(owner);
    if (types === undefined) {
      types = new Map();
      owners.set(owner, types);
    }
    const type = table.recType[i]!;
    const rdata = table.rdata(i);
    const key = setOrder(type, coveredOf(type, rdata));
    let set = types.get(key);
    if (set === undefined) {
      set = [];
      types.set(key, set);
    }
    if (!set.some((j) => sameBytes(table.rdata(j), rdata))) set.push(i);
  }
  const order: number[] = [];
  const ttl = new Map<number, number>();
  for (const types of owners.values()) {
    for (const set of types.values()) {
      for (const i of set) ttl.set(i, table.recTtl[set[0]!]!);
      order.push(...set);
    }
  }
  for (const [i, t] of ttl) table.recTtl[i] = t;
  return buildZoneFromTable(origin, table, Uint32Array.from(order));
}

/** A version made of node contents in canonical order (the change layer builder's sibling for small zones). */
export function zoneFromNodes(origin: Name, nodes: readonly NodeData[], recordCount: number): Zone {
  const seed = newNameSeed();
  return new Zone(origin, new Snap(columnsFromNodes(nodes, seed), seed), null, recordCount);
}

/**
 * Builds a version straight from the loader's compact table (the server's path): `order` lists
 * the checked records owner by owner, RRset by RRset, duplicates already merged and TTLs already
 * unified by the zone checks. Nodes (empty non-terminals included) are written in canonical order
 * (RFC 4034 §6.1). No per-record or per-name JS object is made besides one sort key per name; the
 * result keeps nothing of the table.
 */
export function buildZoneFromTable(origin: Name, table: RecordTable, order: Uint32Array): Zone {
  // 1. Node numbers for the owners in `order` (already grouped by owner, first-seen order).
  let nodeOf = new Int32Array(table.ownerCount + 16).fill(-1);
  const setNode = (id: number, n: number): void => {
    if (id >= nodeOf.length) {
      const b = new Int32Array(Math.max(id + 1, nodeOf.length * 2)).fill(-1);
      b.set(nodeOf);
      nodeOf = b;
    }
    nodeOf[id] = n;
  };
  const nodeId: number[] = []; // table owner id of each node
  const canon = table.ownerCanon;
  const rd = table.rdArena;
  // The RRset key (type, covered type for RRSIG) of each record in `order`, computed once.
  const setKey = new Uint32Array(order.length);
  for (let k = 0; k < order.length; k++) {
    const i = order[k]!;
    const t = table.recType[i]!;
    setKey[k] = t === RRType.RRSIG && table.recLen[i]! >= 2 ? setOrder(t, (rd[table.recOff[i]!]! << 8) | rd[table.recOff[i]! + 1]!) : setOrder(t, 0);
  }
  // In the same pass: where each owner's records start in `order`, and how many RRsets (runs of one key) there are.
  const realStart: number[] = [];
  let sets = 0;
  let last = -1;
  let lastKey = -1;
  for (let k = 0; k < order.length; k++) {
    const i = order[k]!;
    const c = canon[table.recOwner[i]!]!;
    const key = setKey[k]!;
    if (c === last) {
      if (key !== lastKey) {
        sets++;
        lastKey = key;
      }
      continue;
    }
    sets++;
    lastKey = key;
    realStart.push(k);
    last = c;
    setNode(c, nodeId.length);
    nodeId.push(c);
  }
  const realNodes = nodeId.length;
  // 2. Empty non-terminals (RFC 4592 §2.2.2), interned into the table in lower case (as a name key would spell them).
  const originLen = origin.wire.length;
  const scratch = new Uint8Array(256);
  const nodeIdOf = (id: number): number => (id >= 0 && id < nodeOf.length ? nodeOf[id]! : -1);
  for (let n = 0; n < realNodes; n++) {
    const id = nodeId[n]!;
    const at = table.ownerOff[id]!;
    const end = at + table.ownerLen[id]!;
    for (let p = at + table.ownerArena[at]! + 1; end - p > originLen; p += table.ownerArena[p]! + 1) {
      const len = end - p;
      const found = table.findFolded(table.ownerArena, p, len);
      if (nodeIdOf(found) >= 0) break;
      for (let i = 0; i < len; i++) scratch[i] = lowerByte(table.ownerArena[p + i]!);
      // intern may replace the arena (same offsets): the loop re-reads table.ownerArena after it.
      const ent = table.intern(scratch, 0, len);
      setNode(ent, nodeId.length);
      nodeId.push(ent);
    }
  }
  let apexNode = nodeIdOf(table.findFolded(origin.wire, 0, originLen));
  const apexIsOwner = apexNode >= 0;
  if (!apexIsOwner) apexNode = nodeId.length;
  const nodes = nodeId.length + (apexIsOwner ? 0 : 1);
  // 3. Canonical order of the nodes (rows) and the record runs per node.
  const ids = Int32Array.from(nodeId);
  const oArena = table.ownerArena;
  const perm = canonicalPermutation(
    nodes,
    (n) => (n < ids.length ? oArena : origin.wire),
    (n) => (n < ids.length ? table.ownerOff[ids[n]!]! : 0),
    (n) => (n < ids.length ? table.ownerLen[ids[n]!]! : originLen),
    origin.labelCount,
  );
  const nodeRecStart = new Uint32Array(nodes + 1);
  for (let n = 0; n < realNodes; n++) nodeRecStart[n] = realStart[n]!;
  for (let n = realNodes; n <= nodes; n++) nodeRecStart[n] = order.length;
  let arenaLen = 0;
  for (const id of nodeId) arenaLen += table.ownerLen[id]!;
  if (!apexIsOwner) arenaLen += originLen;
  for (let k = 0; k < order.length; k++) arenaLen += 2 + table.recLen[order[k]!]!;
  const c = allocColumns(nodes, sets, arenaLen);
  // The table hashed every owner (and interned ENT) with the same function and seed: reused, not recomputed.
  const seed = table.seed;
  const rowHash = new Uint32Array(nodes);
  const { arena } = c;
  const runs: number[] = []; // [order key, from, to) triples of one node
  const runOrder: number[] = [];
  let s = 0;
  let at = 0;
  for (let row = 0; row < nodes; row++) {
    const n = perm[row]!;
    c.nodeOwner[row] = at;
    if (n < nodeId.length) {
      const id = nodeId[n]!;
      rowHash[row] = table.ownerHash[id]!;
      const o = table.ownerOff[id]!;
      const len = table.ownerLen[id]!;
      const oa = table.ownerArena;
      for (let i = 0; i < len; i++) arena[at + i] = oa[o + i]!;
      c.nodeOwnerLen[row] = len;
      at += len;
    } else {
      arena.set(origin.wire, at);
      rowHash[row] = nameHash(seed, origin.wire, 0, originLen);
      c.nodeOwnerLen[row] = originLen;
      at += originLen;
    }
    const from = n < realNodes ? nodeRecStart[n]! : 0;
    const to = n < realNodes ? nodeRecStart[n + 1]! : 0;
    const apex = n === apexNode;
    let flags = n >= realNodes ? NodeFlag.ENT : 0;
    if (apex) flags = NodeFlag.APEX | (to === from ? NodeFlag.ENT : 0);
    runs.length = 0;
    for (let k = from; k < to; ) {
      const key = setKey[k]!;
      const r0 = k;
      while (k < to && setKey[k] === key) k++;
      runs.push(key, r0, k);
    }
    // RRsets sorted by (type, covered) (Knot answers ANY with the lowest); each RRset keeps file order.
    // Insertion sort: an owner has a handful of RRsets.
    runOrder.length = 0;
    for (let r = 0; r < runs.length; r += 3) {
      let j = runOrder.length;
      runOrder.push(r);
      while (j > 0 && runs[runOrder[j - 1]!]! > runs[r]!) {
        runOrder[j] = runOrder[j - 1]!;
        j--;
      }
      runOrder[j] = r;
    }
    c.nodeFirstSet[row] = s;
    for (const r of runOrder) {
      const r0 = runs[r + 1]!;
      const r1 = runs[r + 2]!;
      const type = table.recType[order[r0]!]!;
      c.setType[s] = type;
      c.setTtl[s] = table.recTtl[order[r0]!]!;
      c.setStart[s] = at;
      for (let k = r0; k < r1; k++) {
        const i = order[k]!;
        const len = table.recLen[i]!;
        const o = table.recOff[i]!;
        arena[at] = len >>> 8;
        arena[at + 1] = len & 0xff;
        for (let j = 0; j < len; j++) arena[at + 2 + j] = rd[o + j]!;
        at += 2 + len;
      }
      c.setEnd[s] = at;
      c.setCount[s] = r1 - r0;
      s++;
      flags |= typeFlags(type, apex);
    }
    c.nodeSetCount[row] = s - c.nodeFirstSet[row]!;
    c.nodeFlags[row] = flags;
  }
  return new Zone(origin, new Snap(finishColumns(c, nodes, seed, rowHash), seed), null, order.length);
}

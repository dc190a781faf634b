// Owns the in-memory zone snapshot: columnar typed arrays over one byte arena, an open-addressing hash of owner names.
import { RRType } from '../wire/constants.ts';
import { Name } from '../wire/name.ts';
import type { ResourceRecord } from '../wire/record.ts';
import { RecordTable } from '../zone/table.ts';

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
 * length. `data` is the zone arena (or a private buffer for synthesised RRsets). RRset objects
 * are made on demand by the lookup; the zone itself stores only numbers in typed arrays.
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

/** A view of one owner name of a zone; its RRsets are sorted by type (Knot answers ANY with the lowest). */
export class ZoneNode {
  readonly #zone: Zone;
  readonly index: number;
  readonly flags: number;
  readonly setCount: number;

  constructor(zone: Zone, index: number, flags: number, setCount: number) {
    this.#zone = zone;
    this.index = index;
    this.flags = flags;
    this.setCount = setCount;
  }

  /** The i-th RRset (by type order). */
  setAt(i: number): RRset {
    return this.#zone.rrsetAt(this.index, i);
  }

  get(type: number): RRset | undefined {
    return this.#zone.rrsetOf(this.index, type);
  }

  /** All RRsets (allocates; for tools and tests). */
  get sets(): RRset[] {
    const out: RRset[] = [];
    for (let i = 0; i < this.setCount; i++) out.push(this.setAt(i));
    return out;
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

const lower = (b: number): number => (b >= 0x41 && b <= 0x5a ? b + 0x20 : b);

/** FNV-1a over a name key's characters (already lower case). */
function hashKey(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** The same hash over a wire name in the arena, folding case. */
function hashWire(a: Uint8Array, at: number, len: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < len; i++) h = Math.imul(h ^ lower(a[at + i]!), 0x01000193);
  return h >>> 0;
}

function readU32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) >>> 0) + (b[at + 1]! << 16) + (b[at + 2]! << 8) + b[at + 3]!;
}

/** The columns a zone is made of; every array is indexed by node or by RRset number. */
export interface Columns {
  arena: Uint8Array;
  nodeOwner: Uint32Array; // arena offset of the case-preserved owner wire name
  nodeOwnerLen: Uint8Array;
  nodeFlags: Uint8Array;
  nodeFirstSet: Uint32Array;
  nodeSetCount: Uint16Array;
  setType: Uint16Array;
  setTtl: Uint32Array;
  setCount: Uint32Array;
  setStart: Uint32Array;
  setEnd: Uint32Array;
  table: Int32Array; // open addressing, node index + 1, 0 = empty; size a power of two
}

/**
 * An immutable zone snapshot. Build with `buildZone`; replace the whole object on reload. A node
 * costs about 20 octets of columns and hash slot plus its owner name in the arena; an RRset 18
 * octets plus its RDATA, so a million records fit in roughly a hundred megabytes.
 */
/**
 * A zone version as plain data over SharedArrayBuffers: posting it to a worker thread shares the
 * memory (structured clone of a SharedArrayBuffer-backed view copies no octet), so every serving
 * thread reads the one copy the writer built. Opaque to everything outside src/store.
 */
export interface ZoneImage {
  readonly origin: Uint8Array;
  readonly columns: Columns;
  readonly recordCount: number;
}

/** A typed array over a SharedArrayBuffer (zone columns are built once and read by every thread). */
function shared<T extends Uint8Array | Uint16Array | Uint32Array | Int32Array>(Ctor: { new (b: SharedArrayBuffer): T; readonly BYTES_PER_ELEMENT: number }, n: number): T {
  return new Ctor(new SharedArrayBuffer(n * Ctor.BYTES_PER_ELEMENT));
}

export class Zone {
  readonly origin: Name;
  readonly serial: number;
  readonly recordCount: number;
  readonly #c: Columns;
  readonly #mask: number;
  readonly #soa: RRset | undefined;
  #negSoa: RRset | undefined | null = null;

  constructor(origin: Name, columns: Columns, recordCount: number) {
    this.origin = origin;
    this.#c = columns;
    this.#mask = columns.table.length - 1;
    this.recordCount = recordCount;
    const apex = this.#find(origin.key);
    this.#soa = apex >= 0 ? this.rrsetOf(apex, RRType.SOA) : undefined;
    const soa = this.#soa?.first();
    // SOA RDATA ends with SERIAL REFRESH RETRY EXPIRE MINIMUM (RFC 1035 §3.3.13).
    this.serial = soa && soa.length >= 20 ? readU32(soa, soa.length - 20) : 0;
  }

  /** This version as shareable data (see ZoneImage). */
  image(): ZoneImage {
    return { origin: this.origin.wire, columns: this.#c, recordCount: this.recordCount };
  }

  /** A reader over an image posted from another thread (no copy). */
  static fromImage(img: ZoneImage): Zone {
    return new Zone(Name.fromWire(img.origin), img.columns, img.recordCount);
  }

  #find(key: string): number {
    const c = this.#c;
    const a = c.arena;
    const t = c.table;
    const len = key.length;
    let slot = hashKey(key) & this.#mask;
    for (;;) {
      const v = t[slot]!;
      if (v === 0) return -1;
      const n = v - 1;
      if (c.nodeOwnerLen[n] === len) {
        const at = c.nodeOwner[n]!;
        let i = 0;
        while (i < len && lower(a[at + i]!) === key.charCodeAt(i)) i++;
        if (i === len) return n;
      }
      slot = (slot + 1) & this.#mask;
    }
  }

  /** The node for a name key (including empty non-terminals), if any. */
  node(key: string): ZoneNode | undefined {
    const n = this.#find(key);
    if (n < 0) return undefined;
    return new ZoneNode(this, n, this.#c.nodeFlags[n]!, this.#c.nodeSetCount[n]!);
  }

  /** True when the name key exists in the zone (as a node or an empty non-terminal). */
  has(key: string): boolean {
    return this.#find(key) >= 0;
  }

  rrsetAt(node: number, i: number): RRset {
    const c = this.#c;
    const s = c.nodeFirstSet[node]! + i;
    return new RRset(c.setType[s]!, c.setTtl[s]!, c.setCount[s]!, c.arena, c.setStart[s]!, c.setEnd[s]!);
  }

  rrsetOf(node: number, type: number): RRset | undefined {
    const c = this.#c;
    const first = c.nodeFirstSet[node]!;
    const end = first + c.nodeSetCount[node]!;
    for (let s = first; s < end; s++) {
      if (c.setType[s] === type) return new RRset(type, c.setTtl[s]!, c.setCount[s]!, c.arena, c.setStart[s]!, c.setEnd[s]!);
    }
    return undefined;
  }

  get nodeCount(): number {
    return this.#c.nodeFlags.length;
  }

  /** Octets held by the snapshot's arrays (arena, columns, hash table). */
  get byteSize(): number {
    let n = 0;
    for (const v of Object.values(this.#c) as Uint8Array[]) n += v.byteLength;
    return n;
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
    return this.#nameAt(node.index);
  }

  #nameAt(n: number): Name {
    const at = this.#c.nodeOwner[n]!;
    return Name.fromWire(this.#c.arena.subarray(at, at + this.#c.nodeOwnerLen[n]!));
  }

  /** Every node key (for tools and tests; not used on the query path). */
  *keys(): Generator<string> {
    for (let n = 0; n < this.nodeCount; n++) yield this.#nameAt(n).key;
  }

  /** All records, owner by owner (for tools, tests and later AXFR). */
  *records(): Generator<ResourceRecord> {
    const c = this.#c;
    for (let n = 0; n < this.nodeCount; n++) {
      const count = c.nodeSetCount[n]!;
      if (count === 0) continue;
      const name = this.#nameAt(n);
      for (let i = 0; i < count; i++) {
        const s = this.rrsetAt(n, i);
        for (const rdata of s.rdatas()) yield { name, type: s.type, class: 1, ttl: s.ttl, rdata: Uint8Array.from(rdata) };
      }
    }
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Builds an immutable snapshot from a record list (check-zone, tests, hand-made zones). Records
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
    let set = types.get(type);
    if (set === undefined) {
      set = [];
      types.set(type, set);
    }
    const rdata = table.rdata(i);
    if (!set.some((j) => sameBytes(table.rdata(j), rdata))) set.push(i);
  }
  const order: number[] = [];
  for (const types of owners.values()) for (const set of types.values()) order.push(...set);
  return buildZoneFromTable(origin, table, Uint32Array.from(order));
}

/**
 * Builds a snapshot straight from the loader's compact table (the server's path): `order` lists
 * the checked records owner by owner, RRset by RRset, duplicates already merged and TTLs already
 * unified by the zone checks. No per-record or per-name JS object is made; the only temporary
 * state is a few typed arrays, and nothing of the table is kept by the result.
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
  // In the same pass: where each owner's records start in `order`, and how many RRsets (runs of one type) there are.
  const realStart: number[] = [];
  let sets = 0;
  let last = -1;
  let lastType = -1;
  for (let k = 0; k < order.length; k++) {
    const i = order[k]!;
    const c = canon[table.recOwner[i]!]!;
    const t = table.recType[i]!;
    if (c === last) {
      if (t !== lastType) {
        sets++;
        lastType = t;
      }
      continue;
    }
    sets++;
    lastType = t;
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
      for (let i = 0; i < len; i++) scratch[i] = lower(table.ownerArena[p + i]!);
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
  // 3. Record runs per node: `order` holds each node's records contiguously, RRset by RRset.
  const nodeRecStart = new Uint32Array(nodes + 1);
  for (let n = 0; n < realNodes; n++) nodeRecStart[n] = realStart[n]!;
  for (let n = realNodes; n <= nodes; n++) nodeRecStart[n] = order.length;
  let arenaLen = 0;
  for (const id of nodeId) arenaLen += table.ownerLen[id]!;
  if (!apexIsOwner) arenaLen += originLen;
  for (let k = 0; k < order.length; k++) arenaLen += 2 + table.recLen[order[k]!]!;
  const arena = shared(Uint8Array, arenaLen);
  const nodeOwner = shared(Uint32Array, nodes);
  const nodeOwnerLen = shared(Uint8Array, nodes);
  const nodeFlags = shared(Uint8Array, nodes);
  const nodeFirstSet = shared(Uint32Array, nodes);
  const nodeSetCount = shared(Uint16Array, nodes);
  // One RRset per run of equal types in `order` (counted above), so the columns are exact.
  const setType = shared(Uint16Array, sets);
  const setTtl = shared(Uint32Array, sets);
  const setCount = shared(Uint32Array, sets);
  const setStart = shared(Uint32Array, sets);
  const setEnd = shared(Uint32Array, sets);
  const runs: number[] = []; // [type, from, to) triples of one node
  const runOrder: number[] = [];
  const rd = table.rdArena;
  let s = 0;
  let at = 0;
  for (let n = 0; n < nodes; n++) {
    nodeOwner[n] = at;
    if (n < nodeId.length) {
      const id = nodeId[n]!;
      const o = table.ownerOff[id]!;
      const len = table.ownerLen[id]!;
      const oa = table.ownerArena;
      for (let i = 0; i < len; i++) arena[at + i] = oa[o + i]!;
      nodeOwnerLen[n] = len;
      at += len;
    } else {
      arena.set(origin.wire, at);
      nodeOwnerLen[n] = originLen;
      at += originLen;
    }
    const from = nodeRecStart[n]!;
    const to = nodeRecStart[n + 1]!;
    let flags = n >= realNodes ? NodeFlag.ENT : 0;
    if (n === apexNode) flags = NodeFlag.APEX | (to === from ? NodeFlag.ENT : 0);
    runs.length = 0;
    for (let k = from; k < to; ) {
      const type = table.recType[order[k]!]!;
      const r0 = k;
      while (k < to && table.recType[order[k]!] === type) k++;
      runs.push(type, r0, k);
    }
    // RRsets sorted by type (Knot answers ANY with the lowest); each RRset keeps file order.
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
    nodeFirstSet[n] = s;
    for (const r of runOrder) {
      const type = runs[r]!;
      const r0 = runs[r + 1]!;
      const r1 = runs[r + 2]!;
      setType[s] = type;
      setTtl[s] = table.recTtl[order[r0]!]!;
      setStart[s] = at;
      for (let k = r0; k < r1; k++) {
        const i = order[k]!;
        const len = table.recLen[i]!;
        const o = table.recOff[i]!;
        arena[at] = len >>> 8;
        arena[at + 1] = len & 0xff;
        for (let j = 0; j < len; j++) arena[at + 2 + j] = rd[o + j]!;
        at += 2 + len;
      }
      setEnd[s] = at;
      setCount[s] = r1 - r0;
      s++;
      if (type === RRType.CNAME) flags |= NodeFlag.CNAME;
      else if (type === RRType.DNAME) flags |= NodeFlag.DNAME;
      else if (type === RRType.NS && !(flags & NodeFlag.APEX)) flags |= NodeFlag.DELEGATION;
    }
    nodeSetCount[n] = s - nodeFirstSet[n]!;
    nodeFlags[n] = flags;
  }
  // 4. The hash table: load factor at most 1/2.
  let cap = 16;
  while (cap < nodes * 2) cap *= 2;
  const hashTable = shared(Int32Array, cap);
  for (let n = 0; n < nodes; n++) {
    // The table already hashed every owner with the same folded FNV-1a as hashWire.
    const h = n < nodeId.length ? table.ownerHash[nodeId[n]!]! : hashWire(arena, nodeOwner[n]!, nodeOwnerLen[n]!);
    let slot = h & (cap - 1);
    while (hashTable[slot] !== 0) slot = (slot + 1) & (cap - 1);
    hashTable[slot] = n + 1;
  }
  const columns: Columns = { arena, nodeOwner, nodeOwnerLen, nodeFlags, nodeFirstSet, nodeSetCount, setType, setTtl, setCount, setStart, setEnd, table: hashTable };
  return new Zone(origin, columns, order.length);
}

// Owns one columnar node table over SharedArrayBuffers: nodes in canonical order, a seeded owner hash, builders and a merge.
import { RRType } from '../wire/constants.ts';
import { lowerByte } from '../wire/bytes.ts';
import { compareWire, writeSortKey } from './canonical.ts';
import { nameHash, nameKeyHash } from '../wire/hash.ts';

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
  /** In a version's change layer only: the name no longer exists in this version. */
  GONE: 32,
} as const;

/**
 * The columns a node table is made of; every array is indexed by node row or by RRset number.
 * Rows are in canonical order (RFC 4034 §6.1), so a row's predecessor is the row before it. A
 * row's bytes are contiguous in the arena: the case-preserved owner wire name, then each RRset's
 * RDATAs (each preceded by a 16-bit length). RRsets of a row are sorted by (type, covered type),
 * so the RRSIG RRsets of one owner (one per covered type, RFC 4035 §2.2) are adjacent.
 */
export interface Columns {
  arena: Uint8Array;
  nodeOwner: Uint32Array;
  nodeOwnerLen: Uint8Array;
  nodeFlags: Uint8Array;
  nodeFirstSet: Uint32Array;
  nodeSetCount: Uint16Array;
  setType: Uint16Array;
  setTtl: Uint32Array;
  setCount: Uint32Array;
  setStart: Uint32Array;
  setEnd: Uint32Array;
  /** Open addressing, row + 1, 0 = empty; size a power of two, load factor at most 1/2. */
  table: Int32Array;
}

/** A typed array over a SharedArrayBuffer (tables are built once and read by every serving thread). */
export function shared<T extends Uint8Array | Uint16Array | Uint32Array | Int32Array>(Ctor: { new (b: SharedArrayBuffer): T; readonly BYTES_PER_ELEMENT: number }, n: number): T {
  return new Ctor(new SharedArrayBuffer(Math.max(1, n) * Ctor.BYTES_PER_ELEMENT));
}

/** One RRset's content for the small builders (a change layer, an update). RDATAs are uncompressed wire. */
export interface SetData {
  readonly type: number;
  readonly ttl: number;
  readonly rdatas: readonly Uint8Array[];
}

/** One node's content for the small builders. */
export interface NodeData {
  /** Case-preserved owner wire name. */
  readonly owner: Uint8Array;
  readonly flags: number;
  /** Sorted by setOrder. */
  readonly sets: readonly SetData[];
}

/** The covered type of an RRSIG RDATA (RFC 4034 §3.1.1), 0 for any other type. */
export function coveredOf(type: number, rdata: Uint8Array, at = 0): number {
  return type === RRType.RRSIG && rdata.length >= at + 2 ? (rdata[at]! << 8) | rdata[at + 1]! : 0;
}

/** RRset order inside a node: by type, RRSIGs by covered type (so one owner's RRSIGs are adjacent). */
export function setOrder(type: number, covered: number): number {
  return type * 0x10000 + covered;
}

/** Flags that follow from a node's RRset types (APEX and ENT are decided by the caller). */
export function typeFlags(type: number, apex: boolean): number {
  if (type === RRType.CNAME) return NodeFlag.CNAME;
  if (type === RRType.DNAME) return NodeFlag.DNAME;
  if (type === RRType.NS && !apex) return NodeFlag.DELEGATION;
  return 0;
}

function buildHash(c: Omit<Columns, 'table'>, rows: number, seed: number, hashes: Uint32Array | null): Int32Array {
  let cap = 16;
  while (cap < rows * 2) cap *= 2;
  const t = shared(Int32Array, cap);
  for (let n = 0; n < rows; n++) {
    const h = hashes !== null ? hashes[n]! : nameHash(seed, c.arena, c.nodeOwner[n]!, c.nodeOwnerLen[n]!);
    let slot = h & (cap - 1);
    while (t[slot] !== 0) slot = (slot + 1) & (cap - 1);
    t[slot] = n + 1;
  }
  return t;
}

/** Allocates the columns for `rows` nodes, `sets` RRsets and `arena` octets (all shared memory). */
export function allocColumns(rows: number, sets: number, arena: number): Omit<Columns, 'table'> {
  return {
    arena: shared(Uint8Array, arena),
    nodeOwner: shared(Uint32Array, rows),
    nodeOwnerLen: shared(Uint8Array, rows),
    nodeFlags: shared(Uint8Array, rows),
    nodeFirstSet: shared(Uint32Array, rows),
    nodeSetCount: shared(Uint16Array, rows),
    setType: shared(Uint16Array, sets),
    setTtl: shared(Uint32Array, sets),
    setCount: shared(Uint32Array, sets),
    setStart: shared(Uint32Array, sets),
    setEnd: shared(Uint32Array, sets),
  };
}

/** The columns with their owner hash; `hashes` (per row, nameHash with `seed`) when the caller has them already. */
export function finishColumns(c: Omit<Columns, 'table'>, rows: number, seed: number, hashes: Uint32Array | null = null): Columns {
  return { ...c, table: buildHash(c, rows, seed, hashes) };
}

/** Builds a table from node contents already in canonical order (change layers, small zones). */
export function columnsFromNodes(nodes: readonly NodeData[], seed: number): Columns {
  let sets = 0;
  let octets = 0;
  for (const n of nodes) {
    octets += n.owner.length;
    sets += n.sets.length;
    for (const s of n.sets) for (const r of s.rdatas) octets += 2 + r.length;
  }
  const c = allocColumns(nodes.length, sets, octets);
  let at = 0;
  let s = 0;
  for (let row = 0; row < nodes.length; row++) {
    const n = nodes[row]!;
    c.nodeOwner[row] = at;
    c.nodeOwnerLen[row] = n.owner.length;
    c.arena.set(n.owner, at);
    at += n.owner.length;
    c.nodeFlags[row] = n.flags;
    c.nodeFirstSet[row] = s;
    c.nodeSetCount[row] = n.sets.length;
    for (const set of n.sets) {
      c.setType[s] = set.type;
      c.setTtl[s] = set.ttl;
      c.setCount[s] = set.rdatas.length;
      c.setStart[s] = at;
      for (const r of set.rdatas) {
        c.arena[at] = r.length >>> 8;
        c.arena[at + 1] = r.length & 0xff;
        c.arena.set(r, at + 2);
        at += 2 + r.length;
      }
      c.setEnd[s] = at;
      s++;
    }
  }
  return finishColumns(c, nodes.length, seed);
}

/** A reader over one node table: hash lookup, canonical search, raw row access. */
export class Snap {
  readonly c: Columns;
  readonly seed: number;
  readonly rows: number;
  readonly #mask: number;

  constructor(c: Columns, seed: number) {
    this.c = c;
    this.seed = seed;
    this.rows = c.nodeFlags.length === 1 && c.nodeOwnerLen[0] === 0 ? 0 : c.nodeFlags.length;
    this.#mask = c.table.length - 1;
  }

  /** The row of a name key (lower-cased wire as latin1), or -1. */
  find(key: string): number {
    const c = this.c;
    const a = c.arena;
    const t = c.table;
    const len = key.length;
    let slot = nameKeyHash(this.seed, key) & this.#mask;
    for (;;) {
      const v = t[slot]!;
      if (v === 0) return -1;
      const n = v - 1;
      if (c.nodeOwnerLen[n] === len) {
        const at = c.nodeOwner[n]!;
        let i = 0;
        while (i < len && lowerByte(a[at + i]!) === key.charCodeAt(i)) i++;
        if (i === len) return n;
      }
      slot = (slot + 1) & this.#mask;
    }
  }

  /** The row of a wire name (any case), or -1. */
  findWire(w: Uint8Array): number {
    let key = '';
    for (let i = 0; i < w.length; i++) key += String.fromCharCode(lowerByte(w[i]!));
    return this.find(key);
  }

  ownerWire(n: number): Uint8Array {
    const at = this.c.nodeOwner[n]!;
    return this.c.arena.subarray(at, at + this.c.nodeOwnerLen[n]!);
  }

  /** Canonical comparison of row n's owner with a wire name. */
  compareRow(n: number, w: Uint8Array): number {
    return compareWire(this.c.arena, this.c.nodeOwner[n]!, this.c.nodeOwnerLen[n]!, w, 0, w.length);
  }

  /** The first row whose owner is canonically >= w (rows when none). */
  lowerBound(w: Uint8Array): number {
    let lo = 0;
    let hi = this.rows;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.compareRow(mid, w) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Arena octets [from, to) that hold row n (owner and RDATAs). */
  rowSpan(n: number): [number, number] {
    const c = this.c;
    const from = c.nodeOwner[n]!;
    const count = c.nodeSetCount[n]!;
    return [from, count === 0 ? from + c.nodeOwnerLen[n]! : c.setEnd[c.nodeFirstSet[n]! + count - 1]!];
  }

  /** The content of row n as plain objects (views into the arena; for updates and diffs, not for queries). */
  nodeData(n: number): NodeData {
    const c = this.c;
    const sets: SetData[] = [];
    const first = c.nodeFirstSet[n]!;
    for (let s = first; s < first + c.nodeSetCount[n]!; s++) {
      const rdatas: Uint8Array[] = [];
      for (let p = c.setStart[s]!; p < c.setEnd[s]!; ) {
        const len = (c.arena[p]! << 8) | c.arena[p + 1]!;
        rdatas.push(c.arena.subarray(p + 2, p + 2 + len));
        p += 2 + len;
      }
      sets.push({ type: c.setType[s]!, ttl: c.setTtl[s]!, rdatas });
    }
    return { owner: this.ownerWire(n), flags: c.nodeFlags[n]!, sets };
  }

  get byteSize(): number {
    let n = 0;
    for (const v of Object.values(this.c) as Uint8Array[]) n += v.byteLength;
    return n;
  }
}

/**
 * A new table with the rows of `base` overridden by the rows of `delta` (same owner: delta wins;
 * GONE rows removed). Each delta row is placed by binary search, and the base rows between two
 * delta rows are copied as one arena span with their offsets shifted, so merging a small change
 * layer into a large base costs a sequential copy and a rehash, no per-row comparison.
 */
export function mergeColumns(base: Snap, delta: Snap, seed: number): Columns {
  // Where each delta row goes in the base, and whether it replaces the base row there.
  const at = new Int32Array(delta.rows);
  const same = new Uint8Array(delta.rows);
  for (let j = 0; j < delta.rows; j++) {
    const w = delta.ownerWire(j);
    const i = base.lowerBound(w);
    at[j] = i;
    same[j] = i < base.rows && base.compareRow(i, w) === 0 ? 1 : 0;
  }
  const span = (s: Snap, from: number, to: number): number => (to <= from ? 0 : s.rowSpan(to - 1)[1] - s.c.nodeOwner[from]!);
  const setsOf = (s: Snap, from: number, to: number): number => (to <= from ? 0 : s.c.nodeFirstSet[to - 1]! + s.c.nodeSetCount[to - 1]! - s.c.nodeFirstSet[from]!);
  // Sizes: every base row not replaced, plus every live delta row.
  let rows = base.rows;
  let sets = setsOf(base, 0, base.rows);
  let octets = span(base, 0, base.rows);
  for (let j = 0; j < delta.rows; j++) {
    if (same[j]) {
      rows--;
      sets -= setsOf(base, at[j]!, at[j]! + 1);
      octets -= span(base, at[j]!, at[j]! + 1);
    }
    if (!(delta.c.nodeFlags[j]! & NodeFlag.GONE)) {
      rows++;
      sets += setsOf(delta, j, j + 1);
      octets += span(delta, j, j + 1);
    }
  }
  const c = allocColumns(rows, sets, octets);
  let row = 0;
  let si = 0;
  let pos = 0;
  /** Copies rows [from, to) of `s` as one block. */
  const copy = (s: Snap, from: number, to: number): void => {
    if (to <= from) return;
    const src = s.c;
    const a0 = src.nodeOwner[from]!;
    const a1 = s.rowSpan(to - 1)[1];
    const shift = pos - a0;
    c.arena.set(src.arena.subarray(a0, a1), pos);
    const s0 = src.nodeFirstSet[from]!;
    const sShift = si - s0;
    for (let n = from; n < to; n++, row++) {
      c.nodeOwner[row] = src.nodeOwner[n]! + shift;
      c.nodeOwnerLen[row] = src.nodeOwnerLen[n]!;
      c.nodeFlags[row] = src.nodeFlags[n]!;
      c.nodeFirstSet[row] = src.nodeFirstSet[n]! + sShift;
      c.nodeSetCount[row] = src.nodeSetCount[n]!;
    }
    const s1 = src.nodeFirstSet[to - 1]! + src.nodeSetCount[to - 1]!;
    c.setType.set(src.setType.subarray(s0, s1), si);
    c.setTtl.set(src.setTtl.subarray(s0, s1), si);
    c.setCount.set(src.setCount.subarray(s0, s1), si);
    for (let k = s0; k < s1; k++, si++) {
      c.setStart[si] = src.setStart[k]! + shift;
      c.setEnd[si] = src.setEnd[k]! + shift;
    }
    pos += a1 - a0;
  };
  let next = 0; // the next base row to copy
  for (let j = 0; j < delta.rows; j++) {
    copy(base, next, at[j]!);
    next = at[j]! + same[j]!;
    if (!(delta.c.nodeFlags[j]! & NodeFlag.GONE)) copy(delta, j, j + 1);
  }
  copy(base, next, base.rows);
  return finishColumns(c, rows, seed);
}

/**
 * Sorts the wire names of a zone (all at or below an origin of `skip` labels) into canonical
 * order; returns the permutation (rank -> name number). A comparator callback over a million
 * names costs seconds, so names are ordered natively by the first 32 bits of their sort key below
 * the origin (packed with the name number into one float64), names sharing those bits by the next
 * 32 bits the same way, and only names sharing 64 bits by a full comparison.
 */
export function canonicalPermutation(count: number, name: (i: number) => Uint8Array, offset: (i: number) => number, length: (i: number) => number, skip = 0): Uint32Array {
  let idxBits = 21;
  while (2 ** idxBits < count) idxBits++;
  const scale = 2 ** idxBits;
  // Prefix and number must fit a float64 exactly: above 2^21 names the first prefix loses low bits
  // and ties go straight to the full comparison (still correct: a truncated key keeps the order).
  const shift = 2 ** (idxBits - 21);
  const twoLevels = shift === 1;
  const p1 = new Uint32Array(count);
  const p2 = new Uint32Array(twoLevels ? count : 0);
  const packed = new Float64Array(count);
  const buf = new Uint8Array(1024);
  const word = (o: number, at: number): number => (((at < o ? buf[at]! : 0) << 24) | ((at + 1 < o ? buf[at + 1]! : 0) << 16) | ((at + 2 < o ? buf[at + 2]! : 0) << 8) | (at + 3 < o ? buf[at + 3]! : 0)) >>> 0;
  for (let i = 0; i < count; i++) {
    const o = writeSortKey(name(i), offset(i), length(i), buf, 0, skip);
    const w1 = Math.floor(word(o, 0) / shift);
    p1[i] = w1;
    if (twoLevels) p2[i] = word(o, 4);
    packed[i] = w1 * scale + i;
  }
  packed.sort();
  const perm = new Uint32Array(count);
  for (let r = 0; r < count; r++) perm[r] = packed[r]! % scale;
  const cmp = (x: number, y: number): number => compareWire(name(x), offset(x), length(x), name(y), offset(y), length(y));
  for (let r = 0; r < count; ) {
    let e = r + 1;
    const w = p1[perm[r]!]!;
    while (e < count && p1[perm[e]!] === w) e++;
    if (e - r > 1 && !twoLevels) perm.subarray(r, e).sort(cmp);
    else if (e - r > 1) {
      // Second level: the next 32 bits with the position in the run, natively.
      const m = e - r;
      const sub = packed.subarray(0, m);
      for (let k = 0; k < m; k++) sub[k] = p2[perm[r + k]!]! * scale + perm[r + k]!;
      sub.sort();
      for (let k = 0; k < m; k++) perm[r + k] = sub[k]! % scale;
      for (let a = r; a < e; ) {
        let b = a + 1;
        const w2 = p2[perm[a]!]!;
        while (b < e && p2[perm[b]!] === w2) b++;
        if (b - a > 1) perm.subarray(a, b).sort(cmp);
        a = b;
      }
    }
    r = e;
  }
  return perm;
}

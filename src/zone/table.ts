// Owns the compact record table the parser streams into: interned owner wire names, typed-array columns, one RDATA arena, positions.
import { lowerByte } from '../wire/bytes.ts';
import { nameHash, newNameSeed } from '../wire/hash.ts';
import { Name } from '../wire/name.ts';
import type { ResourceRecord } from '../wire/record.ts';

const lower = lowerByte;

function grow<T extends Uint8Array | Uint16Array | Uint32Array | Int32Array>(a: T, need: number, make: (n: number) => T): T {
  if (need <= a.length) return a;
  let n = a.length * 2;
  while (n < need) n *= 2;
  const b = make(n);
  b.set(a);
  return b;
}

/** Frees a typed array's memory now by detaching its buffer (ES2024 ArrayBuffer.prototype.transfer to length 0); every view of it becomes empty. */
export function freeBuffer(a: { readonly buffer: ArrayBufferLike }): void {
  const b = a.buffer as ArrayBufferLike & { readonly detached?: boolean; transfer?: (length: number) => ArrayBuffer };
  if (b.detached === false && typeof b.transfer === 'function') b.transfer(0);
}

/** Case-insensitive comparison of two wire names of the same length. */
export function sameFolded(a: Uint8Array, at: number, b: Uint8Array, bt: number, len: number): boolean {
  for (let i = 0; i < len; i++) if (lower(a[at + i]!) !== lower(b[bt + i]!)) return false;
  return true;
}

/**
 * A zone's records as columns instead of one object per record (a ResourceRecord with its Name
 * and RDATA array costs ~450 octets; here a record costs 28 octets plus its RDATA). Owners are
 * interned once per distinct spelling: `owner` ids keep the case each record was written in,
 * `canon` maps each id to the first id of the same name ignoring case (RFC 4343), which the
 * zone checks and the store group by.
 */
export class RecordTable {
  // Owners.
  ownerArena: Uint8Array;
  ownerArenaLen = 0;
  ownerOff: Uint32Array;
  ownerLen: Uint8Array;
  ownerCanon: Uint32Array;
  /**
   * Folded hash per owner (nameHash with this table's seed): probes compare it first, growing the
   * hash never rehashes names, and the store's node table reuses it (same function, same seed).
   */
  ownerHash: Uint32Array;
  /** The nameHash seed of this table; the zone version built from it keeps it. */
  readonly seed: number = newNameSeed();
  ownerCount = 0;
  /**
   * Open addressing, load factor <= 1/2: slot s is #hash[2s] = id + 1 (0 = empty) and #hash[2s+1] =
   * the owner's hash, side by side so a probe costs one cache miss instead of two.
   */
  #hash: Int32Array;
  #slots: number;
  // Records.
  recOwner: Uint32Array;
  recType: Uint16Array;
  /** TTL (a record still waiting for the SOA MINIMUM holds 0xffffffff until the parser resolves it, RFC 2308 §4). */
  recTtl: Uint32Array;
  recOff: Uint32Array;
  recLen: Uint16Array;
  rdArena: Uint8Array;
  rdArenaLen = 0;
  count = 0;
  // Positions (file id into `files`, 1-based line and column).
  readonly files: string[] = [];
  readonly #fileIndex = new Map<string, number>();
  posFile: Uint32Array;
  posLine: Uint32Array;
  posCol: Uint32Array;

  /**
   * Capacities are hints (everything grows by doubling); sizing them from the zone text up front
   * avoids the copies, and the freed mid-sized buffers that the C allocator keeps as RSS.
   */
  constructor(records = 1024, rdataOctets = 1 << 16, ownerOctets = 1 << 16) {
    const r = Math.max(16, records);
    this.ownerArena = new Uint8Array(Math.max(256, ownerOctets));
    this.ownerOff = new Uint32Array(r);
    this.ownerLen = new Uint8Array(r);
    this.ownerCanon = new Uint32Array(r);
    this.ownerHash = new Uint32Array(r);
    let slots = 16;
    while (slots < 2 * r) slots *= 2;
    this.#slots = slots;
    this.#hash = new Int32Array(2 * slots);
    this.recOwner = new Uint32Array(r);
    this.recType = new Uint16Array(r);
    this.recTtl = new Uint32Array(r);
    this.recOff = new Uint32Array(r);
    this.recLen = new Uint16Array(r);
    this.rdArena = new Uint8Array(Math.max(256, rdataOctets));
    this.posFile = new Uint32Array(r);
    this.posLine = new Uint32Array(r);
    this.posCol = new Uint32Array(r);
  }

  /** A table sized for zone text: about one record per line. */
  static forText(text: string): RecordTable {
    let lines = 1;
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lines++;
    return new RecordTable(lines, text.length >>> 1, text.length >>> 2);
  }

  fileId(file: string): number {
    let id = this.#fileIndex.get(file);
    if (id === undefined) {
      id = this.files.length;
      this.files.push(file);
      this.#fileIndex.set(file, id);
    }
    return id;
  }

  /** The id of an owner wire name (exact octets), adding it when new. */
  intern(wire: Uint8Array, at: number, len: number): number {
    const mask = this.#slots - 1;
    const h = nameHash(this.seed, wire, at, len);
    const hs = h | 0;
    const table = this.#hash;
    let slot = h & mask;
    let canon = -1;
    const arena = this.ownerArena;
    for (;;) {
      const v = table[2 * slot]!;
      if (v === 0) break;
      const id = v - 1;
      if (table[2 * slot + 1] === hs && this.ownerLen[id] === len) {
        const o = this.ownerOff[id]!;
        let exact = true;
        for (let i = 0; i < len; i++) {
          if (arena[o + i] !== wire[at + i]) {
            exact = false;
            break;
          }
        }
        if (exact) return id;
        if (canon < 0 && sameFolded(arena, o, wire, at, len)) canon = this.ownerCanon[id]!;
      }
      slot = (slot + 1) & mask;
    }
    const id = this.ownerCount++;
    if (id >= this.ownerOff.length) {
      const n = id + 1;
      this.ownerOff = grow(this.ownerOff, n, (k) => new Uint32Array(k));
      this.ownerLen = grow(this.ownerLen, n, (k) => new Uint8Array(k));
      this.ownerCanon = grow(this.ownerCanon, n, (k) => new Uint32Array(k));
      this.ownerHash = grow(this.ownerHash, n, (k) => new Uint32Array(k));
    }
    this.ownerArena = grow(this.ownerArena, this.ownerArenaLen + len, (k) => new Uint8Array(k));
    const dst = this.ownerArena;
    const base = this.ownerArenaLen;
    for (let i = 0; i < len; i++) dst[base + i] = wire[at + i]!;
    this.ownerOff[id] = base;
    this.ownerHash[id] = h;
    this.ownerLen[id] = len;
    this.ownerCanon[id] = canon < 0 ? id : canon;
    this.ownerArenaLen += len;
    table[2 * slot] = id + 1;
    table[2 * slot + 1] = hs;
    if (this.ownerCount * 2 > this.#slots) this.#rehash();
    return id;
  }

  #rehash(): void {
    const size = this.#slots * 2;
    const mask = size - 1;
    const t = new Int32Array(2 * size);
    for (let id = 0; id < this.ownerCount; id++) {
      const h = this.ownerHash[id]!;
      let slot = h & mask;
      while (t[2 * slot] !== 0) slot = (slot + 1) & mask;
      t[2 * slot] = id + 1;
      t[2 * slot + 1] = h | 0;
    }
    this.#hash = t;
    this.#slots = size;
  }

  /** The canonical id of a wire name compared without case, or -1 when no record owner has it. */
  findFolded(wire: Uint8Array, at: number, len: number): number {
    const mask = this.#slots - 1;
    const h = nameHash(this.seed, wire, at, len);
    const hs = h | 0;
    const table = this.#hash;
    let slot = h & mask;
    for (;;) {
      const v = table[2 * slot]!;
      if (v === 0) return -1;
      const id = v - 1;
      if (table[2 * slot + 1] === hs && this.ownerLen[id] === len && sameFolded(this.ownerArena, this.ownerOff[id]!, wire, at, len)) return this.ownerCanon[id]!;
      slot = (slot + 1) & mask;
    }
  }

  /** Appends a record; its RDATA is rdata[0..rdLen) (copied into the arena). */
  add(owner: number, type: number, ttl: number, rdata: Uint8Array, file: number, line: number, col: number, rdLen = rdata.length): void {
    const i = this.count++;
    if (i >= this.recOwner.length) {
      const n = i + 1;
      this.recOwner = grow(this.recOwner, n, (k) => new Uint32Array(k));
      this.recType = grow(this.recType, n, (k) => new Uint16Array(k));
      this.recTtl = grow(this.recTtl, n, (k) => new Uint32Array(k));
      this.recOff = grow(this.recOff, n, (k) => new Uint32Array(k));
      this.recLen = grow(this.recLen, n, (k) => new Uint16Array(k));
      this.posFile = grow(this.posFile, n, (k) => new Uint32Array(k));
      this.posLine = grow(this.posLine, n, (k) => new Uint32Array(k));
      this.posCol = grow(this.posCol, n, (k) => new Uint32Array(k));
    }
    const arena = (this.rdArena = grow(this.rdArena, this.rdArenaLen + rdLen, (k) => new Uint8Array(k)));
    const base = this.rdArenaLen;
    for (let k = 0; k < rdLen; k++) arena[base + k] = rdata[k]!;
    this.recOwner[i] = owner;
    this.recType[i] = type;
    this.recTtl[i] = ttl >>> 0;
    this.recOff[i] = this.rdArenaLen;
    this.recLen[i] = rdLen;
    this.rdArenaLen += rdLen;
    this.posFile[i] = file;
    this.posLine[i] = line;
    this.posCol[i] = col;
  }

  /**
   * Frees every column now instead of at the next full garbage collection (which an idle server
   * may not run for a long time): each buffer is detached by transferring it to length 0. The
   * table is empty and unusable afterwards.
   */
  release(): void {
    for (const a of [this.ownerArena, this.ownerOff, this.ownerLen, this.ownerCanon, this.ownerHash, this.#hash, this.recOwner, this.recType,
      this.recTtl, this.recOff, this.recLen, this.rdArena, this.posFile, this.posLine, this.posCol]) {
      freeBuffer(a);
    }
    this.count = 0;
    this.ownerCount = 0;
    this.ownerArenaLen = 0;
    this.rdArenaLen = 0;
  }

  /** RDATA of record i (a view into the arena; copy it to keep it beyond the table). */
  rdata(i: number): Uint8Array {
    const o = this.recOff[i]!;
    return this.rdArena.subarray(o, o + this.recLen[i]!);
  }

  ownerName(id: number): Name {
    const o = this.ownerOff[id]!;
    return Name.fromWire(this.ownerArena.slice(o, o + this.ownerLen[id]!));
  }

  position(i: number): { file: string; line: number; col: number } | undefined {
    if (i < 0 || i >= this.count) return undefined;
    return { file: this.files[this.posFile[i]!]!, line: this.posLine[i]!, col: this.posCol[i]! };
  }

  /** Record objects for the records listed in `order` (all, in table order, without it), with `ttls` overriding. */
  toRecords(order?: Uint32Array, ttls?: Uint32Array): ResourceRecord[] {
    const names: (Name | undefined)[] = [];
    const n = order ? order.length : this.count;
    const out: ResourceRecord[] = new Array<ResourceRecord>(n);
    for (let k = 0; k < n; k++) {
      const i = order ? order[k]! : k;
      const o = this.recOwner[i]!;
      const name = (names[o] ??= this.ownerName(o));
      out[k] = { name, type: this.recType[i]!, class: 1, ttl: ttls ? ttls[i]! : this.recTtl[i]!, rdata: this.rdata(i).slice() };
    }
    return out;
  }

  /** A table of existing records (for checkZone on a record list); positions from `where`, else line 0. */
  static fromRecords(records: readonly ResourceRecord[], where?: (i: number) => { file: string; line: number; col: number } | undefined, file = ''): RecordTable {
    const t = new RecordTable();
    const fallback = t.fileId(file);
    for (let i = 0; i < records.length; i++) {
      const rr = records[i]!;
      const p = where?.(i);
      const owner = t.intern(rr.name.wire, 0, rr.name.wire.length);
      t.add(owner, rr.type, rr.ttl, rr.rdata, p ? t.fileId(p.file) : fallback, p ? p.line : 0, p ? p.col : 0);
    }
    return t;
  }
}

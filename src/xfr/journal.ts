// Owns a zone's journal file under storage: changesets appended with length + CRC framing, a torn tail dropped at open, bounded by size and depth (oldest dropped first).
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, truncateSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { Changeset } from '../store/index.ts';
import { Name } from '../wire/name.ts';
import type { ResourceRecord } from '../wire/record.ts';

/** "DJN1": the start of every frame, so a frame boundary can be recognised. */
const MAGIC = 0x444a4e31;
const FRAME_HEADER = 12;

export interface JournalLimits {
  /** Size bound of the file (config xfr.journal_max_bytes). */
  readonly maxBytes: number;
  /** Changesets kept (config xfr.journal_max_depth). */
  readonly maxDepth: number;
}

interface Entry {
  readonly serialFrom: number;
  readonly serialTo: number;
  /** Where its frame (header + payload) starts in the file, and its length. */
  offset: number;
  readonly length: number;
}

/** What open() found. */
export interface JournalOpen {
  readonly changesets: Changeset[];
  /** Octets at the end that did not form a complete, intact frame (a torn write), now cut off. */
  readonly tornBytes: number;
}

function recordSize(r: ResourceRecord): number {
  return 1 + r.name.wire.length + 10 + r.rdata.length;
}

function encodePayload(cs: Changeset): Uint8Array {
  if (!cs.soaFrom || !cs.soaTo) throw new Error('journal: changeset without its SOAs');
  let len = 8 + recordSize(cs.soaFrom) + recordSize(cs.soaTo) + 8;
  for (const r of cs.removed) len += recordSize(r);
  for (const r of cs.added) len += recordSize(r);
  const out = Buffer.allocUnsafe(len);
  let p = 0;
  const rec = (r: ResourceRecord): void => {
    out[p++] = r.name.wire.length;
    out.set(r.name.wire, p);
    p += r.name.wire.length;
    p = out.writeUInt16BE(r.type, p);
    p = out.writeUInt16BE(r.class, p);
    p = out.writeUInt32BE(r.ttl >>> 0, p);
    p = out.writeUInt16BE(r.rdata.length, p);
    out.set(r.rdata, p);
    p += r.rdata.length;
  };
  p = out.writeUInt32BE(cs.serialFrom, p);
  p = out.writeUInt32BE(cs.serialTo, p);
  rec(cs.soaFrom);
  rec(cs.soaTo);
  p = out.writeUInt32BE(cs.removed.length, p);
  for (const r of cs.removed) rec(r);
  p = out.writeUInt32BE(cs.added.length, p);
  for (const r of cs.added) rec(r);
  return out;
}

function decodePayload(origin: Name, b: Buffer): Changeset {
  let p = 0;
  const need = (n: number): void => {
    if (p + n > b.length) throw new Error('journal: record runs past its frame');
  };
  const rec = (): ResourceRecord => {
    need(1);
    const nl = b[p++]!;
    need(nl + 10);
    const name = Name.fromWire(b.subarray(p, p + nl));
    p += nl;
    const type = b.readUInt16BE(p);
    const cls = b.readUInt16BE(p + 2);
    const ttl = b.readUInt32BE(p + 4);
    const rl = b.readUInt16BE(p + 8);
    p += 10;
    need(rl);
    const rdata = Uint8Array.from(b.subarray(p, p + rl));
    p += rl;
    return { name, type, class: cls, ttl, rdata };
  };
  need(8);
  const serialFrom = b.readUInt32BE(0);
  const serialTo = b.readUInt32BE(4);
  p = 8;
  const soaFrom = rec();
  const soaTo = rec();
  const list = (): ResourceRecord[] => {
    need(4);
    const n = b.readUInt32BE(p);
    p += 4;
    const out: ResourceRecord[] = [];
    for (let i = 0; i < n; i++) out.push(rec());
    return out;
  };
  const removed = list();
  const added = list();
  if (p !== b.length) throw new Error('journal: octets after the changeset');
  return { origin, serialFrom, serialTo, soaFrom, soaTo, removed, added };
}

function frameOf(payload: Uint8Array): Uint8Array {
  const f = Buffer.allocUnsafe(FRAME_HEADER + payload.length);
  f.writeUInt32BE(MAGIC, 0);
  f.writeUInt32BE(payload.length, 4);
  f.writeUInt32BE(crc32(payload), 8);
  f.set(payload, FRAME_HEADER);
  return f;
}

/** The file name of a zone's journal: its name without the trailing dot ("root" for the root zone), made safe for a path. */
export function journalPath(storage: string, zone: Name): string {
  const text = zone.toText().toLowerCase().replace(/\.$/, '') || 'root';
  return join(storage, 'journal', `${text.replace(/[^a-z0-9._-]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`)}.journal`);
}

/**
 * One zone's journal (RFC 1995 §5: a primary keeps the differences between recent versions). Each
 * changeset is one frame: magic, payload length, CRC-32 of the payload, payload; frames are
 * appended and fsynced. A crash mid-append leaves an incomplete or corrupt last frame, which open()
 * detects and cuts off. Over a bound, the newest frames that fit are rewritten to a new file
 * (write, fsync, rename), so the oldest changes go first and a crash never leaves a half file.
 * Synchronous: it runs in the main thread's writer turn, between two versions of the zone.
 */
export class Journal {
  readonly path: string;
  readonly #origin: Name;
  readonly #limits: JournalLimits;
  #entries: Entry[] = [];
  #bytes = 0;

  constructor(storage: string, origin: Name, limits: JournalLimits) {
    this.path = journalPath(storage, origin);
    this.#origin = origin;
    this.#limits = limits;
  }

  /** Reads the journal; a torn or corrupt tail is truncated away. Missing file: empty. */
  open(): JournalOpen {
    let data: Buffer;
    try {
      data = readFileSync(this.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { changesets: [], tornBytes: 0 };
      throw err;
    }
    const changesets: Changeset[] = [];
    this.#entries = [];
    let p = 0;
    while (p + FRAME_HEADER <= data.length) {
      if (data.readUInt32BE(p) !== MAGIC) break;
      const len = data.readUInt32BE(p + 4);
      if (p + FRAME_HEADER + len > data.length) break;
      const payload = data.subarray(p + FRAME_HEADER, p + FRAME_HEADER + len);
      if (crc32(payload) !== data.readUInt32BE(p + 8)) break;
      let cs: Changeset;
      try {
        cs = decodePayload(this.#origin, payload);
      } catch {
        break;
      }
      // A chain that does not continue starts over (as the history does).
      if (changesets.length > 0 && changesets.at(-1)!.serialTo !== cs.serialFrom) {
        changesets.length = 0;
        this.#entries = [];
      }
      changesets.push(cs);
      this.#entries.push({ serialFrom: cs.serialFrom, serialTo: cs.serialTo, offset: p, length: FRAME_HEADER + len });
      p += FRAME_HEADER + len;
    }
    const torn = data.length - p;
    this.#bytes = p;
    if (torn > 0) truncateSync(this.path, p);
    return { changesets, tornBytes: torn };
  }

  /** Appends one changeset (fsynced); over a bound, the oldest are dropped. False when it alone is over the size bound (the journal is then emptied). */
  append(cs: Changeset): boolean {
    const frame = frameOf(encodePayload(cs));
    if (frame.length > this.#limits.maxBytes) {
      this.reset();
      return false;
    }
    const last = this.#entries.at(-1);
    if (last && last.serialTo !== cs.serialFrom) this.reset();
    this.#entries.push({ serialFrom: cs.serialFrom, serialTo: cs.serialTo, offset: this.#bytes, length: frame.length });
    if (this.#entries.length > this.#limits.maxDepth || this.#bytes + frame.length > this.#limits.maxBytes) {
      let bytes = this.#bytes + frame.length;
      while (this.#entries.length > this.#limits.maxDepth || bytes > this.#limits.maxBytes) bytes -= this.#entries.shift()!.length;
      this.#rewrite(frame);
      return true;
    }
    mkdirSync(join(this.path, '..'), { recursive: true });
    const fd = openSync(this.path, 'a');
    try {
      writeSync(fd, frame);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    this.#bytes += frame.length;
    return true;
  }

  /** Empties the journal (its history no longer leads to the served version). */
  reset(): void {
    this.#entries = [];
    this.#bytes = 0;
    rmSync(this.path, { force: true });
  }

  /** Writes the kept frames (read back from the file; the last one is `last`, not yet written) to a new file that replaces the old. */
  #rewrite(last: Uint8Array): void {
    mkdirSync(join(this.path, '..'), { recursive: true });
    const old = this.#entries.length > 1 ? readFileSync(this.path) : Buffer.alloc(0);
    const tmp = `${this.path}.tmp`;
    const fd = openSync(tmp, 'w');
    let bytes = 0;
    try {
      for (const e of this.#entries) {
        const frame = e === this.#entries.at(-1) ? last : old.subarray(e.offset, e.offset + e.length);
        writeSync(fd, frame);
        e.offset = bytes;
        bytes += e.length;
      }
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.path);
    this.#bytes = bytes;
  }

  get depth(): number {
    return this.#entries.length;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** The size of the file on disk (tests). */
  fileSize(): number {
    try {
      return statSync(this.path).size;
    } catch {
      return 0;
    }
  }
}

// Owns the output buffer of a message: bounded growth, name compression table (RFC 1035 §4.1.4), rollback marks.
import { lowerByte } from './bytes.ts';
import { WireError } from './errors.ts';
import type { Name } from './name.ts';

/**
 * Appends to a buffer that grows up to `limit` octets. Names written with `compress` use and feed
 * a table of suffix -> offset; `mark()`/`rollback()` undo writes (and table entries) so the
 * responder can drop a whole RRset that does not fit (RFC 2181 §9).
 */
export class Writer {
  buf: Uint8Array;
  pos = 0;
  limit: number;
  // Compression targets, in increasing offset order (so rollback pops from the end): where a suffix
  // was written literally, and its uncompressed length (a cheap first filter). No strings, no Map:
  // candidates are compared byte by byte, case-folded, following our own pointers (RFC 1035 §4.1.4).
  #sufAt: number[] = [];
  #sufLen: number[] = [];

  constructor(limit = 65535, initial = 512) {
    this.limit = limit;
    this.buf = new Uint8Array(Math.min(initial, limit));
  }

  #ensure(n: number): void {
    const need = this.pos + n;
    if (need > this.limit) throw new WireError('DUNLIN_ERR_WIRE_OVERFLOW', `message would exceed ${this.limit} octets`, this.pos);
    if (need > this.buf.length) {
      const next = new Uint8Array(Math.min(this.limit, Math.max(need, this.buf.length * 2)));
      next.set(this.buf.subarray(0, this.pos));
      this.buf = next;
    }
  }

  u8(v: number): void {
    this.#ensure(1);
    this.buf[this.pos++] = v;
  }

  u16(v: number): void {
    this.#ensure(2);
    this.buf[this.pos++] = v >>> 8;
    this.buf[this.pos++] = v & 0xff;
  }

  u32(v: number): void {
    this.#ensure(4);
    this.buf[this.pos++] = v >>> 24;
    this.buf[this.pos++] = (v >>> 16) & 0xff;
    this.buf[this.pos++] = (v >>> 8) & 0xff;
    this.buf[this.pos++] = v & 0xff;
  }

  bytes(b: Uint8Array): void {
    this.#ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** Overwrites a 16-bit value at an earlier offset (e.g. RDLENGTH, counts). */
  setU16(at: number, v: number): void {
    this.buf[at] = v >>> 8;
    this.buf[at + 1] = v & 0xff;
  }

  /**
   * Writes a name. With `compress`, the longest suffix already written becomes a pointer; either
   * way, suffixes written here at offsets < 0x4000 are remembered for later names.
   */
  name(name: Name, compress: boolean): void {
    this.nameWire(name.wire, compress);
  }

  /** Like name(), from an uncompressed wire-form name (validated by the caller). */
  nameWire(w: Uint8Array, compress: boolean): void {
    const total = w.length;
    let i = 0; // offset in w of the current suffix
    while (w[i] !== 0) {
      if (compress) {
        const at = this.#find(w, i, total - i);
        if (at >= 0) {
          this.u16(0xc000 | at);
          return;
        }
      }
      if (this.pos + (total - i) > this.limit) {
        throw new WireError('DUNLIN_ERR_WIRE_OVERFLOW', `message would exceed ${this.limit} octets`, this.pos);
      }
      // The first occurrence of a suffix stays the target (a later equal one is never looked up).
      if (this.pos < 0x4000 && (compress || this.#find(w, i, total - i) < 0)) {
        this.#sufAt.push(this.pos);
        this.#sufLen.push(total - i);
      }
      // Label copied octet by octet: a subarray per label would be an allocation per label.
      const end = i + w[i]! + 1;
      this.#ensure(end - i);
      const buf = this.buf;
      let p = this.pos;
      while (i < end) buf[p++] = w[i++]!;
      this.pos = p;
    }
    this.u8(0);
  }

  /** Offset of an earlier suffix equal (case-insensitively) to w[i..], or -1. */
  #find(w: Uint8Array, i: number, len: number): number {
    const at = this.#sufAt;
    const lens = this.#sufLen;
    for (let e = 0; e < at.length; e++) {
      if (lens[e] === len && sameName(w, i, this.buf, at[e]!)) return at[e]!;
    }
    return -1;
  }

  /** Empties the writer for reuse (keeps its buffer): one writer can serve many messages. */
  reset(limit = this.limit): void {
    this.pos = 0;
    this.limit = limit;
    this.#sufAt.length = 0;
    this.#sufLen.length = 0;
  }

  /** A position to roll back to. */
  mark(): number {
    return this.pos;
  }

  /** Discards everything written since `mark`, including compression entries pointing there. */
  rollback(mark: number): void {
    this.pos = mark;
    const at = this.#sufAt;
    while (at.length > 0 && at[at.length - 1]! >= mark) {
      at.pop();
      this.#sufLen.pop();
    }
  }

  /** The bytes written so far (a view). */
  view(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }

  /** A copy of the bytes written so far. */
  toBytes(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}

/**
 * True when the name at w[i..] equals the name written at buf[b..] (labels compared
 * case-insensitively, RFC 4343). buf's side may end in pointers; ours always point backwards.
 */
function sameName(w: Uint8Array, i: number, buf: Uint8Array, b: number): boolean {
  for (;;) {
    let lb = buf[b]!;
    while ((lb & 0xc0) === 0xc0) {
      b = ((lb & 0x3f) << 8) | buf[b + 1]!;
      lb = buf[b]!;
    }
    const la = w[i]!;
    if (la !== lb) return false;
    if (la === 0) return true;
    for (let k = 1; k <= la; k++) if (lowerByte(w[i + k]!) !== lowerByte(buf[b + k]!)) return false;
    i += la + 1;
    b += lb + 1;
  }
}

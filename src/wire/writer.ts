// Owns the output buffer of a message: bounded growth, name compression table (RFC 1035 §4.1.4), rollback marks.
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
  readonly limit: number;
  // suffix key (lower-cased wire, latin1) -> offset; offsets kept in insertion order for rollback
  readonly #table = new Map<string, number>();
  readonly #order: string[] = [];

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
    const w = name.wire;
    const keys = name.suffixKeys();
    let i = 0; // offset in w of the current suffix
    for (let k = 0; k < keys.length; k++) {
      const suffixKey = keys[k]!;
      if (compress) {
        const at = this.#table.get(suffixKey);
        if (at !== undefined) {
          this.u16(0xc000 | at);
          return;
        }
      }
      if (this.pos + (w.length - i) > this.limit) {
        throw new WireError('DUNLIN_ERR_WIRE_OVERFLOW', `message would exceed ${this.limit} octets`, this.pos);
      }
      if (this.pos < 0x4000 && !this.#table.has(suffixKey)) {
        this.#table.set(suffixKey, this.pos);
        this.#order.push(suffixKey);
      }
      const len = w[i]!;
      this.bytes(w.subarray(i, i + len + 1));
      i += len + 1;
    }
    this.u8(0);
  }

  /** Empties the writer for reuse (keeps its buffer): one writer can serve many messages. */
  reset(): void {
    this.pos = 0;
    this.#table.clear();
    this.#order.length = 0;
  }

  /** A position to roll back to. */
  mark(): number {
    return this.pos;
  }

  /** Discards everything written since `mark`, including compression entries pointing there. */
  rollback(mark: number): void {
    this.pos = mark;
    while (this.#order.length > 0) {
      const k = this.#order[this.#order.length - 1]!;
      const at = this.#table.get(k)!;
      if (at < mark) break;
      this.#table.delete(k);
      this.#order.pop();
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

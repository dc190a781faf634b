// Owns RFC 7766 §8 / RFC 1035 §4.2.2 TCP framing: 2-byte length prefix, frames split at any byte or packed many per chunk.

/** The largest DNS message a 2-byte length prefix can describe. */
export const MAX_FRAME = 65535;

/**
 * Called for each complete frame, with the `self` given to push()/resume() as `this` (one shared
 * function serves every connection); return false to stop decoding (the rest of the chunk is held, see resume()).
 */
export type FrameHandler<T = void> = (this: T, frame: Buffer) => boolean;

/**
 * Incremental decoder. Complete frames inside one chunk are handed out as views of that chunk (no copy);
 * a frame split across chunks is assembled into one buffer allocated once at its announced length, so a
 * peer trickling a 64 KiB frame one byte at a time costs O(n), never O(n²). Pending input is bounded by
 * one frame (≤ 65535 bytes) plus one length byte.
 */
export class FrameDecoder {
  #hi = -1; // first byte of a split length prefix, or -1
  #frame: Buffer | null = null; // frame being assembled across chunks
  #filled = 0;
  #held: Buffer | null = null; // bytes not decoded because the handler asked to stop

  /** True when undecoded bytes are held (the handler returned false). */
  get held(): boolean {
    return this.#held !== null;
  }

  /** True when a frame has started (at least one byte of it, length prefix included) but is not complete. */
  get partial(): boolean {
    return this.#hi >= 0 || this.#frame !== null;
  }

  /** True when only part of the length prefix has arrived. */
  get inLength(): boolean {
    return this.#hi >= 0;
  }

  /** Bytes held for the frame in progress. */
  get pendingBytes(): number {
    return (this.#hi >= 0 ? 1 : 0) + this.#filled + (this.#held?.length ?? 0);
  }

  /** Drops any frame in progress and any held bytes. */
  reset(): void {
    this.#hi = -1;
    this.#frame = null;
    this.#filled = 0;
    this.#held = null;
  }

  /**
   * Holds `chunk` undecoded after whatever is held already (the caller stopped reading and will
   * resume()). Bounded by what arrives between pause() and its effect: at most a few chunks.
   */
  defer(chunk: Buffer): void {
    this.#held = this.#held === null ? chunk : Buffer.concat([this.#held, chunk]);
  }

  /** Decodes the bytes held since a handler returned false; returns how many frames were handed out. */
  resume<T>(onFrame: FrameHandler<T>, self: T): number;
  resume(onFrame: FrameHandler): number;
  resume<T>(onFrame: FrameHandler<T>, self?: T): number {
    const held = this.#held;
    if (held === null) return 0;
    this.#held = null;
    return this.push(held, onFrame, self as T);
  }

  /**
   * Decodes `chunk`; returns how many frames were handed to `onFrame`. When `onFrame` returns false,
   * decoding stops and the rest of the chunk is held (bounded by one chunk) until resume() or reset().
   */
  push<T>(chunk: Buffer, onFrame: FrameHandler<T>, self: T): number;
  push(chunk: Buffer, onFrame: FrameHandler): number;
  push<T>(chunk: Buffer, onFrame: FrameHandler<T>, self?: T): number {
    if (this.#held !== null) throw new Error('FrameDecoder.push while bytes are held: resume() first');
    const n = chunk.length;
    let off = 0;
    let count = 0;
    while (off < n) {
      const frame = this.#frame;
      if (frame !== null) {
        const take = Math.min(frame.length - this.#filled, n - off);
        chunk.copy(frame, this.#filled, off, off + take);
        this.#filled += take;
        off += take;
        if (this.#filled < frame.length) break;
        this.#frame = null;
        this.#filled = 0;
        count++;
        if (!onFrame.call(self as T, frame)) return this.#hold(chunk, off, count);
        continue;
      }
      let len: number;
      if (this.#hi >= 0) {
        len = (this.#hi << 8) | chunk[off]!;
        this.#hi = -1;
        off += 1;
      } else if (n - off >= 2) {
        len = chunk.readUInt16BE(off);
        off += 2;
      } else {
        this.#hi = chunk[off]!;
        off += 1;
        break;
      }
      if (n - off >= len) {
        const view = chunk.subarray(off, off + len);
        off += len;
        count++;
        if (!onFrame.call(self as T, view)) return this.#hold(chunk, off, count);
        continue;
      }
      const assembled = Buffer.allocUnsafe(len);
      chunk.copy(assembled, 0, off, n);
      this.#frame = assembled;
      this.#filled = n - off;
      off = n;
    }
    return count;
  }

  #hold(chunk: Buffer, off: number, count: number): number {
    if (off < chunk.length) this.#held = chunk.subarray(off);
    return count;
  }
}

/** Appends length-prefixed responses into one growing buffer so that one chunk's answers leave in one write. */
export class FrameBatch {
  #buf: Buffer | null = null;
  #len = 0;
  #count = 0;

  get byteLength(): number {
    return this.#len;
  }

  get count(): number {
    return this.#count;
  }

  /** Copies `msg` (≤ 65535 bytes) with its length prefix; the responder may reuse `msg` afterwards. */
  append(msg: Uint8Array): void {
    const need = this.#len + 2 + msg.length;
    let buf = this.#buf;
    if (buf === null || buf.length < need) {
      const grown = Buffer.allocUnsafe(Math.max(need, buf === null ? 512 : buf.length * 2));
      if (buf !== null) buf.copy(grown, 0, 0, this.#len);
      buf = grown;
      this.#buf = grown;
    }
    buf[this.#len] = msg.length >>> 8;
    buf[this.#len + 1] = msg.length & 0xff;
    buf.set(msg, this.#len + 2);
    this.#len = need;
    this.#count++;
  }

  /** Hands out the batched bytes (or null when empty) and starts a new batch. */
  take(): Buffer | null {
    if (this.#len === 0) return null;
    const out = this.#buf!.subarray(0, this.#len);
    this.#buf = null;
    this.#len = 0;
    this.#count = 0;
    return out;
  }
}

// Owns the bounded read cursor over untrusted message bytes: every read is checked, names are decompressed safely.
import { WireError } from './errors.ts';
import { Name } from './name.ts';

const nameScratch = new Uint8Array(256);

/**
 * A cursor over `buf[0..end)`. Every read checks bounds and throws a WireError; it never indexes
 * past `end`. `msg` stays the whole message so compression pointers can be followed.
 */
export class Reader {
  readonly msg: Uint8Array;
  pos: number;
  end: number;

  constructor(msg: Uint8Array, pos = 0, end = msg.length) {
    this.msg = msg;
    this.pos = pos;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  #need(n: number): void {
    if (this.pos + n > this.end) {
      throw new WireError('DUNLIN_ERR_WIRE_TRUNCATED', `need ${n} octet(s) at offset ${this.pos}, have ${this.end - this.pos}`, this.pos);
    }
  }

  u8(): number {
    this.#need(1);
    return this.msg[this.pos++]!;
  }

  u16(): number {
    this.#need(2);
    const v = (this.msg[this.pos]! << 8) | this.msg[this.pos + 1]!;
    this.pos += 2;
    return v;
  }

  u32(): number {
    this.#need(4);
    const m = this.msg;
    const p = this.pos;
    const v = ((m[p]! << 24) >>> 0) + (m[p + 1]! << 16) + (m[p + 2]! << 8) + m[p + 3]!;
    this.pos += 4;
    return v;
  }

  /** A view (not a copy) of the next n octets. */
  bytes(n: number): Uint8Array {
    this.#need(n);
    const v = this.msg.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  /** A copy of the next n octets. */
  copy(n: number): Uint8Array {
    return Uint8Array.from(this.bytes(n));
  }

  /** A <character-string>: one length octet then that many octets (RFC 1035 §3.3). */
  charString(): Uint8Array {
    const n = this.u8();
    return this.bytes(n);
  }

  /**
   * A domain name, following compression pointers (RFC 1035 §4.1.4) only when `allowCompression`.
   * Pointers must point strictly backwards from the label that holds them, so decoding always
   * terminates; labels 0x40/0x80 are rejected; the result is at most 255 octets.
   */
  name(allowCompression = true): Name {
    const out = nameScratch; // copied out below, so one module-level buffer serves every call
    let outLen = 0;
    let p = this.pos;
    let end = this.end;
    let jumped = false;
    let lowest = p; // every pointer must go below the lowest position read so far
    // A name has at most 127 labels, so an honest encoder never needs more hops than that; without a
    // cap, a 64 KiB message of pointer-to-pointer chains costs quadratic time (RFC 9267 §2).
    let hops = 0;
    for (;;) {
      if (p >= end) throw new WireError('DUNLIN_ERR_WIRE_TRUNCATED', 'name runs past the end', p);
      const len = this.msg[p]!;
      if (len === 0) {
        if (outLen + 1 > 255) throw new WireError('DUNLIN_ERR_WIRE_NAME_TOO_LONG', 'name exceeds 255 octets', p);
        out[outLen++] = 0;
        if (!jumped) this.pos = p + 1;
        break;
      }
      const kind = len & 0xc0;
      if (kind === 0xc0) {
        if (!allowCompression) throw new WireError('DUNLIN_ERR_WIRE_BAD_POINTER', 'compression pointer where none is allowed', p);
        if (p + 1 >= end) throw new WireError('DUNLIN_ERR_WIRE_TRUNCATED', 'pointer runs past the end', p);
        const target = ((len & 0x3f) << 8) | this.msg[p + 1]!;
        if (target >= lowest) throw new WireError('DUNLIN_ERR_WIRE_BAD_POINTER', `pointer at ${p} to ${target} is not backwards`, p);
        if (++hops > 127) throw new WireError('DUNLIN_ERR_WIRE_BAD_POINTER', `more than 127 compression pointers in one name`, p);
        if (!jumped) this.pos = p + 2;
        jumped = true;
        lowest = target;
        p = target;
        end = this.msg.length; // pointers may reach anywhere earlier in the message
        continue;
      }
      if (kind !== 0) throw new WireError('DUNLIN_ERR_WIRE_BAD_LABEL_TYPE', `unsupported label type 0x${len.toString(16)}`, p);
      if (p + 1 + len > end) throw new WireError('DUNLIN_ERR_WIRE_TRUNCATED', 'label runs past the end', p);
      if (outLen + len + 1 + 1 > 255) throw new WireError('DUNLIN_ERR_WIRE_NAME_TOO_LONG', 'name exceeds 255 octets', p);
      out.set(this.msg.subarray(p, p + 1 + len), outLen);
      outLen += len + 1;
      p += len + 1;
    }
    return Name.fromWire(out.slice(0, outLen));
  }
}

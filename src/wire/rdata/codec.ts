// Owns the contract every RDATA type implements: wire decode/encode and presentation parse/print.
import type { Name } from '../name.ts';
import type { Reader } from '../reader.ts';
import type { Writer } from '../writer.ts';

/** One presentation-format token as the zone lexer produced it: raw text, escapes NOT yet processed. */
export interface TextToken {
  readonly text: string;
  /** True when the token was written in double quotes (quotes removed from `text`). */
  readonly quoted: boolean;
}

/**
 * RDATA is always held as its uncompressed wire form (names case-preserved). A codec converts
 * between that form, the message (with compression where RFC 3597 §4 allows) and text.
 */
export interface RdataCodec {
  readonly type: number;
  /** Reads `length` octets of RDATA at `r.pos`, following pointers only where allowed; returns a fresh uncompressed copy. Throws WireError. */
  decode(r: Reader, length: number): Uint8Array;
  /** Appends RDATA (not RDLENGTH) to `w`, compressing embedded names only for NS, CNAME, SOA, PTR and MX (RFC 3597 §4; the obsolete RFC 1035 mail types are not compressed). */
  encode(w: Writer, rdata: Uint8Array): void;
  /** Presentation form of the RDATA fields (no owner/TTL/class/type). */
  toText(rdata: Uint8Array): string;
  /** Parses the RDATA tokens; relative names are completed with `origin`. Throws TextError(message, tokenIndex). */
  fromText(tokens: readonly TextToken[], origin: Name): Uint8Array;
}

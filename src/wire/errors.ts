// Owns the typed errors of the wire codec; the responder maps every WireError to FORMERR in one place.

export type WireErrorCode =
  | 'DUNLIN_ERR_WIRE_TRUNCATED' // read past the end of the message or of an RDATA
  | 'DUNLIN_ERR_WIRE_BAD_POINTER' // compression pointer forward, looping or out of bounds
  | 'DUNLIN_ERR_WIRE_NAME_TOO_LONG' // name over 255 octets (RFC 1035 §2.3.4)
  | 'DUNLIN_ERR_WIRE_LABEL_TOO_LONG' // label over 63 octets (RFC 1035 §2.3.4)
  | 'DUNLIN_ERR_WIRE_BAD_LABEL_TYPE' // 0x40/0x80 label types (RFC 6891 §5 retired them)
  | 'DUNLIN_ERR_WIRE_BAD_RDATA' // RDATA does not match its type's format
  | 'DUNLIN_ERR_WIRE_TRAILING' // bytes left after the last section or inside an RDATA
  | 'DUNLIN_ERR_WIRE_OVERFLOW' // writer would exceed its limit
  | 'DUNLIN_ERR_TEXT_SYNTAX'; // presentation format is not what the type expects

export class WireError extends Error {
  readonly code: WireErrorCode;
  readonly offset: number;
  constructor(code: WireErrorCode, message: string, offset = -1) {
    super(message);
    this.name = 'WireError';
    this.code = code;
    this.offset = offset;
  }
}

/** Error in presentation (text) form; `index` is the token index where it occurred, if known. */
export class TextError extends Error {
  readonly code = 'DUNLIN_ERR_TEXT_SYNTAX';
  readonly tokenIndex: number;
  constructor(message: string, tokenIndex = -1) {
    super(message);
    this.name = 'TextError';
    this.tokenIndex = tokenIndex;
  }
}

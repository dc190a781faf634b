// Owns TSIG (RFC 8945): keys, signing requests and answers (single and multi-message), verifying them, and the §5.3 error answers.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { readU16, readU32 } from '../wire/bytes.ts';
import { Rcode, RRClass, RRType } from '../wire/constants.ts';
import type { Message, MessageSpans, Span } from '../wire/message.ts';
import { Name } from '../wire/name.ts';
import { Reader } from '../wire/reader.ts';
import { Writer } from '../wire/writer.ts';

type Hmac = ReturnType<typeof createHmac>;

/** TSIG error codes (RFC 8945 §3, the extended RCODE space of the TSIG RR's Error field). */
export const TsigError = { NOERROR: 0, BADSIG: 16, BADKEY: 17, BADTIME: 18, BADTRUNC: 22 } as const;

export const TSIG_ALGORITHM_IDS = ['hmac-md5', 'hmac-sha1', 'hmac-sha224', 'hmac-sha256', 'hmac-sha384', 'hmac-sha512'] as const;
export type TsigAlgorithmId = (typeof TSIG_ALGORITHM_IDS)[number];

interface Algorithm {
  readonly id: TsigAlgorithmId;
  /** The algorithm's name on the wire (RFC 8945 §6). */
  readonly name: Name;
  readonly hash: string;
  /** HMAC output length in octets. */
  readonly size: number;
}

const ALGORITHMS: readonly Algorithm[] = [
  { id: 'hmac-md5', name: Name.fromText('hmac-md5.sig-alg.reg.int.'), hash: 'md5', size: 16 },
  { id: 'hmac-sha1', name: Name.fromText('hmac-sha1.'), hash: 'sha1', size: 20 },
  { id: 'hmac-sha224', name: Name.fromText('hmac-sha224.'), hash: 'sha224', size: 28 },
  { id: 'hmac-sha256', name: Name.fromText('hmac-sha256.'), hash: 'sha256', size: 32 },
  { id: 'hmac-sha384', name: Name.fromText('hmac-sha384.'), hash: 'sha384', size: 48 },
  { id: 'hmac-sha512', name: Name.fromText('hmac-sha512.'), hash: 'sha512', size: 64 },
];

/** The fudge we put in what we sign, and the default clock skew we accept (RFC 8945 §10: 300 s recommended). */
export const DEFAULT_FUDGE = 300;

/** What a key is in the configuration: a name, an algorithm id, the secret in base64. */
export interface TsigKeySpec {
  readonly name: string;
  readonly algorithm: TsigAlgorithmId;
  readonly secret: string;
}

export interface TsigKey {
  /** Lower-cased, absolute: names compare case-insensitively and are hashed in canonical form (RFC 8945 §4.3.3). */
  readonly name: Name;
  /** The configuration's name of the key (`xfr-key`), for ACLs and logs. */
  readonly configName: string;
  readonly algorithm: Name;
  readonly algorithmId: TsigAlgorithmId;
  readonly secret: Uint8Array;
}

function algorithmById(id: string): Algorithm {
  const a = ALGORITHMS.find((x) => x.id === id);
  if (a === undefined) throw new Error(`unknown TSIG algorithm ${id}`);
  return a;
}

function algorithmByName(name: Name): Algorithm | undefined {
  // hmac-md5 is also seen as plain "hmac-md5." (some old tools); the registry name is the one we send.
  return ALGORITHMS.find((a) => a.name.equals(name)) ?? (name.equals(HMAC_MD5_SHORT) ? ALGORITHMS[0] : undefined);
}
const HMAC_MD5_SHORT = Name.fromText('hmac-md5.');

/** Builds a key from its configuration. */
export function tsigKey(spec: TsigKeySpec): TsigKey {
  const a = algorithmById(spec.algorithm);
  const name = Name.fromText(spec.name.endsWith('.') ? spec.name : spec.name + '.').toLowerCase();
  return { name, configName: spec.name, algorithm: a.name, algorithmId: a.id, secret: new Uint8Array(Buffer.from(spec.secret, 'base64')) };
}

/** The keys of the configuration, found by their wire name (case-insensitive) or their configuration name. */
export class Keyring {
  readonly #byKey = new Map<string, TsigKey>();
  readonly #byConfig = new Map<string, TsigKey>();

  constructor(keys: readonly TsigKeySpec[]) {
    for (const spec of keys) {
      const k = tsigKey(spec);
      this.#byKey.set(k.name.key, k);
      this.#byConfig.set(spec.name, k);
    }
  }

  get(name: Name): TsigKey | undefined {
    return this.#byKey.get(name.key);
  }

  byConfigName(name: string): TsigKey | undefined {
    return this.#byConfig.get(name);
  }

  get size(): number {
    return this.#byKey.size;
  }
}

/** Octets a TSIG RR signed with `key` can take (owner, fixed fields, MAC, 6 octets of other data for BADTIME). */
export function tsigSpace(key: TsigKey): number {
  return key.name.wire.length + 10 + key.algorithm.wire.length + 10 + algorithmById(key.algorithmId).size + 6 + 6;
}

/** The fields of a received TSIG RR (RFC 8945 §4.2). */
interface TsigRecord {
  readonly keyName: Name;
  readonly algorithm: Name;
  readonly timeSigned: number;
  readonly fudge: number;
  readonly mac: Uint8Array;
  readonly originalId: number;
  readonly error: number;
  readonly other: Uint8Array;
  /** The TSIG RR's place in the message. */
  readonly span: Span;
}

/** Reads a 48-bit unsigned integer (seconds since the epoch fit well inside 2^53). */
function readU48(b: Uint8Array, at: number): number {
  return readU16(b, at) * 0x100000000 + readU32(b, at + 2);
}

function writeU48(w: Writer, v: number): void {
  w.u16(Math.floor(v / 0x100000000) & 0xffff);
  w.u32(v >>> 0);
}

/**
 * The message's TSIG RR, or null when unsigned; 'formerr' when a TSIG RR is anywhere but last in
 * the additional section, the class is not ANY or the TTL not 0, or its RDATA does not parse
 * (RFC 8945 §5.1: a misplaced TSIG is FORMERR).
 */
function findTsig(message: Message, spans: MessageSpans): TsigRecord | null | 'formerr' {
  for (const rr of message.answers) if (rr.type === RRType.TSIG) return 'formerr';
  for (const rr of message.authority) if (rr.type === RRType.TSIG) return 'formerr';
  const add = message.additional;
  for (let i = 0; i < add.length - 1; i++) if (add[i]!.type === RRType.TSIG) return 'formerr';
  const last = add.at(-1);
  if (last === undefined || last.type !== RRType.TSIG) return null;
  const span = spans.additional[add.length - 1]!;
  // The OPT record, if any, must come before the TSIG (RFC 8945 §5.1 "last record").
  if (spans.opt !== null && spans.opt.start > span.start) return 'formerr';
  if (last.class !== RRClass.ANY || last.ttl !== 0) return 'formerr';
  try {
    const rd = last.rdata;
    const r = new Reader(rd);
    // Names inside TSIG RDATA are never compressed (RFC 8945 §4.2).
    const algorithm = r.name(false);
    let p = r.pos;
    if (p + 10 > rd.length) return 'formerr';
    const timeSigned = readU48(rd, p);
    const fudge = readU16(rd, p + 6);
    const macSize = readU16(rd, p + 8);
    p += 10;
    if (p + macSize + 6 > rd.length) return 'formerr';
    const mac = rd.slice(p, p + macSize);
    p += macSize;
    const originalId = readU16(rd, p);
    const error = readU16(rd, p + 2);
    const otherLen = readU16(rd, p + 4);
    p += 6;
    if (p + otherLen !== rd.length) return 'formerr';
    return { keyName: last.name.toLowerCase(), algorithm: algorithm.toLowerCase(), timeSigned, fudge, mac, originalId, error, other: rd.slice(p), span };
  } catch {
    return 'formerr';
  }
}

/** The message as it was before its TSIG RR was added: bytes before the RR, original ID, ARCOUNT - 1 (RFC 8945 §4.3.2). */
function unsignedPart(bytes: Uint8Array, t: TsigRecord): Uint8Array {
  const m = bytes.slice(0, t.span.start);
  m[0] = t.originalId >>> 8;
  m[1] = t.originalId & 0xff;
  const ar = readU16(m, 10) - 1;
  m[10] = ar >>> 8;
  m[11] = ar & 0xff;
  return m;
}

/** The TSIG variables of RFC 8945 §4.3.3 (full) or only the timers (§4.3.1, later messages of a multi-message answer). */
function variables(keyName: Name, algorithm: Name, timeSigned: number, fudge: number, error: number, other: Uint8Array, timersOnly: boolean): Uint8Array {
  const w = new Writer(65535, 64 + other.length);
  if (!timersOnly) {
    w.nameWire(keyName.toLowerCase().wire, false);
    w.u16(RRClass.ANY);
    w.u32(0);
    w.nameWire(algorithm.toLowerCase().wire, false);
  }
  writeU48(w, timeSigned);
  w.u16(fudge);
  if (!timersOnly) {
    w.u16(error);
    w.u16(other.length);
    w.bytes(other);
  }
  return w.buf.slice(0, w.pos);
}

function macPrefix(h: Hmac, mac: Uint8Array | null): void {
  if (mac === null) return;
  const len = new Uint8Array([mac.length >>> 8, mac.length & 0xff]);
  h.update(len);
  h.update(mac);
}

/** Appends a TSIG RR to `message` (which has no TSIG yet): ARCOUNT + 1, a new buffer. */
function appendTsig(message: Uint8Array, keyName: Name, algorithm: Name, timeSigned: number, fudge: number, mac: Uint8Array, originalId: number, error: number, other: Uint8Array): Uint8Array {
  const w = new Writer(65535 + 1024, message.length + 64 + mac.length + other.length);
  w.bytes(message);
  w.nameWire(keyName.wire, false);
  w.u16(RRType.TSIG);
  w.u16(RRClass.ANY);
  w.u32(0);
  const rdlenAt = w.pos;
  w.u16(0);
  const rdStart = w.pos;
  w.nameWire(algorithm.wire, false);
  writeU48(w, timeSigned);
  w.u16(fudge);
  w.u16(mac.length);
  w.bytes(mac);
  w.u16(originalId);
  w.u16(error);
  w.u16(other.length);
  w.bytes(other);
  w.setU16(rdlenAt, w.pos - rdStart);
  const out = w.buf.slice(0, w.pos);
  const ar = readU16(out, 10) + 1;
  out[10] = ar >>> 8;
  out[11] = ar & 0xff;
  return out;
}

function hmacOf(key: TsigKey): Hmac {
  return createHmac(algorithmById(key.algorithmId).hash, key.secret);
}

/**
 * Signs the messages of one answer (or one request) in order. The first message's MAC covers the
 * request MAC (when answering) and all TSIG variables; each later message's MAC covers the
 * previous MAC, the message and the timers only (RFC 8945 §4.3.1, §5.3.1).
 */
export class TsigSigner {
  readonly key: TsigKey;
  #prior: Uint8Array | null;
  #first = true;
  readonly #now: () => number;
  readonly #fudge: number;
  readonly #error: number;
  readonly #other: Uint8Array;
  readonly #timeSigned: number | null;

  /**
   * `requestMac`: the MAC of the request being answered (null when signing a request). `now`: the
   * clock in seconds. `error`/`other`/`timeSigned`: set for a BADTIME answer (§5.2.3).
   */
  constructor(key: TsigKey, requestMac: Uint8Array | null, now: () => number, opts: { fudge?: number; error?: number; other?: Uint8Array; timeSigned?: number } = {}) {
    this.key = key;
    this.#prior = requestMac;
    this.#now = now;
    this.#fudge = opts.fudge ?? DEFAULT_FUDGE;
    this.#error = opts.error ?? 0;
    this.#other = opts.other ?? new Uint8Array(0);
    this.#timeSigned = opts.timeSigned ?? null;
  }

  /** The MAC of the last message signed (a client keeps it to verify the answer). */
  get lastMac(): Uint8Array | null {
    return this.#prior;
  }

  /** `message` with a TSIG RR appended (a new buffer); its ID is the original ID. */
  sign(message: Uint8Array): Uint8Array {
    const timeSigned = this.#timeSigned ?? Math.floor(this.#now());
    const h = hmacOf(this.key);
    macPrefix(h, this.#prior);
    h.update(message);
    h.update(variables(this.key.name, this.key.algorithm, timeSigned, this.#fudge, this.#error, this.#other, !this.#first));
    const mac = new Uint8Array(h.digest());
    this.#first = false;
    this.#prior = mac;
    return appendTsig(message, this.key.name, this.key.algorithm, timeSigned, this.#fudge, mac, readU16(message, 0), this.#error, this.#other);
  }
}

/** Constant-time comparison of the leftmost `got.length` octets of `expected` (truncated MACs, RFC 8945 §5.2.2.1). */
function macMatches(expected: Uint8Array, got: Uint8Array): boolean {
  if (got.length === 0 || got.length > expected.length) return false;
  return timingSafeEqual(expected.subarray(0, got.length), got);
}

/** RFC 8945 §5.2.2.1: a MAC longer than the hash, or shorter than max(10, half the hash), is FORMERR. */
function macSizeValid(size: number, hashSize: number): boolean {
  return size <= hashSize && size >= Math.max(10, hashSize / 2);
}

export type TsigVerdict =
  | { readonly kind: 'unsigned' }
  | { readonly kind: 'ok'; readonly key: TsigKey; readonly signer: TsigSigner }
  /** `answer`: the complete response to send; `tsigError` 0 with rcode FORMERR for a malformed TSIG. */
  | { readonly kind: 'error'; readonly answer: Uint8Array; readonly rcode: number; readonly tsigError: number; readonly keyName: string };

/** The header and question of `bytes` answered with `rcode` (QR set, opcode and RD kept, AA clear), no records. */
function errorHeader(message: Message, rcode: number): Uint8Array {
  const w = new Writer(65535, 512);
  w.u16(message.id);
  // Opcode and RD copied (RFC 1035 §4.1.1); QR set; the rcode's low 4 bits.
  w.u16(0x8000 | (message.flags & 0x7900) | (rcode & 0xf));
  w.u16(message.questions.length > 0 ? 1 : 0);
  w.u16(0);
  w.u16(0);
  w.u16(0);
  const q = message.questions[0];
  if (q !== undefined) {
    w.name(q.name, false);
    w.u16(q.type);
    w.u16(q.class);
  }
  return w.buf.slice(0, w.pos);
}

/**
 * Checks a request's TSIG (RFC 8945 §5.2): unknown key or algorithm -> BADKEY, wrong MAC ->
 * BADSIG (both answered unsigned, §5.3.2), clock skew beyond fudge -> BADTIME (answered signed,
 * with our time in Other Data, §5.2.3), malformed -> FORMERR. `nowSeconds` is the server's clock.
 */
export function verifyRequest(bytes: Uint8Array, message: Message, spans: MessageSpans, keyring: Keyring, nowSeconds: number): TsigVerdict {
  const t = findTsig(message, spans);
  if (t === null) return { kind: 'unsigned' };
  const now = Math.floor(nowSeconds);
  if (t === 'formerr') return { kind: 'error', answer: errorHeader(message, Rcode.FORMERR), rcode: Rcode.FORMERR, tsigError: 0, keyName: '' };
  const keyText = t.keyName.toText();
  const unsignedError = (tsigError: number): TsigVerdict => {
    // §5.3.2: BADKEY and BADSIG answers carry a TSIG RR with an empty MAC, unsigned.
    const answer = appendTsig(errorHeader(message, Rcode.NOTAUTH), t.keyName, t.algorithm, now, DEFAULT_FUDGE, new Uint8Array(0), t.originalId, tsigError, new Uint8Array(0));
    return { kind: 'error', answer, rcode: Rcode.NOTAUTH, tsigError, keyName: keyText };
  };
  const key = keyring.get(t.keyName);
  const alg = algorithmByName(t.algorithm);
  if (key === undefined || alg === undefined || alg.id !== key.algorithmId) return unsignedError(TsigError.BADKEY);
  if (!macSizeValid(t.mac.length, alg.size)) return { kind: 'error', answer: errorHeader(message, Rcode.FORMERR), rcode: Rcode.FORMERR, tsigError: 0, keyName: keyText };
  const h = hmacOf(key);
  h.update(unsignedPart(bytes, t));
  h.update(variables(t.keyName, t.algorithm, t.timeSigned, t.fudge, t.error, t.other, false));
  if (!macMatches(new Uint8Array(h.digest()), t.mac)) return unsignedError(TsigError.BADSIG);
  if (Math.abs(now - t.timeSigned) > t.fudge) {
    // §5.2.3: signed with the request's MAC; Time Signed is the request's; Other Data is our time.
    const other = new Uint8Array(6);
    const ow = new Writer(6, 6);
    writeU48(ow, now);
    other.set(ow.buf.subarray(0, 6));
    const signer = new TsigSigner(key, t.mac, () => now, { error: TsigError.BADTIME, other, timeSigned: t.timeSigned, fudge: t.fudge });
    const answer = signer.sign(withId(errorHeader(message, Rcode.NOTAUTH), t.originalId));
    return { kind: 'error', answer: withId(answer, message.id), rcode: Rcode.NOTAUTH, tsigError: TsigError.BADTIME, keyName: keyText };
  }
  return { kind: 'ok', key, signer: new TsigSigner(key, t.mac, () => Date.now() / 1000) };
}

function withId(m: Uint8Array, id: number): Uint8Array {
  m[0] = id >>> 8;
  m[1] = id & 0xff;
  return m;
}

/** Signs a request (NOTIFY, SOA, IXFR, AXFR we send); the verifier checks the answer's messages in order. */
export function signRequest(message: Uint8Array, key: TsigKey, nowSeconds: number): { bytes: Uint8Array; verifier: TsigVerifier } {
  const signer = new TsigSigner(key, null, () => nowSeconds);
  const bytes = signer.sign(message);
  return { bytes, verifier: new TsigVerifier(key, signer.lastMac!, () => Date.now() / 1000) };
}

/** A verified answer message: signed and good, unsigned (allowed between signed ones), or what is wrong. */
export type TsigCheck = 'ok' | 'unsigned' | { readonly error: string };

/** Unsigned messages allowed in a row between signed ones of one answer (RFC 8945 §5.3.1). */
const MAX_UNSIGNED_RUN = 99;

/**
 * Verifies the messages of an answer to a request we signed, in order (RFC 8945 §5.3.1): the first
 * must be signed; later ones may skip signing up to 99 in a row, each signed one's MAC covering the
 * unsigned ones before it. The last message of a transfer must be signed: call `finish()`.
 */
export class TsigVerifier {
  readonly key: TsigKey;
  #prior: Uint8Array;
  #pending: Hmac | null = null;
  #unsignedRun = 0;
  #count = 0;
  #lastSigned = false;
  readonly #now: () => number;

  constructor(key: TsigKey, requestMac: Uint8Array, now: () => number) {
    this.key = key;
    this.#prior = requestMac;
    this.#now = now;
  }

  /** 'ok' for a good signed message, 'unsigned' for an allowed unsigned one, else what is wrong. */
  verify(bytes: Uint8Array, message: Message, spans: MessageSpans): TsigCheck {
    const t = findTsig(message, spans);
    if (t === 'formerr') return { error: 'malformed TSIG record' };
    const first = this.#count === 0;
    this.#count++;
    if (this.#pending === null) {
      this.#pending = hmacOf(this.key);
      macPrefix(this.#pending, this.#prior);
    }
    if (t === null) {
      if (first) return { error: 'the answer is not signed' };
      if (++this.#unsignedRun > MAX_UNSIGNED_RUN) return { error: `more than ${MAX_UNSIGNED_RUN} unsigned messages in a row` };
      this.#pending.update(bytes);
      this.#lastSigned = false;
      return 'unsigned';
    }
    if (!t.keyName.equals(this.key.name)) return { error: `signed with another key (${t.keyName.toText()})` };
    const alg = algorithmByName(t.algorithm);
    if (alg === undefined || alg.id !== this.key.algorithmId) return { error: `signed with another algorithm (${t.algorithm.toText()})` };
    if (t.error !== 0) return { error: `TSIG error ${tsigErrorText(t.error)}` };
    if (!macSizeValid(t.mac.length, alg.size)) return { error: `MAC of ${t.mac.length} octets` };
    const h = this.#pending;
    this.#pending = null;
    h.update(unsignedPart(bytes, t));
    h.update(variables(t.keyName, t.algorithm, t.timeSigned, t.fudge, t.error, t.other, !first));
    if (!macMatches(new Uint8Array(h.digest()), t.mac)) return { error: 'bad MAC (BADSIG)' };
    if (Math.abs(Math.floor(this.#now()) - t.timeSigned) > t.fudge) return { error: 'time outside the fudge (BADTIME)' };
    this.#prior = t.mac;
    this.#unsignedRun = 0;
    this.#lastSigned = true;
    return 'ok';
  }

  /** Null when the answer ended on a signed message, else why it is not acceptable. */
  finish(): string | null {
    return this.#lastSigned ? null : 'the last message is not signed';
  }
}

export function tsigErrorText(e: number): string {
  switch (e) {
    case TsigError.BADSIG:
      return 'BADSIG';
    case TsigError.BADKEY:
      return 'BADKEY';
    case TsigError.BADTIME:
      return 'BADTIME';
    case TsigError.BADTRUNC:
      return 'BADTRUNC';
    default:
      return String(e);
  }
}

// Owns the secondary's side of the wire: SOA queries (UDP, TCP on TC) and IXFR/AXFR requests over TCP, read with a no-progress timeout and limits, each response message checked.
import dgram from 'node:dgram';
import net from 'node:net';
import { randomInt } from 'node:crypto';
import { Flag, Opcode, Rcode, RRClass, RRType } from '../wire/constants.ts';
import { decodeMessage, encodeMessage, newMessageSpans } from '../wire/message.ts';
import type { Message, MessageSpans } from '../wire/message.ts';
import type { Name } from '../wire/name.ts';
import { readU16, readU32 } from '../wire/bytes.ts';
import { skipName } from '../wire/query.ts';
import { Reader } from '../wire/reader.ts';
import type { ResourceRecord } from '../wire/record.ts';

/** Where a primary listens. */
export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

/**
 * Signs one request and checks every message of its answer (TSIG, RFC 8945); absent = unsigned.
 * `verify` returns 'ok', 'unsigned', or the text of the error.
 */
export interface RequestSigner {
  sign(request: Uint8Array): { bytes: Uint8Array; verify: (bytes: Uint8Array, message: Message, spans: MessageSpans) => string };
}

export interface ClientOptions {
  /** A request with no progress (no byte received) for this long fails. */
  readonly timeoutMs: number;
  /** A transfer with more records than this fails. */
  readonly maxRecords: number;
  readonly signer?: RequestSigner | null;
  readonly signal?: AbortSignal;
}

/** Raised for every failed exchange; the message says what went wrong, for logs and `zone status`. */
export class XfrError extends Error {
  /** The primary answered with this rcode (so a fallback to AXFR makes sense), or null. */
  readonly rcode: number | null;
  constructor(message: string, rcode: number | null = null) {
    super(message);
    this.name = 'XfrError';
    this.rcode = rcode;
  }
}

/** SERIAL of SOA RDATA: the five 32-bit fields end the RDATA (RFC 1035 §3.3.13). */
export function soaSerial(rdata: Uint8Array): number {
  return soaField(rdata, 0);
}

/** SOA timer field i (0 serial, 1 refresh, 2 retry, 3 expire, 4 minimum). */
export function soaField(rdata: Uint8Array, i: number): number {
  const at = rdata.length - 20 + 4 * i;
  if (at < 0) return 0;
  return ((rdata[at]! << 24) | (rdata[at + 1]! << 16) | (rdata[at + 2]! << 8) | rdata[at + 3]!) >>> 0;
}

function query(zone: Name, qtype: number, authority: ResourceRecord[] = []): { id: number; bytes: Uint8Array } {
  const id = randomInt(0, 0x10000);
  const bytes = encodeMessage({ id, flags: 0, opcode: Opcode.QUERY, rcode: 0, questions: [{ name: zone, type: qtype, class: RRClass.IN }], answers: [], authority, additional: [], edns: null });
  return { id, bytes };
}

/** Checks that `m` answers our question; returns the error text or null. */
function mismatch(m: Message, id: number, zone: Name, qtype: number, first: boolean): string | null {
  if (m.id !== id) return `answer id ${m.id} does not match the query id ${id}`;
  if ((m.flags & Flag.QR) === 0) return 'answer without the QR bit';
  if (m.opcode !== Opcode.QUERY) return `answer with opcode ${m.opcode}`;
  // RFC 5936 §2.2.1: the question may be left out after the first message.
  if (first || m.questions.length > 0) {
    const q = m.questions[0];
    if (m.questions.length !== 1 || !q || !q.name.equals(zone) || q.type !== qtype) return 'answer to another question';
  }
  return null;
}

function checkSigned(verify: ReturnType<RequestSigner['sign']>['verify'] | null, bytes: Uint8Array, m: Message, spans: MessageSpans): 'ok' | 'unsigned' {
  if (verify === null) return 'unsigned';
  const v = verify(bytes, m, spans);
  if (v !== 'ok' && v !== 'unsigned') throw new XfrError(`TSIG: ${v}`);
  return v;
}

/** One SOA query: UDP, then TCP when the answer is truncated (RFC 1035 §4.2.1). Returns the SOA record. */
export async function querySoa(zone: Name, to: Endpoint, opts: ClientOptions): Promise<ResourceRecord> {
  const q = query(zone, RRType.SOA);
  const signed = opts.signer ? opts.signer.sign(q.bytes) : null;
  const bytes = signed ? signed.bytes : q.bytes;
  let answer = await udpExchange(bytes, to, opts);
  let spans = newMessageSpans();
  let m = decodeOrThrow(answer, spans);
  if ((m.flags & Flag.TC) !== 0) {
    // A new request: TSIG's MAC chains to the request sent, so sign again.
    const again = opts.signer ? opts.signer.sign(q.bytes) : null;
    const verifyTcp = again ? again.verify : null;
    let got: Uint8Array | null = null;
    await tcpExchange(again ? again.bytes : q.bytes, to, opts, (msg) => {
      got = msg;
      return true;
    });
    if (got === null) throw new XfrError('TCP connection closed before the SOA answer');
    answer = got;
    spans = newMessageSpans();
    m = decodeOrThrow(answer, spans);
    checkSigned(verifyTcp, answer, m, spans);
  } else {
    const st = checkSigned(signed ? signed.verify : null, answer, m, spans);
    if (signed && st !== 'ok') throw new XfrError('TSIG: the SOA answer is not signed');
  }
  const bad = mismatch(m, q.id, zone, RRType.SOA, true);
  if (bad !== null) throw new XfrError(bad);
  if (m.rcode !== Rcode.NOERROR) throw new XfrError(`SOA query answered ${rcodeText(m.rcode)}`, m.rcode);
  if ((m.flags & Flag.AA) === 0) throw new XfrError('SOA answer is not authoritative (AA bit clear)');
  const soa = m.answers.find((r) => r.type === RRType.SOA && r.name.equals(zone));
  if (!soa) throw new XfrError('SOA answer without the SOA record');
  return soa;
}

function decodeOrThrow(bytes: Uint8Array, spans: MessageSpans): Message {
  try {
    return decodeMessage(bytes, spans);
  } catch (err) {
    throw new XfrError(`malformed answer: ${err instanceof Error ? err.message : String(err)}`);
  }
}

const RCODES: Record<number, string> = { 1: 'FORMERR', 2: 'SERVFAIL', 3: 'NXDOMAIN', 4: 'NOTIMP', 5: 'REFUSED', 9: 'NOTAUTH', 10: 'NOTZONE' };
export function rcodeText(rcode: number): string {
  return RCODES[rcode] ?? `rcode ${rcode}`;
}

function udpExchange(bytes: Uint8Array, to: Endpoint, opts: ClientOptions): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket(net.isIPv6(to.host) ? 'udp6' : 'udp4');
    let done = false;
    const finish = (err: Error | null, msg?: Uint8Array): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      sock.close();
      if (err) reject(err);
      else resolve(msg!);
    };
    const onAbort = (): void => finish(new XfrError('aborted'));
    const timer = setTimeout(() => finish(new XfrError(`no answer from ${to.host}:${to.port} over UDP within ${opts.timeoutMs} ms`)), opts.timeoutMs);
    opts.signal?.addEventListener('abort', onAbort);
    sock.on('error', (err) => finish(new XfrError(`UDP: ${err.message}`)));
    sock.on('message', (msg, rinfo) => {
      // Only the primary's address and port; anything else is ignored (spoofing, RFC 5452 §4.1).
      if (rinfo.port !== to.port || rinfo.address !== to.host) return;
      if (msg.length < 2 || msg.readUInt16BE(0) !== ((bytes[0]! << 8) | bytes[1]!)) return;
      finish(null, new Uint8Array(msg));
    });
    sock.connect(to.port, to.host, () => {
      if (done) return;
      sock.send(bytes, (err) => {
        if (err) finish(new XfrError(`UDP send: ${err.message}`));
      });
    });
  });
}

/**
 * Sends one request over a new TCP connection and passes each length-prefixed message to
 * `onMessage` until it returns true (the answer is complete). Fails when the peer closes first,
 * when no byte arrives for `timeoutMs`, or on abort. The connection is closed on every path.
 */
export function tcpExchange(bytes: Uint8Array, to: Endpoint, opts: ClientOptions, onMessage: (msg: Uint8Array) => boolean): Promise<{ bytes: number }> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: to.host, port: to.port });
    let done = false;
    let total = 0;
    let buf: Buffer = Buffer.alloc(0);
    const finish = (err: Error | null): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      sock.destroy();
      if (err) reject(err);
      else resolve({ bytes: total });
    };
    const onAbort = (): void => finish(new XfrError('aborted'));
    let timer = setTimeout(() => undefined, 0);
    const arm = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => finish(new XfrError(`no progress from ${to.host}:${to.port} for ${opts.timeoutMs} ms`)), opts.timeoutMs);
    };
    arm();
    opts.signal?.addEventListener('abort', onAbort);
    sock.on('error', (err) => finish(new XfrError(`TCP: ${err.message}`)));
    sock.on('close', () => finish(new XfrError(`${to.host}:${to.port} closed the connection before the end of the answer`)));
    sock.on('connect', () => {
      const framed = Buffer.alloc(bytes.length + 2);
      framed.writeUInt16BE(bytes.length, 0);
      framed.set(bytes, 2);
      sock.write(framed);
    });
    sock.on('data', (chunk: Buffer) => {
      if (done) return;
      arm();
      total += chunk.length;
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      while (!done && buf.length >= 2) {
        const len = buf.readUInt16BE(0);
        if (buf.length < 2 + len) break;
        // A copy: the message outlives this chunk (it is kept for the build).
        const msg = new Uint8Array(buf.subarray(2, 2 + len));
        buf = buf.subarray(2 + len);
        let complete: boolean;
        try {
          complete = onMessage(msg);
        } catch (err) {
          finish(err instanceof Error ? err : new XfrError(String(err)));
          return;
        }
        if (complete) finish(null);
      }
    });
  });
}

/** One transfer message as the main thread needs it: header, question, the apex SOAs among the answers, and the additional section decoded (for TSIG). */
interface Scanned {
  /** A Message with questions and additional records only (answers are not decoded: the loader thread does that). */
  readonly message: Message;
  readonly spans: MessageSpans;
  readonly answerCount: number;
  /** Answer index -> SOA serial, for the SOA records owned by the zone apex. */
  readonly soas: Map<number, number>;
}

/**
 * Walks a transfer message without building a record object per answer (a 1M-record AXFR would
 * otherwise cost the main thread seconds of decoding): bounds, classes and the apex SOAs are
 * checked here; the loader thread decodes the records when it builds the version.
 */
function scan(bytes: Uint8Array, zone: Name): Scanned {
  try {
    const r = new Reader(bytes);
    const id = r.u16();
    const flags = r.u16();
    const qd = r.u16();
    const an = r.u16();
    const ns = r.u16();
    const ar = r.u16();
    const questions: Message['questions'] = [];
    for (let i = 0; i < qd; i++) {
      const name = r.name(true);
      questions.push({ name, type: r.u16(), class: r.u16() });
    }
    const soas = new Map<number, number>();
    for (let i = 0; i < an + ns; i++) {
      const at = r.pos;
      const p = skipName(bytes, at);
      if (p < 0 || p + 10 > bytes.length) throw new XfrError('malformed answer: a record runs past the end of the message');
      const type = readU16(bytes, p);
      const cls = readU16(bytes, p + 2);
      const end = p + 10 + readU16(bytes, p + 8);
      if (end > bytes.length) throw new XfrError('malformed answer: RDLENGTH runs past the end of the message');
      if (type === RRType.TSIG || type === RRType.OPT) throw new XfrError(`malformed answer: ${type === RRType.TSIG ? 'TSIG' : 'OPT'} outside the additional section`);
      if (i < an) {
        if (cls !== RRClass.IN) throw new XfrError(`record of class ${cls} in the transfer`);
        if (type === RRType.SOA && end - p - 10 >= 22 && new Reader(bytes, at).name(true).equals(zone)) soas.set(i, readU32(bytes, end - 20));
      }
      r.pos = end;
    }
    const additional: Message['additional'] = [];
    const spans = newMessageSpans();
    for (let i = 0; i < ar; i++) {
      const at = r.pos;
      const name = r.name(true);
      const type = r.u16();
      const cls = r.u16();
      const ttl = r.u32();
      const len = r.u16();
      if (len > r.remaining) throw new XfrError('malformed answer: RDLENGTH runs past the end of the message');
      const rdata = r.copy(len);
      if (type === RRType.OPT) continue;
      additional.push({ name, type, class: cls, ttl, rdata });
      spans.additional.push({ start: at, end: r.pos });
    }
    if (r.remaining > 0) throw new XfrError('malformed answer: octets after the last record');
    const message: Message = { id, flags, opcode: (flags >>> 11) & 0xf, rcode: flags & 0xf, questions, answers: [], authority: [], additional, edns: null };
    return { message, spans, answerCount: an, soas };
  } catch (err) {
    if (err instanceof XfrError) throw err;
    throw new XfrError(`malformed answer: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** What a transfer brought: the messages as received (the loader thread decodes them again to build), or the news that we are current. */
export type TransferResult =
  | { readonly kind: 'current'; readonly serial: number }
  | { readonly kind: 'axfr' | 'ixfr'; readonly serial: number; readonly messages: Uint8Array[]; readonly records: number; readonly bytes: number; readonly changesets: number };

/**
 * An IXFR (RFC 1995; `current` is our SOA, sent in the authority section) or AXFR (RFC 5936)
 * over TCP. Recognises the three IXFR answer shapes: one SOA (we are current), the incremental
 * form (SOA new, then per change SOA old, removed, SOA new, added, and SOA new at the end), and
 * the AXFR form (SOA new, the zone, SOA new).
 */
export async function transfer(zone: Name, to: Endpoint, current: ResourceRecord | null, opts: ClientOptions): Promise<TransferResult> {
  const qtype = current ? RRType.IXFR : RRType.AXFR;
  const q = query(zone, qtype, current ? [current] : []);
  const signed = opts.signer ? opts.signer.sign(q.bytes) : null;
  const verify = signed ? signed.verify : null;
  const messages: Uint8Array[] = [];
  let records = 0;
  let newSerial: number | null = null;
  /** AXFR form: waiting for the closing SOA; ixfr: alternating delete/add sections. */
  let mode: 'start' | 'axfr' | 'ixfr-del' | 'ixfr-add' | 'done' = 'start';
  let changesets = 0;
  let lastSigned = false;
  let unsignedRun = 0;
  let result: TransferResult | null = null;
  const { bytes } = await tcpExchange(signed ? signed.bytes : q.bytes, to, opts, (msg) => {
    const { message: m, spans, answerCount, soas } = scan(msg, zone);
    const bad = mismatch(m, q.id, zone, qtype, messages.length === 0);
    if (bad !== null) throw new XfrError(bad);
    if (m.rcode !== Rcode.NOERROR) throw new XfrError(`${current ? 'IXFR' : 'AXFR'} answered ${rcodeText(m.rcode)}`, m.rcode);
    const st = checkSigned(verify, msg, m, spans);
    lastSigned = st === 'ok';
    // RFC 8945 §5.3.1: at most 99 unsigned messages between two signed ones.
    unsignedRun = lastSigned ? 0 : unsignedRun + 1;
    if (verify !== null && (messages.length === 0 ? !lastSigned : unsignedRun > 99)) throw new XfrError('TSIG: answer messages are not signed');
    if (answerCount === 0) throw new XfrError('a transfer message without records');
    messages.push(msg);
    records += answerCount;
    if (records > opts.maxRecords + 2 * changesets + 2) throw new XfrError(`transfer exceeds xfr.max_records (${opts.maxRecords})`);
    for (let i = 0; i < answerCount; i++) {
      if (mode === 'done') throw new XfrError('records after the closing SOA');
      const serial = soas.get(i);
      const isSoa = serial !== undefined;
      if (mode === 'start') {
        if (!isSoa) throw new XfrError('the transfer does not start with the SOA');
        newSerial = serial;
        // IXFR: one SOA alone in the first message means "you are current" (or "ask AXFR") (RFC 1995 §4).
        if (current && answerCount === 1 && messages.length === 1) {
          mode = 'done';
          result = { kind: 'current', serial };
          break;
        }
        mode = 'axfr';
        continue;
      }
      if (mode === 'axfr') {
        if (current && records - answerCount + i === 1) {
          // The second record: an SOA starts the incremental form (RFC 1995 §4).
          if (isSoa) {
            mode = 'ixfr-add';
            // falls through to the ixfr handling below as the first old SOA
          } else continue;
        } else {
          if (isSoa) {
            if (serial !== newSerial) throw new XfrError('the closing SOA differs from the first');
            mode = 'done';
          }
          continue;
        }
      }
      if (!isSoa) continue;
      if (mode === 'ixfr-add') {
        // In an add section (or right after the first SOA), an SOA either ends the transfer or opens the next change.
        if (serial === newSerial && changesets > 0) {
          mode = 'done';
          continue;
        }
        mode = 'ixfr-del';
        changesets++;
      } else {
        mode = 'ixfr-add';
      }
    }
    if (mode === 'done') {
      if (verify !== null && !lastSigned) throw new XfrError('TSIG: the last answer message is not signed');
      if (result === null) result = { kind: changesets > 0 ? 'ixfr' : 'axfr', serial: newSerial!, messages, records, bytes: 0, changesets };
      return true;
    }
    return false;
  });
  // Assigned in the callback (TypeScript cannot see it).
  const r = result as TransferResult | null;
  if (r === null) throw new XfrError('transfer ended without its closing SOA');
  return r.kind === 'current' ? r : { ...r, bytes };
}

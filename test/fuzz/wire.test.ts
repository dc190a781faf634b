// Fuzzes the message decoder, time-boxed: random and mutated bytes either decode or throw WireError; whatever decodes re-encodes to the same message and its RDATA text parses back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Name } from '../../src/wire/name.ts';
import { WireError } from '../../src/wire/errors.ts';
import { RRType, typeFromText } from '../../src/wire/constants.ts';
import { canonicalRdata, isKnownType, rdataFromText, rdataFromWire, rdataToText } from '../../src/wire/registry.ts';
import { Reader } from '../../src/wire/reader.ts';
import { decodeMessage, encodeMessage, type Message } from '../../src/wire/message.ts';
import type { ResourceRecord } from '../../src/wire/record.ts';
import { CASES } from '../wire/cases.ts';
import { hex, tokens } from '../wire/helpers.ts';

// FUZZ_SECONDS sets the total budget (default 12 s, split between the properties); FUZZ_SEED replays a run.
const TOTAL_MS = Number(process.env['FUZZ_SECONDS'] ?? '12') * 1000;
const SEED = process.env['FUZZ_SEED'] !== undefined ? Number(process.env['FUZZ_SEED']) : Date.now() % 0x7fffffff;
const origin = Name.fromText('example.com.');

function rr(owner: string, type: string, text: string): ResourceRecord {
  const t = typeFromText(type)!;
  return { name: Name.fromText(owner, origin), type: t, class: 1, ttl: 3600, rdata: rdataFromText(t, tokens(text), origin) };
}

/** Seed corpus: every type in one response, a query with EDNS options, a referral with glue. */
function corpus(): Uint8Array[] {
  const all: Message = {
    id: 1, flags: 0x8400, opcode: 0, rcode: 0, questions: [{ name: origin, type: 255, class: 1 }],
    answers: CASES.map((c, i) => rr(i % 2 ? `n${i}` : '@', c.type, c.text)), authority: [], additional: [],
    edns: { udpSize: 1232, extendedRcode: 0, version: 0, dnssecOk: true, flags: 0x8000, options: [{ code: 10, data: Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]) }] },
  };
  const query: Message = {
    id: 0xabcd, flags: 0x0120, opcode: 0, rcode: 0, questions: [{ name: Name.fromText('www.example.com.'), type: 1, class: 1 }],
    answers: [], authority: [], additional: [],
    edns: { udpSize: 4096, extendedRcode: 0, version: 0, dnssecOk: false, flags: 0, options: [{ code: 3, data: new Uint8Array(0) }, { code: 8, data: Uint8Array.from([0, 1, 24, 0, 192, 0, 2]) }] },
  };
  const referral: Message = {
    id: 7, flags: 0x8000, opcode: 0, rcode: 0, questions: [{ name: Name.fromText('a.b.sub.example.com.'), type: 28, class: 1 }],
    answers: [], authority: [rr('sub', 'NS', 'ns1.sub'), rr('sub', 'NS', 'ns2.other.net.'), rr('sub', 'DS', '1 8 2 ' + 'AB'.repeat(32))],
    additional: [rr('ns1.sub', 'A', '192.0.2.1'), rr('ns1.sub', 'AAAA', '2001:db8::1'), rr('@', 'SRV', '1 1 53 ns1.sub')], edns: null,
  };
  return [all, query, referral].map((m) => encodeMessage(m));
}

interface Norm { id: number; flags: number; rcode: number; q: string[]; rrs: string[]; edns: string }

/** A comparable view: names by key (compression may change case, RFC 4343), RDATA in canonical form. */
function norm(m: Message): Norm {
  const r = (x: ResourceRecord): string => `${x.name.key}|${x.type}|${x.class}|${x.ttl}|${hex(canonicalRdata(x.type, x.rdata))}`;
  return {
    id: m.id, flags: m.flags, rcode: m.rcode,
    q: m.questions.map((q) => `${q.name.key}|${q.type}|${q.class}`),
    rrs: [...m.answers.map(r), '--', ...m.authority.map(r), '--', ...m.additional.map(r)],
    edns: m.edns ? JSON.stringify({ ...m.edns, options: m.edns.options.map((o) => [o.code, hex(o.data)]) }) : '',
  };
}

let textChecked = 0;

/** The property: decode returns or throws WireError; what decodes survives encode/decode and text/parse. */
function check(bytes: Uint8Array): void {
  let m: Message;
  try {
    m = decodeMessage(bytes);
  } catch (e) {
    if (e instanceof WireError) return;
    throw e;
  }
  let enc: Uint8Array;
  try {
    enc = encodeMessage(m);
  } catch (e) {
    // Decompressed RDATA can outgrow 64 KiB; nothing else may fail.
    if (e instanceof WireError && e.code === 'DUNLIN_ERR_WIRE_OVERFLOW') return;
    throw e;
  }
  assert.deepEqual(norm(decodeMessage(enc)), norm(m));
  for (const x of [...m.answers, ...m.authority, ...m.additional]) {
    const text = rdataToText(x.type, x.rdata);
    const back = rdataFromText(x.type, tokens(text), Name.ROOT);
    if (x.type === RRType.LOC) {
      // LOC size octets have several spellings of zero (0e0, 0e5, ...): compare the text instead.
      assert.equal(rdataToText(x.type, back), text);
    } else {
      assert.equal(hex(back), hex(x.rdata), `${x.type} "${text}"`);
    }
    if (isKnownType(x.type)) textChecked++;
  }
}

const seeds = corpus();

test('decoding the seed corpus works (sanity for the mutation fuzzer)', () => {
  for (const s of seeds) check(s);
  assert.ok(textChecked > 50);
});

test('random bytes: decode returns or throws WireError', { timeout: TOTAL_MS + 30000 }, (t) => {
  const header = fc.tuple(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffff }), fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 4, maxLength: 4 }));
  const arb = fc.tuple(header, fc.uint8Array({ maxLength: 600 })).map(([[id, flags, counts], body]) => {
    const h = new Uint8Array(12);
    const dv = new DataView(h.buffer);
    dv.setUint16(0, id);
    dv.setUint16(2, flags);
    counts.forEach((c, i) => dv.setUint16(4 + i * 2, c));
    return Uint8Array.from([...h, ...body]);
  });
  const details = fc.check(fc.property(arb, (b) => check(b)), { seed: SEED, numRuns: 1e9, plugins: [fc.interruptAfterTimeLimit(TOTAL_MS * 0.2)] });
  assert.equal(details.failed, false, fc.defaultReportMessage(details) ?? '');
  assert.ok(details.numRuns > 100, `only ${details.numRuns} runs`);
  t.diagnostic(`random: ${details.numRuns} cases, seed ${SEED}`);
});

test('mutated valid messages: decode or WireError; decode -> encode -> decode is identity; RDATA text parses back', { timeout: TOTAL_MS + 30000 }, (t) => {
  const op = fc.oneof(
    fc.record({ k: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
    fc.record({ k: fc.constant('set' as const), at: fc.nat(), v: fc.constantFrom(0, 1, 0x3f, 0x40, 0x7f, 0x80, 0xc0, 0xff, 2, 255) }),
    fc.record({ k: fc.constant('insert' as const), at: fc.nat(), v: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ k: fc.constant('delete' as const), at: fc.nat() }),
    fc.record({ k: fc.constant('truncate' as const), at: fc.nat() }),
  );
  const arb = fc.tuple(fc.integer({ min: 0, max: seeds.length - 1 }), fc.array(op, { minLength: 1, maxLength: 6 })).map(([i, ops]) => {
    const b = [...seeds[i]!];
    for (const o of ops) {
      const at = o.at % (b.length + 1);
      switch (o.k) {
        case 'flip': if (at < b.length) b[at]! ^= 1 << o.bit; break;
        case 'set': if (at < b.length) b[at] = o.v; break;
        case 'insert': b.splice(at, 0, o.v); break;
        case 'delete': b.splice(at, 1); break;
        case 'truncate': b.length = Math.max(at, 12); break;
      }
    }
    return Uint8Array.from(b);
  });
  const details = fc.check(fc.property(arb, (b) => check(b)), { seed: SEED + 1, numRuns: 1e9, plugins: [fc.interruptAfterTimeLimit(TOTAL_MS * 0.4)] });
  assert.equal(details.failed, false, fc.defaultReportMessage(details) ?? '');
  assert.ok(details.numRuns > 50, `only ${details.numRuns} runs`);
  t.diagnostic(`mutation: ${details.numRuns} cases, seed ${SEED + 1}, ${textChecked} RDATA text round trips`);
});

test('mutated RDATA of every known type: WireError or valid RDATA whose text parses back to it', { timeout: TOTAL_MS + 30000 }, (t) => {
  const samples = CASES.map((c) => ({ type: typeFromText(c.type)!, rdata: rdataFromText(typeFromText(c.type)!, tokens(c.text), origin) }));
  const arb = fc.tuple(
    fc.integer({ min: 0, max: samples.length - 1 }),
    fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
  ).map(([i, ops]) => {
    const b = [...samples[i]!.rdata];
    for (const [k, at0, v] of ops) {
      const at = at0 % (b.length + 1);
      if (k === 0 && at < b.length) b[at] = v;
      else if (k === 1) b.splice(at, 0, v);
      else if (k === 2) b.splice(at, 1);
      else b.length = at;
    }
    return { type: samples[i]!.type, bytes: Uint8Array.from(b) };
  });
  let valid = 0;
  const details = fc.check(fc.property(arb, ({ type, bytes }) => {
    let rdata: Uint8Array;
    try {
      rdata = rdataFromWire(type, new Reader(bytes), bytes.length);
    } catch (e) {
      if (e instanceof WireError) return;
      throw e;
    }
    valid++;
    const text = rdataToText(type, rdata);
    const back = rdataFromText(type, tokens(text), Name.ROOT);
    if (type === RRType.LOC) assert.equal(rdataToText(type, back), text);
    else assert.equal(hex(back), hex(rdata), `type ${type} "${text}"`);
  }), { seed: SEED + 2, numRuns: 1e9, plugins: [fc.interruptAfterTimeLimit(TOTAL_MS * 0.4)] });
  assert.equal(details.failed, false, fc.defaultReportMessage(details) ?? '');
  assert.ok(valid > 20, `only ${valid} mutated RDATA were valid`);
  t.diagnostic(`rdata: ${details.numRuns} cases, ${valid} valid, seed ${SEED + 2}`);
});

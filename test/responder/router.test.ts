// Owns the in-process tests of routing by opcode and QTYPE, the default answers without handlers, and the protocol corners.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createResponder, fixedContext, isAnswerStream, QueryRouter } from '../../src/responder/index.ts';
import type { Request } from '../../src/responder/index.ts';
import { Opcode, RRType } from '../../src/wire/constants.ts';
import { buildQuery, decode } from './dns-helpers.ts';
import { fixtureZones } from './fixtures.ts';

const zones = fixtureZones();
const UDP = fixedContext('udp', { address: '192.0.2.7', port: 4242 });
const TCP = fixedContext('tcp');

test('without handlers: NOTIFY/UPDATE NOTAUTH as Knot, other opcodes NOTIMP (RD kept, CD clear), AXFR NOTIMP over UDP and NOTAUTH over TCP', () => {
  const r = createResponder({ zones: () => zones });
  for (const op of [Opcode.NOTIFY, Opcode.UPDATE, 15]) {
    const d = decode(r(buildQuery('example.com', 'SOA', { opcode: op, rd: true, cd: true }), UDP)!);
    assert.equal(d.rcode, op === 15 ? 'NOTIMP' : 'NOTAUTH');
    assert.ok(d.flags.includes('rd'));
    if (op === 15) assert.ok(!d.flags.includes('cd'), 'NOTIMP does not echo CD');
  }
  assert.equal(decode(r(buildQuery('example.com', 'AXFR'), UDP)!).rcode, 'NOTIMP');
  assert.equal(decode(r(buildQuery('example.com', 'AXFR'), TCP)!).rcode, 'NOTAUTH');
  assert.equal(decode(r(buildQuery('example.com', 'IXFR'), TCP)!).rcode, 'NOTAUTH');
  // An UPDATE whose zone section is not one SOA question is FORMERR (RFC 2136 §3.1.1), as Knot answers.
  assert.equal(decode(r(buildQuery('www.example.com', 'A', { opcode: Opcode.UPDATE }), UDP)!).rcode, 'FORMERR');
  assert.equal(decode(r(buildQuery('www.example.com', 'A', { opcode: Opcode.NOTIFY }), UDP)!).rcode, 'NOTAUTH');
});

test('a QUERY with an answer record is FORMERR; QDCOUNT=0 with OPT gets FORMERR with OPT', () => {
  const r = createResponder({ zones: () => zones });
  const q = buildQuery('www.example.com', 'A', { edns: false });
  const withAnswer = Uint8Array.from([...q, 0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1]);
  withAnswer[7] = 1;
  assert.equal(decode(r(withAnswer, UDP)!).rcode, 'FORMERR');
  const e = buildQuery('www.example.com', 'A', { do: true });
  const noQuestion = Uint8Array.from([...e.subarray(0, 12), ...e.subarray(e.length - 11)]);
  noQuestion[5] = 0;
  const d = decode(r(noQuestion, UDP)!);
  assert.equal(d.rcode, 'FORMERR');
  assert.equal(d.question.length, 0);
  assert.equal(d.opt?.do, true);
});

test('routed NOTIFY: the handler gets the full decode, spans and a detached context; a throw becomes SERVFAIL', async () => {
  const seen: Request[] = [];
  const router = new QueryRouter().onOpcode(Opcode.NOTIFY, (req) => {
    seen.push(req);
    if (req.message.id === 2) return Promise.reject(new Error('boom'));
    if (req.message.id === 3) throw new Error('sync boom');
    const out = Uint8Array.from(req.bytes);
    out[2] = out[2]! | 0x80;
    return Promise.resolve(out);
  });
  const r = createResponder({ zones: () => zones, router });
  const res = r(buildQuery('example.com', 'SOA', { id: 1, opcode: Opcode.NOTIFY }), UDP);
  assert.ok(res instanceof Promise);
  const d = decode((await res)!);
  assert.equal(d.id, 1);
  assert.equal(seen[0]!.message.questions[0]!.name.toString(), 'example.com.');
  assert.ok(seen[0]!.spans.opt !== null);
  assert.equal(seen[0]!.ctx.peerAddress, '192.0.2.7');
  assert.equal(seen[0]!.ctx.peerPort, 4242);
  for (const id of [2, 3]) {
    const p = r(buildQuery('example.com', 'SOA', { id, opcode: Opcode.NOTIFY }), UDP);
    assert.ok(p instanceof Promise);
    const f = decode((await p)!);
    assert.equal(f.rcode, 'SERVFAIL');
    assert.equal(f.id, id);
  }
  // A NOTIFY the full decoder rejects never reaches the handler.
  const bad = buildQuery('example.com', 'SOA', { id: 4, opcode: Opcode.NOTIFY, edns: false });
  bad[7] = 1;
  assert.equal(decode(r(bad, UDP) as Uint8Array).rcode, 'FORMERR');
  assert.equal(seen.length, 3);
  // Plain queries stay synchronous.
  assert.ok(r(buildQuery('www.example.com', 'A'), UDP) instanceof Uint8Array);
});

test('routed AXFR: a stream over TCP only; over UDP the default answer', () => {
  const router = new QueryRouter().onTransfer(RRType.AXFR, async function* (req) {
    await Promise.resolve();
    yield req.bytes;
  });
  const r = createResponder({ zones: () => zones, router });
  const tcp = r(buildQuery('example.com', 'AXFR'), TCP);
  assert.ok(tcp !== null && !(tcp instanceof Uint8Array) && isAnswerStream(tcp));
  const udp = r(buildQuery('example.com', 'AXFR'), UDP);
  assert.ok(udp instanceof Uint8Array);
  assert.equal(decode(udp).rcode, 'NOTIMP');
  assert.equal(decode(r(buildQuery('example.com', 'IXFR'), TCP) as Uint8Array).rcode, 'NOTAUTH');
});

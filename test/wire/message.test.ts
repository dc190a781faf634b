// Tests whole-message decode/encode: header fields, EDNS folding, OPT placement rules, trailing data, compression.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeMessage, encodeMessage, type Message } from '../../src/wire/message.ts';
import { WireError } from '../../src/wire/errors.ts';
import { Name } from '../../src/wire/name.ts';
import { rdataFromText } from '../../src/wire/registry.ts';
import { RRType } from '../../src/wire/constants.ts';
import { fromHex, hex, tokens } from './helpers.ts';

const origin = Name.fromText('example.com.');
const rr = (owner: string, type: number, text: string, ttl = 300) => ({
  name: Name.fromText(owner, origin), type, class: 1, ttl, rdata: rdataFromText(type, tokens(text), origin),
});

function sample(): Message {
  return {
    id: 0xbeef, flags: 0x8500, opcode: 0, rcode: 0,
    questions: [{ name: origin, type: RRType.MX, class: 1 }],
    answers: [rr('@', RRType.MX, '10 mail'), rr('@', RRType.MX, '20 mail2.example.net.')],
    authority: [rr('@', RRType.NS, 'ns1')],
    additional: [rr('mail', RRType.A, '192.0.2.1'), rr('mail', RRType.AAAA, '2001:db8::1')],
    edns: { udpSize: 1232, extendedRcode: 0, version: 0, dnssecOk: true, flags: 0x8000, options: [{ code: 10, data: fromHex('0102030405060708') }] },
  };
}

test('encode then decode gives back every field', () => {
  const m = sample();
  const back = decodeMessage(encodeMessage(m));
  assert.equal(back.id, 0xbeef);
  assert.equal(back.flags, 0x8500);
  assert.equal(back.questions[0]!.name.toText(), 'example.com.');
  assert.deepEqual(back.answers.map((a) => hex(a.rdata)), m.answers.map((a) => hex(a.rdata)));
  assert.equal(back.additional.length, 2);
  assert.equal(back.edns?.dnssecOk, true);
  assert.equal(back.edns?.udpSize, 1232);
  assert.deepEqual(back.edns?.options.map((o) => [o.code, hex(o.data)]), [[10, '0102030405060708']]);
});

test('owner names and MX exchange are compressed with pointers', () => {
  const bytes = encodeMessage(sample());
  // Question name at offset 12; the first answer's owner must be the pointer c00c.
  const qEnd = 12 + origin.wire.length + 4;
  assert.equal(hex(bytes.subarray(qEnd, qEnd + 2)), 'c00c');
  // MX rdata "10 mail.example.com." = 000a 046d61696c c00c (9 octets)
  assert.ok(hex(bytes).includes('0009000a046d61696cc00c'));
});

test('extended rcode is split between header and OPT', () => {
  const m = { ...sample(), rcode: 16 };
  const bytes = encodeMessage(m);
  assert.equal(bytes[3]! & 0xf, 0);
  const back = decodeMessage(bytes);
  assert.equal(back.rcode, 16);
  assert.equal(back.edns?.extendedRcode, 1);
  assert.throws(() => encodeMessage({ ...m, edns: null }), WireError);
});

test('trailing octets, a second OPT, OPT in answer, non-root OPT owner are WireErrors', () => {
  const good = encodeMessage(sample());
  const trailing = new Uint8Array([...good, 0]);
  assert.throws(() => decodeMessage(trailing), (e: unknown) => e instanceof WireError && e.code === 'DUNLIN_ERR_WIRE_TRAILING');
  const opt = fromHex('0000290200000000000000');
  const q = fromHex('1234 0100 0000 0000 0000 0002');
  assert.throws(() => decodeMessage(new Uint8Array([...q, ...opt, ...opt])), /more than one OPT/);
  const qa = fromHex('1234 0100 0000 0001 0000 0000');
  assert.throws(() => decodeMessage(new Uint8Array([...qa, ...opt])), /answer section/);
  const nonRoot = fromHex('01610000290200000000000000');
  const q1 = fromHex('1234 0100 0000 0000 0000 0001');
  assert.throws(() => decodeMessage(new Uint8Array([...q1, ...nonRoot])), /not the root/);
  const one = decodeMessage(new Uint8Array([...q1, ...opt]));
  assert.equal(one.edns?.udpSize, 512);
});

test('truncated header and short RDATA are WireErrors', () => {
  assert.throws(() => decodeMessage(new Uint8Array(11)), WireError);
  // One answer: root A IN ttl rdlength 4 but only 3 octets present.
  const m = fromHex('0000 8000 0000 0001 0000 0000 00 0001 0001 00000000 0004 010203');
  assert.throws(() => decodeMessage(m), (e: unknown) => e instanceof WireError && e.code === 'DUNLIN_ERR_WIRE_TRUNCATED');
  // A with RDLENGTH 5 (one octet too many for A).
  const m2 = fromHex('0000 8000 0000 0001 0000 0000 00 0001 0001 00000000 0005 0102030405');
  assert.throws(() => decodeMessage(m2), (e: unknown) => e instanceof WireError && e.code === 'DUNLIN_ERR_WIRE_TRAILING');
});

test('EDNS options that overrun the OPT RDATA are rejected', () => {
  const m = fromHex('0000 0000 0000 0000 0000 0001 00 0029 1000 00000000 0005 000a 0005 01');
  assert.throws(() => decodeMessage(m), WireError);
});

test('encode respects the size limit', () => {
  assert.throws(() => encodeMessage(sample(), { limit: 40 }), (e: unknown) => e instanceof WireError && e.code === 'DUNLIN_ERR_WIRE_OVERFLOW');
});

test('opcode and rcode fields win over the flags word on encode', () => {
  const m = { ...sample(), flags: 0x8000, opcode: 4, rcode: 3, edns: null };
  const back = decodeMessage(encodeMessage(m));
  assert.equal(back.opcode, 4);
  assert.equal(back.rcode, 3);
  assert.equal(back.flags, 0x8000 | (4 << 11) | 3);
});

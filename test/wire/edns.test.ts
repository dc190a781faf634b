// Tests the OPT record codec (RFC 6891 §6): field layout, DO bit, options, and size accounting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultEdns, optSize, parseOpt, writeOpt, EdnsOptionCode } from '../../src/wire/edns.ts';
import { Writer } from '../../src/wire/writer.ts';
import { WireError } from '../../src/wire/errors.ts';
import { fromHex, hex } from './helpers.ts';

test('writeOpt lays out root owner, type 41, payload size, ext-rcode/version/flags and options', () => {
  const w = new Writer();
  const e = { ...defaultEdns(1232), extendedRcode: 1, version: 0, dnssecOk: true, options: [{ code: EdnsOptionCode.NSID, data: fromHex('6e73') }] };
  writeOpt(w, e);
  assert.equal(hex(w.view()), '00' + '0029' + '04d0' + '01008000' + '0006' + '0003' + '0002' + '6e73');
  assert.equal(w.pos, optSize(e));
});

test('dnssecOk wins over the DO bit in flags, other flag bits are kept', () => {
  const w = new Writer();
  writeOpt(w, { ...defaultEdns(), flags: 0x8001, dnssecOk: false });
  const ttl = w.view().subarray(5, 9);
  assert.equal(hex(ttl), '00000001');
});

test('parseOpt reads every field and option, and rejects overruns', () => {
  const e = parseOpt(4096, 0x02008000, fromHex('000a0008 0102030405060708 000c0000'));
  assert.deepEqual({ ...e, options: e.options.map((o) => [o.code, hex(o.data)]) }, {
    udpSize: 4096, extendedRcode: 2, version: 0, dnssecOk: true, flags: 0x8000, options: [[10, '0102030405060708'], [12, '']],
  });
  assert.equal(parseOpt(512, 0x00010000, new Uint8Array(0)).version, 1);
  assert.throws(() => parseOpt(512, 0, fromHex('000a00')), WireError);
  assert.throws(() => parseOpt(512, 0, fromHex('000a0004 0102')), WireError);
});

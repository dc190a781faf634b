// Building a transfer into a zone version: AXFR through the zone checks, IXFR with several changes applied in order, broken serial chains and bad content refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadZoneFromRecords } from '../../src/store/index.ts';
import type { Zone } from '../../src/store/index.ts';
import { encodeMessage } from '../../src/wire/message.ts';
import { Name } from '../../src/wire/name.ts';
import type { ResourceRecord } from '../../src/wire/record.ts';
import { recordToText } from '../../src/wire/registry.ts';
import { buildTransfer, zoneText } from '../../src/xfr/build.ts';
import { parseZoneText } from '../../src/zone/index.ts';

const origin = Name.fromText('b.test.');
const rrs = (text: string): ResourceRecord[] => {
  const r = parseZoneText(`$ORIGIN b.test.\n$TTL 300\n${text}\n`, { origin, file: 'test' });
  assert.deepEqual(r.errors, []);
  return r.records;
};
const soa = (serial: number): ResourceRecord => rrs(`@ SOA ns h ${serial} 3600 600 86400 300`)[0]!;
const base = rrs('@ NS ns\nns A 192.0.2.1\na A 192.0.2.10\nb TXT "b"');
const msg = (answers: ResourceRecord[]): Uint8Array =>
  encodeMessage({ id: 1, flags: 0x8400, opcode: 0, rcode: 0, questions: [], answers, authority: [], additional: [], edns: null });
const lines = (z: Zone): string[] => [...z.records()].map((r) => recordToText(r)).sort();

function v1(): Zone {
  const r = loadZoneFromRecords(origin, [soa(1), ...base]);
  assert.ok(r.zone);
  return r.zone;
}

test('AXFR: the records between the two SOAs, through the zone checks; the copy text parses back to the same zone', () => {
  const b = buildTransfer(origin, 'axfr', [msg([soa(5), ...base.slice(0, 2)]), msg([...base.slice(2), soa(5)])], null, 100, 'test');
  assert.equal(b.zone.serial, 5);
  assert.equal(b.zone.recordCount, 5);
  const back = loadZoneFromRecords(origin, rrs([...zoneText(b.zone)].join('').replace(/^;.*\n/, '')));
  assert.deepEqual(lines(back.zone!), lines(b.zone));
  assert.throws(() => buildTransfer(origin, 'axfr', [msg([soa(5), ...base, ...rrs('a CNAME ns'), soa(5)])], null, 100, 'test'), /CNAME/);
  assert.throws(() => buildTransfer(origin, 'axfr', [msg([soa(5), ...base, soa(5)])], null, 3, 'test'), /max_records/);
});

test('IXFR: two changes applied in order (a record added then removed again), the changeset from the served version', () => {
  const cur = v1();
  const ixfr = [
    msg([soa(3), soa(1), ...rrs('a A 192.0.2.10'), soa(2), ...rrs('a A 192.0.2.11\nc A 192.0.2.12')]),
    msg([soa(2), ...rrs('c A 192.0.2.12'), soa(3), ...rrs('d AAAA 2001:db8::1'), soa(3)]),
  ];
  const b = buildTransfer(origin, 'ixfr', ixfr, cur, 100, 'test');
  assert.equal(b.zone.serial, 3);
  const want = loadZoneFromRecords(origin, [soa(3), ...rrs('@ NS ns\nns A 192.0.2.1\na A 192.0.2.11\nb TXT "b"\nd AAAA 2001:db8::1')]).zone!;
  assert.deepEqual(lines(b.zone), lines(want));
  assert.equal(b.changeset?.serialFrom, 1);
  assert.equal(b.changeset?.serialTo, 3);
  assert.deepEqual(lines(cur), lines(v1()), 'the served version is untouched');
});

test('IXFR: a chain that does not start at our serial, or does not end at the new one, is refused', () => {
  assert.throws(() => buildTransfer(origin, 'ixfr', [msg([soa(3), soa(2), soa(3), ...rrs('x A 192.0.2.9'), soa(3)])], v1(), 100, 'test'), /does not continue serial 1/);
  assert.throws(() => buildTransfer(origin, 'ixfr', [msg([soa(4), soa(1), soa(3), soa(4)])], v1(), 100, 'test'), /ends at serial 3/);
  assert.throws(() => buildTransfer(origin, 'ixfr', [msg([soa(2), soa(1), ...rrs('@ NS ns'), soa(2), soa(2)])], v1(), 100, 'test'), /zone checks/);
});

// Owns the store tests: snapshot structure (nodes, ENTs, cuts, packed RRsets), serial, and the zone set's deepest match.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildZone, NodeFlag, RRset, ZoneSet } from '../../src/store/index.ts';
import { Name } from '../../src/wire/name.ts';
import { RRType } from '../../src/wire/constants.ts';
import { recordsFromText, zoneFromText } from '../lookup/zone-text.ts';

const TEXT = `$TTL 300
@ SOA ns1 hostmaster 42 7200 3600 1209600 60
@ NS ns1
ns1 A 192.0.2.1
Www A 192.0.2.2
www A 192.0.2.3
WWW A 192.0.2.2
www 999 AAAA 2001:db8::2
a.b.c A 192.0.2.4
deleg NS ns.deleg
ns.deleg A 192.0.2.5
dn DNAME other.test.
al CNAME www
outside.test. A 192.0.2.9
`;

test('buildZone groups records by owner and type, merges duplicates, counts records, reads the serial', () => {
  const z = zoneFromText(TEXT, 'example.com.');
  assert.equal(z.origin.toText(), 'example.com.');
  assert.equal(z.serial, 42);
  assert.equal(z.recordCount, 11); // the duplicate www A and the out-of-zone record are dropped
  const www = z.node(Name.fromText('www.example.com.').key)!;
  assert.deepEqual(www.sets.map((s) => s.type), [RRType.A, RRType.AAAA], 'RRsets sorted by type');
  const a = www.get(RRType.A)!;
  assert.equal(a.count, 2);
  assert.equal(a.ttl, 300);
  assert.deepEqual(a.rdatas().map((r) => [...r].join('.')), ['192.0.2.2', '192.0.2.3']);
  // The first spelling of an owner is kept for output.
  assert.equal(z.ownerName(www, Name.fromText('www.example.com.').key).toText(), 'Www.example.com.');
  assert.equal(z.node(Name.fromText('outside.test.').key), undefined);
});

test('empty non-terminals, cuts, DNAME and CNAME are flagged', () => {
  const z = zoneFromText(TEXT, 'example.com.');
  const flags = (n: string): number => z.node(Name.fromText(n).key)?.flags ?? -1;
  assert.equal(flags('example.com.') & NodeFlag.APEX, NodeFlag.APEX);
  assert.equal(flags('b.c.example.com.'), NodeFlag.ENT);
  assert.equal(flags('c.example.com.'), NodeFlag.ENT);
  assert.equal(z.node(Name.fromText('b.c.example.com.').key)!.sets.length, 0);
  assert.equal(flags('deleg.example.com.') & NodeFlag.DELEGATION, NodeFlag.DELEGATION);
  assert.equal(flags('example.com.') & NodeFlag.DELEGATION, 0, 'apex NS is not a cut');
  assert.equal(flags('dn.example.com.') & NodeFlag.DNAME, NodeFlag.DNAME);
  assert.equal(flags('al.example.com.') & NodeFlag.CNAME, NodeFlag.CNAME);
  assert.equal(flags('x.example.com.'), -1);
});

test('negative SOA TTL is min(SOA TTL, MINIMUM) (RFC 2308 §3)', () => {
  const z = zoneFromText(TEXT, 'example.com.');
  assert.equal(z.soa!.ttl, 300);
  assert.equal(z.negativeSoa!.ttl, 60);
  assert.deepEqual(z.negativeSoa!.first(), z.soa!.first());
});

test('records() gives back every record', () => {
  const records = recordsFromText(TEXT, 'example.com.').filter((r) => r.name.isSubdomainOf(Name.fromText('example.com.')));
  const z = buildZone(Name.fromText('example.com.'), records);
  const back = [...z.records()];
  assert.equal(back.length, z.recordCount);
  const key = (r: { name: Name; type: number; rdata: Uint8Array }): string => `${r.name.key}|${r.type}|${[...r.rdata].join(',')}`;
  assert.deepEqual(new Set(back.map(key)), new Set(records.map(key)));
});

test('RRset.of packs stand-alone RDATA', () => {
  const s = RRset.of(RRType.TXT, 10, [Uint8Array.of(1, 65), Uint8Array.of(2, 66, 67)]);
  assert.equal(s.count, 2);
  assert.deepEqual(s.rdatas().map((r) => [...r]), [[1, 65], [2, 66, 67]]);
});

test('ZoneSet finds the deepest zone and is immutable', () => {
  const parent = zoneFromText('@ SOA ns h 1 1 1 1 1\n@ NS ns\nns A 192.0.2.1\nsub NS ns.sub\n', 'example.com.');
  const child = zoneFromText('@ SOA ns h 7 1 1 1 1\n@ NS ns\n', 'sub.example.com.');
  const set = new ZoneSet([parent]);
  const both = set.with(child);
  assert.equal(set.find(Name.fromText('a.sub.example.com.'))?.serial, 1, 'original set unchanged');
  assert.equal(both.find(Name.fromText('a.sub.EXAMPLE.com.'))?.serial, 7);
  assert.equal(both.find(Name.fromText('sub.example.com.').key)?.serial, 7);
  assert.equal(both.find(Name.fromText('www.example.com.'))?.serial, 1);
  assert.equal(both.find(Name.fromText('example.org.')), undefined);
  assert.equal(both.find(Name.ROOT), undefined);
  assert.equal(both.without(Name.fromText('sub.example.com.')).find(Name.fromText('a.sub.example.com.'))?.serial, 1);
  assert.equal(both.zones().length, 2);
  const root = zoneFromText('@ SOA ns.example. h 3 1 1 1 1\n', '.');
  assert.equal(new ZoneSet([root]).find(Name.fromText('anything.example.')), root);
});

test('the snapshot stays compact: typed arrays only, under 100 octets per record plus RDATA', () => {
  const records = [];
  const origin = Name.fromText('big.test.');
  records.push(...recordsFromText('@ SOA ns h 1 1 1 1 1\n@ NS ns\nns A 192.0.2.1\n', 'big.test.'));
  let rdataBytes = 0;
  for (let i = 0; i < 50_000; i++) {
    const name = Name.fromText(`h${i}.g${i % 100}`, origin);
    const rdata = Uint8Array.of(10, (i >> 16) & 255, (i >> 8) & 255, i & 255);
    records.push({ name, type: RRType.A, class: 1, ttl: 300, rdata });
    if (i % 3 === 0) records.push({ name, type: RRType.AAAA, class: 1, ttl: 300, rdata: new Uint8Array(16).fill(i & 255) });
    rdataBytes += 4 + (i % 3 === 0 ? 16 : 0);
  }
  const z = buildZone(origin, records);
  assert.equal(z.recordCount, records.length);
  assert.equal(z.nodeCount, 50_000 + 100 + 2, 'names, the g* empty non-terminals, apex and ns');
  const perRecord = (z.byteSize - rdataBytes) / z.recordCount;
  assert.ok(perRecord < 100, `${perRecord.toFixed(1)} octets per record besides RDATA`);
  assert.equal(z.node(Name.fromText('h4242.g42.big.test.').key)?.get(RRType.A)?.first()[3], 4242 & 255);
});

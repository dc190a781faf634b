// Owns the tests of zone versions: canonical order, neighbours, RRSIGs per covered type, updates and their invariants, changesets, diffs, sharing and compaction.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageChannel } from 'node:worker_threads';
import fc from 'fast-check';
import { buildZone, diffZones, loadZoneFromRecords, nextSerial, recordsOf, updateZone, Zone, ZoneUpdateError } from '../../src/store/index.ts';
import type { Changeset, ZoneImage } from '../../src/store/index.ts';
import { RRType } from '../../src/wire/constants.ts';
import { Name } from '../../src/wire/name.ts';
import type { ResourceRecord } from '../../src/wire/record.ts';
import { recordToText } from '../../src/wire/registry.ts';
import { recordsFromText, zoneFromText } from '../lookup/zone-text.ts';

const ORIGIN = 'example.com.';
const TEXT = `$TTL 300
@ SOA ns1 hostmaster 1 7200 3600 1209600 60
@ NS ns1
ns1 A 192.0.2.1
www A 192.0.2.2
a.b.c A 192.0.2.4
deleg NS ns.deleg
ns.deleg A 192.0.2.5
z A 192.0.2.6
*.w A 192.0.2.7
`;

const rr = (line: string): ResourceRecord => {
  const r = recordsFromText(`$ORIGIN ${ORIGIN}\n${line}`, ORIGIN)[0];
  assert.ok(r, line);
  return r;
};
const names = (z: Zone): string[] => [...z.nodes()].map((n) => n.owner.toText().toLowerCase());
const text = (r: ResourceRecord): string => recordToText(r).replace(/\s+/g, ' ').toLowerCase();
const texts = (z: Zone): string[] => [...z.records()].map(text).sort();
const csText = (c: Changeset): { removed: string[]; added: string[] } => ({ removed: c.removed.map(text).sort(), added: c.added.map(text).sort() });

test('nodes are in canonical order (RFC 4034 §6.1), empty non-terminals included', () => {
  const z = zoneFromText(TEXT, ORIGIN);
  const got = names(z);
  const want = [...got].map((t) => Name.fromText(t)).sort((a, b) => Name.compare(a, b)).map((n) => n.toText().toLowerCase());
  assert.deepEqual(got, want);
  assert.ok(got.includes('c.example.com.') && got.includes('b.c.example.com.'), 'ENTs of a.b.c');
  assert.equal(got[0], 'example.com.');
  assert.ok(got.indexOf('deleg.example.com.') < got.indexOf('ns.deleg.example.com.'));
});

test('predecessor and successor, for names in the zone and names not in it', () => {
  const z = zoneFromText(TEXT, ORIGIN);
  const p = (t: string, skip = false): string | undefined => z.predecessor(Name.fromText(t), skip)?.owner.toText();
  const s = (t: string, skip = false): string | undefined => z.successor(Name.fromText(t), skip)?.owner.toText();
  assert.equal(p('example.com.'), undefined);
  assert.equal(s('example.com.'), 'c.example.com.');
  assert.equal(s('example.com.', true), 'a.b.c.example.com.');
  assert.equal(p('www.example.com.'), '*.w.example.com.');
  assert.equal(p('*.w.example.com.'), 'w.example.com.');
  assert.equal(p('*.w.example.com.', true), 'ns1.example.com.', 'w is an empty non-terminal');
  assert.equal(p('x.example.com.'), 'www.example.com.');
  assert.equal(s('zz.example.com.'), undefined);
  assert.equal(p('zz.example.com.'), 'z.example.com.');
});

test('RRSIGs are one RRset per covered type, each with its own TTL; get(RRSIG) views them all', () => {
  const z = zoneFromText(
    `${TEXT}www 100 RRSIG A 8 3 300 20300101000000 20200101000000 1 example.com. AAAA
www 200 RRSIG NSEC 8 3 300 20300101000000 20200101000000 1 example.com. AAAA
www 50 RRSIG A 8 3 300 20300101000000 20200101000000 2 example.com. AAAA
www NSEC z A RRSIG NSEC
`,
    ORIGIN,
  );
  const www = z.node(Name.fromText('www.example.com.').key)!;
  const a = www.sigs(RRType.A)!;
  assert.equal(a.count, 2);
  assert.equal(a.ttl, 100, 'buildZone: the TTL of the first record (the loader unifies to the lowest, RFC 2181 §5.2)');
  assert.equal(a.covered, RRType.A);
  assert.equal(www.sigs(RRType.NSEC)!.ttl, 200);
  assert.equal(www.sigs(RRType.AAAA), undefined);
  assert.equal(www.get(RRType.RRSIG)!.count, 3);
});

test('an update shares the base, makes and removes empty non-terminals, and reports its changeset', () => {
  const z0 = zoneFromText(TEXT, ORIGIN);
  const r1 = updateZone(z0).add(rr('x.y.new 300 A 192.0.2.99')).add(rr('www 300 A 192.0.2.3')).setSerial(2).commit();
  const z1 = r1.zone;
  assert.equal(z1.base, z0.base, 'the base table is shared');
  assert.equal(z1.serial, 2);
  assert.ok(z1.has(Name.fromText('y.new.example.com.').key) && z1.has(Name.fromText('new.example.com.').key), 'ENTs made');
  assert.ok(!z0.has(Name.fromText('new.example.com.').key), 'the old version is unchanged');
  assert.equal(z1.recordCount, z0.recordCount + 2);
  assert.deepEqual(csText(r1.changeset), { removed: [], added: ['www.example.com. 300 in a 192.0.2.3', 'x.y.new.example.com. 300 in a 192.0.2.99'] });
  assert.equal(r1.changeset.serialFrom, 1);
  assert.equal(r1.changeset.serialTo, 2);
  assert.ok(r1.changeset.soaFrom && r1.changeset.soaTo);

  const r2 = updateZone(z1).removeName(Name.fromText('x.y.new.example.com.')).remove(rr('a.b.c 300 A 192.0.2.4')).setSerial(3).commit();
  const z2 = r2.zone;
  for (const t of ['x.y.new', 'y.new', 'new', 'a.b.c', 'b.c', 'c']) assert.ok(!z2.has(Name.fromText(`${t}.example.com.`).key), `${t} gone`);
  assert.equal(z2.nodeCount, z0.nodeCount - 3);
  assert.deepEqual(csText(r2.changeset), { removed: ['a.b.c.example.com. 300 in a 192.0.2.4', 'x.y.new.example.com. 300 in a 192.0.2.99'], added: [] });
  assert.deepEqual(names(z2), names(z2.compact()));
  assert.deepEqual(texts(z2), texts(z2.compact()));
  assert.equal(z2.compact().delta, null);
});

test('a TTL change replaces the whole RRset in the changeset; removing a name with descendants leaves an empty non-terminal', () => {
  const z0 = zoneFromText(TEXT, ORIGIN);
  const r = updateZone(z0).add(rr('ns.deleg 600 A 192.0.2.8')).removeName(Name.fromText('w.example.com.')).commit({ checkGlue: true });
  assert.deepEqual(csText(r.changeset), { removed: ['ns.deleg.example.com. 300 in a 192.0.2.5'], added: ['ns.deleg.example.com. 600 in a 192.0.2.5', 'ns.deleg.example.com. 600 in a 192.0.2.8'] });
  const r2 = updateZone(z0).removeName(Name.fromText('b.c.example.com.')).commit();
  assert.ok(r2.zone.has(Name.fromText('b.c.example.com.').key), 'still an ENT: a.b.c is below it');
  assert.deepEqual(r2.changeset.removed, []);
});

test('invariants: a commit that breaks one throws, names every problem, and changes nothing', () => {
  const z0 = zoneFromText(TEXT, ORIGIN);
  const bad = (f: (u: ReturnType<typeof updateZone>) => void, re: RegExp): void => {
    const u = updateZone(z0);
    f(u);
    assert.throws(() => u.commit(), (e: unknown) => e instanceof ZoneUpdateError && e.problems.some((p) => re.test(p)), String(re));
  };
  bad((u) => u.add(rr('www 300 CNAME z')), /CNAME and other data/);
  bad((u) => u.add(rr('@ 300 SOA ns2 h 9 1 1 1 1')), /more than one SOA/);
  bad((u) => u.removeRRset(Name.fromText(ORIGIN), RRType.SOA), /no SOA record at the zone apex/);
  bad((u) => u.removeRRset(Name.fromText(ORIGIN), RRType.NS), /no NS records at the zone apex/);
  bad((u) => u.add(rr('sub 300 SOA ns2 h 9 1 1 1 1')), /only the zone apex/);
  bad((u) => u.add(rr('al 300 CNAME www')).add(rr('al 300 CNAME z')), /more than one CNAME/);
  bad((u) => u.add(rr('www 300 DNAME other.test.')).add(rr('x.www 300 A 192.0.2.1')), /below the DNAME|DNAME and names below/);
  bad((u) => u.add(rr('b.c 300 DNAME other.test.')), /DNAME and names below/);
  bad((u) => u.add(rr('deleg2 300 NS ns.deleg2')), /missing glue/);
  bad((u) => u.remove(rr('ns.deleg 300 A 192.0.2.5')), /missing glue/);
  bad((u) => u.add(rr('other.test. 300 A 192.0.2.1')), /outside the zone/);
  assert.deepEqual(texts(z0), texts(zoneFromText(TEXT, ORIGIN)));
  // Glue added in the same update is fine.
  updateZone(z0).add(rr('deleg2 300 NS ns.deleg2')).add(rr('ns.deleg2 300 A 192.0.2.10')).commit();
  updateZone(z0).add(rr('deleg2 300 NS ns.deleg2')).commit({ checkGlue: false });
});

test('a version posted to another thread shares its memory and reads the same', async () => {
  const z0 = zoneFromText(TEXT, ORIGIN);
  const z1 = updateZone(z0).add(rr('new 300 TXT "hello"')).commit().zone;
  const img = z1.image();
  assert.ok(img.base.arena.buffer instanceof SharedArrayBuffer);
  const { port1, port2 } = new MessageChannel();
  const got = await new Promise<ZoneImage>((resolve) => {
    port2.once('message', (m: ZoneImage) => resolve(m));
    port1.postMessage(img);
  });
  port1.close();
  port2.close();
  assert.ok(got.base.arena.buffer instanceof SharedArrayBuffer);
  const z2 = Zone.fromImage(got);
  assert.deepEqual(texts(z2), texts(z1));
  assert.deepEqual(names(z2), names(z1));
});

test('diffZones equals the commit changeset, over a shared base and over two independent builds', () => {
  const z0 = zoneFromText(TEXT, ORIGIN);
  const r = updateZone(z0).add(rr('new 300 TXT "x"')).remove(rr('www 300 A 192.0.2.2')).add(rr('www 300 A 192.0.2.9')).setSerial(5).commit();
  assert.deepEqual(csText(diffZones(z0, r.zone)), csText(r.changeset));
  const rebuilt = buildZone(Name.fromText(ORIGIN), [...r.zone.records()]);
  assert.deepEqual(csText(diffZones(z0, rebuilt)), csText(r.changeset));
  assert.equal(diffZones(z0, rebuilt).serialTo, 5);
});

test('model check: random updates equal a rebuild from the model, in content and canonical order', () => {
  const labels = ['a', 'b', 'C', 'x', '*'];
  const owner = fc.array(fc.constantFrom(...labels), { minLength: 1, maxLength: 3 }).map((l) => `${l.join('.')}.${ORIGIN}`);
  const op = fc.record({ add: fc.boolean(), owner, type: fc.constantFrom('A', 'TXT', 'MX'), v: fc.integer({ min: 1, max: 3 }) });
  fc.assert(
    fc.property(fc.array(fc.array(op, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 6 }), (batches) => {
      let z = zoneFromText(TEXT, ORIGIN);
      const model = new Map<string, ResourceRecord>();
      for (const r of z.records()) model.set(recordToText(r).toLowerCase(), r);
      let serial = z.serial;
      for (const batch of batches) {
        const u = updateZone(z);
        for (const o of batch) {
          const data = o.type === 'A' ? `192.0.2.${o.v}` : o.type === 'TXT' ? `"t${o.v}"` : `${o.v} mx${o.v}.example.net.`;
          const rec = rr(`${o.owner} 300 ${o.type} ${data}`);
          if (o.add) {
            u.add(rec);
            model.set(recordToText(rec).toLowerCase(), rec);
          } else {
            u.remove(rec);
            model.delete(recordToText(rec).toLowerCase());
          }
        }
        serial = nextSerial(serial);
        u.setSerial(serial);
        const before = z;
        const r = u.commit();
        z = r.zone;
        const expected = buildZone(Name.fromText(ORIGIN), [...model.values()].map((m) => (m.type === RRType.SOA ? { ...m, rdata: z.soa!.first() } : m)));
        assert.deepEqual(texts(z), texts(expected));
        assert.deepEqual(names(z), names(expected));
        assert.equal(z.nodeCount, expected.nodeCount);
        assert.equal(z.recordCount, expected.recordCount);
        assert.deepEqual(csText(diffZones(before, z)), csText(r.changeset));
        assert.deepEqual(recordsOf(z.origin, []), []);
      }
      const k = z.compact();
      assert.deepEqual(names(k), names(z));
      assert.deepEqual(texts(k), texts(z));
      for (const n of z.nodes()) assert.ok(k.has(n.owner.key), "every name is found by hash in the compacted base");
    }),
    { numRuns: 150 },
  );
});

test('a zone from records goes through the zone-file checks', () => {
  const ok = loadZoneFromRecords(Name.fromText(ORIGIN), recordsFromText(TEXT, ORIGIN), 'axfr');
  assert.equal(ok.errors.length, 0);
  assert.deepEqual(texts(ok.zone!), texts(zoneFromText(TEXT, ORIGIN)));
  const bad = loadZoneFromRecords(Name.fromText(ORIGIN), recordsFromText(`${TEXT}www CNAME z\n`, ORIGIN), 'axfr');
  assert.equal(bad.zone, null);
  assert.match(bad.errors[0]!.message, /CNAME/);
});

test('canonicalPermutation equals Name.compare order for random names (case, octets 0-2 and 0xff, prefixes)', async () => {
  const { canonicalPermutation } = await import('../../src/store/columns.ts');
  const octet = fc.constantFrom(0, 1, 2, 0x41, 0x61, 0x5a, 0x7a, 0x2a, 0x2d, 0x30, 0xff);
  const label = fc.array(octet, { minLength: 1, maxLength: 6 });
  const name = fc.array(label, { minLength: 0, maxLength: 4 }).map((ls) => {
    const out: number[] = [];
    for (const l of ls) out.push(l.length, ...l);
    out.push(3, 0x63, 0x6f, 0x6d, 0);
    return Name.fromWire(Uint8Array.from(out));
  });
  fc.assert(
    fc.property(fc.uniqueArray(name, { maxLength: 60, selector: (n) => n.key }), (names) => {
      const perm = canonicalPermutation(names.length, (i) => names[i]!.wire, () => 0, (i) => names[i]!.wire.length, 1);
      const got = [...perm].map((i) => names[i]!.key);
      const want = [...names].sort((a, b) => Name.compare(a, b)).map((n) => n.key);
      assert.deepEqual(got, want);
    }),
    { numRuns: 2000 },
  );
});

test('diffZones stops past a record limit and says so', () => {
  const z0 = zoneFromText(TEXT, ORIGIN);
  const z1 = updateZone(z0).add(rr('n1 300 A 192.0.2.1')).add(rr('n2 300 A 192.0.2.2')).add(rr('n3 300 A 192.0.2.3')).commit().zone;
  assert.equal(diffZones(z0, z1, 2), null);
  assert.equal(diffZones(z0, z1, 3)?.added.length, 3);
});

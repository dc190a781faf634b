// Owns unit tests of the zone checks, canonical printing, the wire round trip and parser robustness.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import fc from 'fast-check';
import { decodeMessage, encodeMessage } from '../../src/wire/message.ts';
import { Name } from '../../src/wire/name.ts';
import { checkZone, loadZoneFile, parseZoneText, printZone, sortRecords } from '../../src/zone/index.ts';
import { guessOrigin, readZoneText } from '../../src/zone/load.ts';
import { fixtures, normalise, okFixtures } from './helpers.ts';

const origin = Name.fromText('example.com.');
const head = '$ORIGIN example.com.\n$TTL 300\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\n';

function check(text: string) {
  const p = parseZoneText(text, { origin, file: 't.zone' });
  assert.deepEqual(p.errors, []);
  return checkZone(origin, p.records, p.positions, 't.zone');
}

const at = (ps: readonly { line: number; col: number; message: string }[]) => ps.map((p) => `${p.line}:${p.col} ${p.message}`);

test('duplicates merge silently, names in RDATA compared case-insensitively (RFC 4034 §6.2)', () => {
  const r = check(head + 'a A 192.0.2.2\na A 192.0.2.2\nm MX 10 MAIL.example.com.\nm MX 10 mail.EXAMPLE.com.\nt TXT "A"\nt TXT "a"\n');
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.warnings, []);
  assert.equal(r.records.length, 3 + 1 + 1 + 2);
  assert.equal(r.serial, 1);
});

test('differing TTLs in an RRset: warning at the first differing record, lowest TTL used (RFC 2181 §5.2)', () => {
  const r = check(head + 'a 600 A 192.0.2.2\na 60 A 192.0.2.3\na 900 A 192.0.2.4\n');
  assert.deepEqual(r.errors, []);
  assert.deepEqual(at(r.warnings), ['7:1 TTLs differ in the a.example.com. A RRset: using the lowest, 60 (RFC 2181 §5.2)']);
  assert.deepEqual(r.records.filter((x) => x.name.toText() === 'a.example.com.').map((x) => x.ttl), [60, 60, 60]);
});

test('out-of-zone records are warnings and dropped; occluded data below a delegation is kept with a warning', () => {
  const r = check(head + 'other.net. A 192.0.2.9\nsub NS ns.sub\nns.sub A 192.0.2.10\nsub MX 1 ns\nx.sub TXT "hidden"\ndeep.ns.sub AAAA ::1\n');
  assert.deepEqual(r.errors, []);
  assert.deepEqual(at(r.warnings), [
    '6:1 other.net. is out of zone example.com.: record ignored',
    '9:1 sub.example.com. MX at the delegation point: occluded by the NS records, never served',
    '10:1 x.sub.example.com. TXT is below the delegation at sub.example.com.: occluded, never served',
  ]);
  assert.equal(r.records.some((x) => x.name.toText() === 'other.net.'), false);
  assert.equal(r.records.some((x) => x.name.toText() === 'x.sub.example.com.'), true);
});

test('CNAME may sit beside its RRSIG and NSEC only; DNAME subtree must be empty', () => {
  let r = check(head + 'c CNAME ns\nc NSEC d.example.com. CNAME RRSIG NSEC\nc RRSIG CNAME 13 3 300 20240201000000 20240101000000 1 example.com. AAAA\n');
  assert.deepEqual(r.errors, []);
  r = check(head + 'c CNAME ns\nc MX 1 ns\n@ CNAME ns\n');
  assert.deepEqual(at(r.errors).map((e) => e.split(' ')[0]), ['7:1', '8:1', '8:1']);
  r = check(head + 'd DNAME example.net.\nx.y.d A 192.0.2.1\n');
  assert.match(r.errors[0]!.message, /below the DNAME at d\.example\.com\./);
  assert.deepEqual(r.records, []);
});

test('glue: in-zone NS targets need addresses; a label containing 0x07 is not a false suffix match', () => {
  const r = check(head + 'sub NS ns.sub\nsub NS ns.other.net.\nok NS a.b.ok\na.b.ok AAAA ::1\nw NS w\nw A 192.0.2.5\n');
  assert.deepEqual(at(r.errors), ['6:1 missing glue: NS target ns.sub.example.com. is below the delegation at sub.example.com. but has no A or AAAA record']);
  // "x\007example.com." ends with the wire key of example.com. but is not below it.
  const r2 = check(head + 'q NS x\\007example.com.\n');
  assert.deepEqual(r2.errors, []);
});

test('checkZone without positions reports line 0 and still rejects', () => {
  const p = parseZoneText('$ORIGIN example.com.\n$TTL 1\n@ NS ns\n', { origin, file: 'x' });
  const r = checkZone(origin, p.records);
  assert.deepEqual(r.records, []);
  assert.equal(r.errors[0]!.line, 0);
});

test('canonical order: RFC 4034 §6.1 owner order, SOA first at the apex, then type, then RDATA octets', () => {
  const text = head + 'z A 192.0.2.1\nZ.a A 192.0.2.1\n\\001.z A 192.0.2.1\n*.z A 192.0.2.1\nyljkjljk.a A 192.0.2.1\na A 192.0.2.9\na A 192.0.2.10\n@ A 192.0.2.1\n@ AAAA ::1\n';
  const r = check(text);
  const names = sortRecords(r.records, origin).map((x) => `${x.name.toText()} ${x.type}`);
  // RFC 4034 §6.1's own example order: example, a.example, yljkjljk.a.example, Z.a.example, zABC.a.EXAMPLE, z.example, \001.z.example, *.z.example, \200.z.example
  assert.deepEqual(names, [
    'example.com. 6', 'example.com. 1', 'example.com. 2', 'example.com. 28',
    'a.example.com. 1', 'a.example.com. 1', 'yljkjljk.a.example.com. 1', 'Z.a.example.com. 1',
    'ns.example.com. 1', 'z.example.com. 1', '\\001.z.example.com. 1', '*.z.example.com. 1',
  ]);
  const printed = printZone(r.records, origin).split('\n');
  assert.equal(printed[4], 'a.example.com.\t300\tIN\tA\t192.0.2.9'); // c0000209 < c000020a
  assert.equal(printed[5], 'a.example.com.\t300\tIN\tA\t192.0.2.10');
});

for (const fixture of okFixtures()) {
  test(`round trip ${fixture}: text -> records -> wire message -> records -> text is the identity`, () => {
    const path = join(fixtures, fixture);
    const o = guessOrigin(readZoneText(path), path);
    const z = loadZoneFile(path, o);
    assert.deepEqual(z.errors, []);
    const text1 = printZone(z.records, o);
    // Each record alone through a DNS message (compression inside the record) and back: exact identity.
    const back = z.records.map((rr) => {
      const msg = encodeMessage({ id: 1, flags: 0x8400, opcode: 0, rcode: 0, questions: [], answers: [rr], authority: [], additional: [], edns: null });
      const answers = decodeMessage(msg).answers;
      assert.equal(answers.length, 1);
      return answers[0]!;
    });
    for (let i = 0; i < back.length; i++) {
      assert.equal(back[i]!.name.toText(), z.records[i]!.name.toText());
      assert.deepEqual(back[i]!.rdata, z.records[i]!.rdata, `${fixture} record ${i} type ${z.records[i]!.type}`);
    }
    assert.equal(printZone(back, o), text1);
    // The whole zone in one compressed message: compression pointers are matched case-insensitively
    // (RFC 1035 §4.1.4), so a name may come back in another case; canonical forms must be equal.
    const whole = encodeMessage({ id: 1, flags: 0x8400, opcode: 0, rcode: 0, questions: [], answers: [...z.records], authority: [], additional: [], edns: null });
    assert.deepEqual(normalise(decodeMessage(whole).answers), normalise(z.records));
    // And the printed text parses back to the same records.
    const again = parseZoneText(text1, { origin: o, file: 'printed' });
    assert.deepEqual(again.errors, []);
    assert.equal(printZone(again.records, o), text1);
    assert.deepEqual(normalise(again.records), normalise(z.records));
  });
}

test('robustness: random master-file text never throws and always terminates', () => {
  const alphabet = ['a', 'b', '.', ' ', '\t', '\n', '\r\n', '(', ')', '"', '\\', ';', '$', '@', '1', '0', 'A', 'TXT', 'MX', 'SOA', '$ORIGIN', '$TTL', '$GENERATE', '$INCLUDE', '\\#', 'IN', '3600', '\u00ff', '{', '}', ',', '/', '-'];
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...alphabet), { maxLength: 60 }), (parts) => {
      const r = parseZoneText(head + parts.join(''), { origin, file: 'fuzz' });
      return Array.isArray(r.records) && (r.errors.length === 0 || r.records.length === 0);
    }),
    { numRuns: 3000 },
  );
});

test('owner names: the parser fast path gives exactly what Name.fromText gives', () => {
  const label = fc.stringMatching(/^[A-Za-z0-9_*-]{1,63}$/);
  fc.assert(
    fc.property(fc.array(label, { minLength: 1, maxLength: 6 }), fc.boolean(), (labels, absolute) => {
      const text = labels.join('.') + (absolute ? '.' : '');
      let ref: Name | null = null;
      try {
        ref = Name.fromText(text, origin);
      } catch {
        ref = null;
      }
      const r = parseZoneText(`${text} 60 A 192.0.2.1\n`, { origin, file: 'n' });
      if (!ref) return r.errors.length === 1;
      const got = r.records[0]!.name;
      return got.key === ref.key && got.toText() === ref.toText() && got.labelCount === ref.labelCount && Buffer.from(got.wire).equals(Buffer.from(ref.wire));
    }),
    { numRuns: 2000 },
  );
});

test('the root zone: every name is in zone, glue below the root is checked', () => {
  const root = Name.ROOT;
  const text = '$TTL 518400\n. SOA a.root-servers.net. nstld.verisign-grs.com. 2024010100 1800 900 604800 86400\n. NS a.root-servers.net.\na.root-servers.net. A 198.41.0.4\ncom. NS a.gtld-servers.net.\na.gtld-servers.net. A 192.5.6.30\n';
  const p = parseZoneText(text, { origin: root, file: 'root.zone' });
  assert.deepEqual(p.errors, []);
  const r = checkZone(root, p.records, p.positions, 'root.zone');
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.warnings, []);
  assert.equal(r.records.length, 5);
  assert.equal(printZone(r.records, root).split('\n')[0], '.\t518400\tIN\tSOA\ta.root-servers.net. nstld.verisign-grs.com. 2024010100 1800 900 604800 86400');
  const bad = parseZoneText(text + 'net. NS ns.net.\n', { origin: root, file: 'root.zone' });
  assert.match(checkZone(root, bad.records, bad.positions).errors[0]!.message, /missing glue: NS target ns\.net\./);
});

test('robustness: mutated fixtures never throw, and every problem points inside the file', () => {
  const texts = okFixtures().map((f) => readZoneText(join(fixtures, f)));
  const inserts = ['(', ')', '"', '\\', ';', '\n', ' ', '\t', '$', '@', '.', '0', '\\#', '\u00e9', '\r\n', '9999999999'];
  fc.assert(
    fc.property(
      fc.nat(texts.length - 1),
      fc.array(fc.tuple(fc.nat(100_000), fc.constantFrom(...inserts), fc.nat(3)), { minLength: 1, maxLength: 8 }),
      (which, edits) => {
        let t = texts[which]!;
        for (const [at, ins, del] of edits) {
          const p = at % (t.length + 1);
          t = t.slice(0, p) + ins + t.slice(p + del);
        }
        const lines = t.split('\n').length;
        const r = parseZoneText(t, { origin, file: 'm.zone', readFile: () => { throw Object.assign(new Error('no'), { code: 'ENOENT' }); } });
        for (const e of [...r.errors, ...r.warnings]) {
          if (e.line === 0) continue; // the zone as a whole, or "and N more"
          if (e.file !== 'm.zone' || e.line < 1 || e.line > lines || e.col < 1) return false;
        }
        return r.errors.length === 0 || r.records.length === 0;
      },
    ),
    { numRuns: 1500 },
  );
});

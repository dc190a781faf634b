// Owns the tests of the server's load path: loadZoneIntoStore gives the same snapshot and problems as loadZoneFile + buildZone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildZone, loadZoneIntoStore } from '../../src/store/index.ts';
import type { Zone } from '../../src/store/index.ts';
import { Name } from '../../src/wire/name.ts';
import { guessOrigin, loadZoneFile, readZoneText } from '../../src/zone/index.ts';

const root = join(import.meta.dirname, '..');

/** Everything a query can observe of a snapshot, by node key. */
function dump(z: Zone): Map<string, string> {
  const out = new Map<string, string>();
  for (const key of z.keys()) {
    const node = z.node(key)!;
    const sets = node.sets.map((s) => `${s.type}/${s.ttl}/${s.count}:${s.rdatas().map((r) => Buffer.from(r).toString('hex')).join(',')}`);
    out.set(key, `${z.ownerName(node).toText()} flags=${node.flags} ${sets.join(' ')}`);
  }
  return out;
}

function compare(path: string, origin: Name): void {
  const viaRecords = loadZoneFile(path, origin);
  const viaStore = loadZoneIntoStore(path, origin);
  assert.deepEqual(viaStore.errors, viaRecords.errors, `${path}: errors`);
  assert.deepEqual(viaStore.warnings, viaRecords.warnings, `${path}: warnings`);
  assert.equal(viaStore.serial, viaRecords.serial, `${path}: serial`);
  if (viaRecords.errors.length > 0) {
    assert.equal(viaStore.zone, null);
    return;
  }
  const a = buildZone(origin, viaRecords.records);
  const b = viaStore.zone!;
  assert.equal(b.recordCount, a.recordCount, `${path}: record count`);
  assert.equal(viaStore.recordCount, viaRecords.records.length);
  assert.equal(b.nodeCount, a.nodeCount, `${path}: node count`);
  assert.equal(b.serial, a.serial);
  assert.deepEqual(dump(b), dump(a), `${path}: snapshot`);
}

test('every fixture and golden zone: same problems, same snapshot through both load paths', () => {
  let n = 0;
  for (const dir of ['fixtures/zones', 'fixtures/diff', 'golden/zone']) {
    for (const f of readdirSync(join(root, dir)).filter((x) => x.endsWith('.zone')).sort()) {
      const path = join(root, dir, f);
      compare(path, guessOrigin(readZoneText(path), path));
      n++;
    }
  }
  assert.ok(n > 20, `only ${n} zones compared`);
});

test('case variants, empty non-terminals, cuts, glue, DNAME, out-of-zone names, duplicates and TTL differences', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dunlin-store-load-'));
  try {
    const path = join(dir, 'example.com.zone');
    writeFileSync(path, `$ORIGIN Example.COM.
$TTL 300
@ SOA ns1 hostmaster 7 7200 3600 1209600 60
@ NS ns1
@ NS NS1.example.com.
ns1 A 192.0.2.1
NS1 A 192.0.2.1
Www A 192.0.2.2
www 60 A 192.0.2.3
WWW AAAA 2001:DB8::2
www MX 10 Mail.Example.NET.
www MX 10 mail.example.net.
a.b.c.d TXT "deep" plain ""
A.B.x.d A 192.0.2.4
deleg NS ns.deleg
deleg DS 1 8 2 2BB183AF5F22588179A53B0A98631FAD1A292118D4A0B7C7E6A0F1B0A8A1B2C3
ns.deleg A 192.0.2.5
ns.deleg AAAA ::1
x.y.deleg A 192.0.2.6
dn DNAME other.test.
al CNAME www
other.test. A 192.0.2.9
\\# TYPE65280 \\# 2 0102
@ TXT "v=spf1 -all" "\\065\\066"
`, 'latin1');
    compare(path, Name.fromText('example.com.'));
    const z = loadZoneIntoStore(path, Name.fromText('example.com.'));
    assert.ok(z.zone, JSON.stringify(z.errors));
    assert.equal(z.warnings.length > 0, true, 'out-of-zone, TTL and occlusion warnings');
    // An empty non-terminal exists and keeps no records.
    const ent = z.zone.node(Name.fromText('b.c.d.example.com.').key)!;
    assert.equal(ent.setCount, 0);
    assert.equal(z.zone.node(Name.fromText('other.test.').key), undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an unreadable file is an error result, not a throw', () => {
  const r = loadZoneIntoStore('/nonexistent/dunlin/zone', Name.fromText('example.com.'));
  assert.equal(r.zone, null);
  assert.match(r.errors[0]!.message, /cannot read zone file \(ENOENT\)/);
});

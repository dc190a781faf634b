// Owns tests of the worker's zone manager: startup with a broken zone, reload only what changed ($INCLUDEs too), keep the old version on failure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../src/log/index.ts';
import { ZoneManager } from '../../src/server/zones.ts';
import { zoneFingerprint } from '../../src/server/fingerprint.ts';
import { Name } from '../../src/wire/name.ts';

const log = createLogger({ level: 'silent', name: 'test' });

function zone(serial: number, extra = ''): string {
  return `$TTL 300
@ IN SOA ns1 hostmaster ${serial} 7200 3600 1209600 300
@ IN NS ns1
ns1 IN A 192.0.2.53
${extra}`;
}


test('startup: a broken zone is skipped, the others are served; reload reloads only changed files, including $INCLUDEs', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dunlin-zones-'));
  try {
    const a = join(dir, 'a.zone');
    const b = join(dir, 'b.zone');
    const inc = join(dir, 'hosts.inc');
    writeFileSync(inc, 'www IN A 192.0.2.80\n');
    writeFileSync(a, zone(1, '$INCLUDE hosts.inc\n'));
    writeFileSync(b, zone(1, 'bad IN NOSUCHTYPE 1\n'));
    const m = new ZoneManager([{ name: 'a.test.', file: a }, { name: 'b.test.', file: b }], log);
    assert.equal(await m.loadAll(), 1);
    assert.equal(m.served, 1);
    assert.ok(m.current.get(Name.fromText('a.test.')));
    assert.equal(m.current.get(Name.fromText('b.test.')), undefined);

    const first = m.current;
    let lines = await m.reload();
    assert.match(lines[0]!, /^a\.test\.: unchanged \(serial 1\)$/);
    assert.match(lines[1]!, /^b\.test\.: unchanged, still failing: .*b\.zone:5:\d+: error/);
    assert.equal(m.current, first, 'nothing changed: the same ZoneSet reference');

    // Only the included file changes: the zone is reloaded.
    writeFileSync(inc, 'www IN A 192.0.2.81\nftp IN A 192.0.2.21\n');
    lines = await m.reload();
    assert.match(lines[0]!, /^a\.test\.: reloaded serial 1 -> 1 /);
    assert.notEqual(m.current, first, 'a new ZoneSet was swapped in');

    // Fix b; break a: b is now served, a keeps its previous version.
    writeFileSync(b, zone(2));
    writeFileSync(a, zone(3, 'www IN A 192.0.2.300\n'));
    const beforeBreak = m.current.get(Name.fromText('a.test.'));
    lines = await m.reload();
    assert.match(lines[0]!, /^a\.test\.: error: .*a\.zone:5:\d+: error: .*still serving serial 1/);
    assert.match(lines[1]!, /^b\.test\.: reloaded serial - -> 2 /);
    assert.equal(m.current.get(Name.fromText('a.test.')), beforeBreak, 'a keeps serving its previous version');
    assert.ok(m.current.get(Name.fromText('b.test.')));
    assert.equal(m.served, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('fingerprint: changes with the file or any $INCLUDEd file, stable otherwise; a missing file is fingerprinted too', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dunlin-fp-'));
  try {
    const f = join(dir, 'z.zone');
    const i1 = join(dir, 'one.inc');
    const i2 = join(dir, 'two.inc');
    writeFileSync(i2, 'x IN A 192.0.2.2\n');
    writeFileSync(i1, '$INCLUDE "two.inc"\n');
    writeFileSync(f, '$INCLUDE one.inc\n');
    const fp0 = zoneFingerprint(f);
    assert.equal(zoneFingerprint(f), fp0);
    writeFileSync(i2, 'x IN A 192.0.2.3\n');
    const fp1 = zoneFingerprint(f);
    assert.notEqual(fp1, fp0, 'nested include change detected');
    rmSync(i2);
    assert.notEqual(zoneFingerprint(f), fp1, 'a vanished include changes the fingerprint');
    assert.match(zoneFingerprint(join(dir, 'missing.zone')), /^[0-9a-f]{64}$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

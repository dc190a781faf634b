// Owns tests of the zone writer with the real loader thread: startup with a broken zone, reload only what changed ($INCLUDEs too), typed results, publishing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../src/log/index.ts';
import { zoneFingerprint } from '../../src/server/fingerprint.ts';
import { ZoneLoader } from '../../src/server/loader.ts';
import { describeResult, ZoneWriter } from '../../src/server/zone-writer.ts';
import { Zone, ZoneSet } from '../../src/store/index.ts';
import type { ZoneImage } from '../../src/store/index.ts';
import { Name } from '../../src/wire/name.ts';

const log = createLogger({ level: 'silent', name: 'test' });

function zone(serial: number, extra = ''): string {
  return `$TTL 300
@ IN SOA ns1 hostmaster ${serial} 7200 3600 1209600 300
@ IN NS ns1
ns1 IN A 192.0.2.53
${extra}`;
}

test('startup: a broken zone is skipped, the others are served; reload rebuilds only changed files, including $INCLUDEs; results are typed', { timeout: 30_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dunlin-zones-'));
  const loader = new ZoneLoader();
  try {
    const a = join(dir, 'a.zone');
    const b = join(dir, 'error.zone');
    const inc = join(dir, 'hosts.inc');
    writeFileSync(inc, 'www IN A 192.0.2.80\n');
    writeFileSync(a, zone(1, '$INCLUDE hosts.inc\n'));
    writeFileSync(b, zone(1, 'bad IN NOSUCHTYPE 1\n'));
    // A zone named error.example. that loads fine must not look like a failure.
    const w = new ZoneWriter([{ name: 'a.test.', file: a }, { name: 'error.example.', file: b }], log, loader);
    const published: (readonly ZoneImage[])[] = [];
    w.onPublish((images) => {
      published.push(images);
      return Promise.resolve();
    });
    let r = await w.loadAll();
    assert.deepEqual(r.map((x) => x.status), ['loaded', 'failed']);
    assert.equal(w.served, 1);
    assert.equal(w.builds, 1);
    assert.equal(published.length, 1);
    const set = new ZoneSet(w.images().map((img) => Zone.fromImage(img)));
    assert.equal(set.get(Name.fromText('a.test.'))?.serial, 1);
    assert.equal(set.get(Name.fromText('error.example.')), undefined);
    const failed = r[1]!;
    assert.ok(failed.status === 'failed');
    assert.match(failed.problems[0]!, /error\.zone:5:\d+: error/);
    assert.equal(failed.servingSerial, null);

    r = await w.reload();
    assert.deepEqual(r.map((x) => x.status), ['unchanged', 'unchanged']);
    assert.match(describeResult(r[0]!), /^a\.test\.: unchanged \(serial 1\)$/);
    assert.match(describeResult(r[1]!), /^error\.example\.: unchanged, still failing: .*error\.zone:5:\d+: error/);
    assert.equal(published.length, 1, 'nothing changed: nothing published');
    assert.equal(w.builds, 1, 'unchanged files are not parsed');

    // Only the included file changes: the zone is rebuilt, and refused (serial_policy keep): new content under the served serial.
    writeFileSync(inc, 'www IN A 192.0.2.81\nftp IN A 192.0.2.21\n');
    r = await w.reload();
    const refused = r[0]!;
    assert.ok(refused.status === 'failed');
    assert.match(describeResult(refused), /^a\.test\.: error: .*serial 1 is not greater than the served 1: new content refused.*still serving serial 1/);
    assert.equal(published.length, 1);

    // The writer keeps the change history: serial 1 -> 2 with exactly the records that changed.
    writeFileSync(a, zone(2, '$INCLUDE hosts.inc\nmail IN A 192.0.2.25\n'));
    r = await w.reload();
    assert.ok(r[0]!.status === 'loaded' && r[0]!.serial === 2);
    const history = w.history('a.test.')!;
    const deadline = Date.now() + 10_000;
    while (history.since(1) === null && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
    const chain = history.since(1)!;
    assert.equal(chain.length, 1);
    assert.equal(chain[0]!.serialTo, 2);
    // From the version served (the old $INCLUDE) to the new one.
    assert.deepEqual(chain[0]!.added.map((x) => x.name.toString()).sort(), ['ftp.a.test.', 'mail.a.test.', 'www.a.test.']);
    assert.deepEqual(chain[0]!.removed.map((x) => x.name.toString()), ['www.a.test.']);

    // Fix error.example.; break a: error.example. is now served (and is no error), a keeps its previous version.
    writeFileSync(b, zone(2));
    writeFileSync(a, zone(3, 'www IN A 192.0.2.300\n'));
    const beforeBreak = w.images()[0];
    r = await w.reload();
    const broken = r[0]!;
    assert.ok(broken.status === 'failed' && broken.servingSerial === 2);
    assert.match(describeResult(broken), /^a\.test\.: error: .*a\.zone:5:\d+: error: .*still serving serial 2/);
    const fixed = r[1]!;
    assert.ok(fixed.status === 'loaded' && fixed.previousSerial === null && fixed.serial === 2);
    assert.equal(w.images()[0], beforeBreak, 'a keeps serving its previous version');
    assert.equal(w.served, 2);
    const st = w.status();
    assert.equal(st[1]!.zone, 'error.example.');
    assert.equal(st[1]!.serial, 2);
    assert.ok(st[1]!.loadedAt !== null);
    assert.equal(st[0]!.last?.status, 'failed');
  } finally {
    await loader.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the image a worker reads is the memory the loader built: SharedArrayBuffer columns, no copy', { timeout: 30_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dunlin-zones-'));
  const loader = new ZoneLoader();
  try {
    const f = join(dir, 'a.zone');
    writeFileSync(f, zone(7, 'www IN A 192.0.2.80\n'));
    const reply = await loader.load({ zone: 'a.test.', file: f, fingerprint: null, background: false, previous: null });
    assert.equal(reply.status, 'built');
    if (reply.status !== 'built') return;
    assert.ok(reply.image.base.arena.buffer instanceof SharedArrayBuffer);
    const z = Zone.fromImage(reply.image);
    assert.equal(z.serial, 7);
    assert.ok(z.node(Name.fromText('www.a.test.').key));
    const again = await loader.load({ zone: 'a.test.', file: f, fingerprint: reply.fingerprint, background: true, previous: null });
    assert.equal(again.status, 'unchanged');
    const missing = await loader.load({ zone: 'b.test.', file: join(dir, 'nope.zone'), fingerprint: null, background: false, previous: null });
    assert.equal(missing.status, 'failed');
  } finally {
    await loader.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a full load queue answers at once with a failure, never grows', { timeout: 30_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dunlin-zones-'));
  const loader = new ZoneLoader(1);
  try {
    const f = join(dir, 'a.zone');
    writeFileSync(f, zone(1));
    const jobs = [1, 2, 3].map(() => loader.load({ zone: 'a.test.', file: f, fingerprint: null, background: false, previous: null }));
    const replies = await Promise.all(jobs);
    // The first runs, the second waits in the one queue slot, the third is refused.
    assert.deepEqual(replies.map((r) => r.status), ['built', 'built', 'failed']);
    const third = replies[2]!;
    assert.ok(third.status === 'failed' && /queue full/.test(third.errors[0]!));
  } finally {
    await loader.close();
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

test('reloads run one at a time: a full reload and a re-read zone list asked while one zone reloads each get their own turn', { timeout: 30_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dunlin-zones-'));
  const loader = new ZoneLoader();
  try {
    const a = join(dir, 'a.zone');
    const b = join(dir, 'b.zone');
    const c = join(dir, 'c.zone');
    for (const f of [a, b, c]) writeFileSync(f, zone(1));
    const w = new ZoneWriter([{ name: 'a.test.', file: a }, { name: 'b.test.', file: b }], log, loader);
    w.onPublish(() => Promise.resolve());
    await w.loadAll();
    writeFileSync(a, zone(2));
    writeFileSync(b, zone(2));
    const one = w.reloadZone('a.test.');
    const all = w.reload();
    const again = w.reload();
    const reconfigured = w.reload([{ name: 'b.test.', file: b }, { name: 'c.test.', file: c }]);
    assert.deepEqual((await one).map((r) => `${r.zone} ${r.status}`), ['a.test. loaded']);
    assert.deepEqual((await all).map((r) => `${r.zone} ${r.status}`), ['a.test. unchanged', 'b.test. loaded'], 'the full reload is not swallowed by the one-zone reload');
    assert.equal(await again, await all, 'a full reload asked while another waits shares it');
    assert.deepEqual((await reconfigured).map((r) => `${r.zone} ${r.status}`), ['a.test. removed', 'b.test. unchanged', 'c.test. loaded']);
    assert.deepEqual(w.status().map((s) => `${s.zone} ${s.serial ?? '-'}`), ['b.test. 2', 'c.test. 1']);
  } finally {
    await loader.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

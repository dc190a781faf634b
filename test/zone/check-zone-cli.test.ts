// Owns the tests of `dunlin check-zone` as a real process: output, origin defaulting, exit codes 0/1/2.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, dunlin, fixtures } from './helpers.ts';

const body = '@ SOA ns hm 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\nother.example.net. A 192.0.2.2\n';

test('check-zone: valid zone prints canonical records on stdout, warnings on stderr, exit 0', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dunlin-cz-'));
  try {
    // No $ORIGIN, relative SOA owner: the origin comes from the file name minus ".zone".
    writeFileSync(join(dir, 'fromname.test.zone'), '$TTL 60\n' + body);
    const r = dunlin([join(dir, 'fromname.test.zone')]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'fromname.test.\t60\tIN\tSOA\tns.fromname.test. hm.fromname.test. 1 2 3 4 5\nfromname.test.\t60\tIN\tNS\tns.fromname.test.\nns.fromname.test.\t60\tIN\tA\t192.0.2.1\n');
    assert.match(r.stderr, /fromname\.test\.zone:5:1: warning: other\.example\.net\. is out of zone fromname\.test\.: record ignored/);
    assert.match(r.stderr, /zone fromname\.test\.: 3 records, serial 1, 1 warning\(s\)/);

    // An absolute $ORIGIN wins over the file name; --origin wins over both.
    writeFileSync(join(dir, 'db.whatever'), '$ORIGIN declared.test.\n$TTL 60\n' + body);
    assert.match(dunlin([join(dir, 'db.whatever')]).stdout, /^declared\.test\.\t60\tIN\tSOA/);
    writeFileSync(join(dir, 'soa-owner.txt'), '$TTL 60\nsoa.test. SOA ns.soa.test. hm 1 2 3 4 5\nsoa.test. NS ns.soa.test.\nns.soa.test. A 192.0.2.1\n');
    assert.match(dunlin([join(dir, 'soa-owner.txt')]).stdout, /^soa\.test\.\t60\tIN\tSOA/);
    const o = dunlin([join(dir, 'fromname.test.zone'), '--origin', 'given.test']);
    assert.equal(o.status, 0, o.stderr);
    assert.match(o.stdout, /^given\.test\.\t60\tIN\tSOA\tns\.given\.test\./);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('check-zone: exit 1 for an invalid zone and for an unreadable file, nothing on stdout', () => {
  const r = dunlin([join(fixtures, 'all-types.zone'), '--origin', 'wrong.test']);
  assert.equal(r.status, 1);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /error: no SOA record at the zone apex wrong\.test\./);
  const m = dunlin(['/nonexistent/dir/x.zone']);
  assert.equal(m.status, 1);
  assert.match(m.stderr, /\/nonexistent\/dir\/x\.zone:0:0: error: cannot read zone file \(ENOENT\)/);
});

test('check-zone: exit 2 for usage errors, 0 for --help', () => {
  for (const args of [[], ['--bogus', 'x.zone'], ['a.zone', 'b.zone'], ['x.zone', '--origin'], ['x.zone', '--origin', 'a..b']]) {
    const r = dunlin(args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stdout, '');
    assert.ok(r.stderr.length > 0);
  }
  const h = dunlin(['--help']);
  assert.equal(h.status, 0);
  assert.match(h.stdout, /usage: dunlin check-zone <file> \[--origin NAME\]/);
});

test('check-zone: a reader that goes away early (| head) is not a crash; the exit code is still the verdict', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dunlin-cz-'));
  const lines = ['$ORIGIN pipe.test.', '$TTL 60', '@ SOA ns hm 1 2 3 4 5', '@ NS ns', 'ns A 192.0.2.1'];
  for (let i = 0; i < 40000; i++) lines.push(`h${i} TXT "padding padding padding padding padding ${i}"`);
  writeFileSync(join(dir, 'pipe.test.zone'), lines.join('\n') + '\n');
  const child = spawn(process.execPath, [cli, 'check-zone', join(dir, 'pipe.test.zone')], { stdio: ['ignore', 'pipe', 'pipe'] });
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  try {
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    assert.equal(code, 0, stderr);
    assert.doesNotMatch(stderr, /Unhandled|EPIPE/);
  } finally {
    clearTimeout(timer);
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

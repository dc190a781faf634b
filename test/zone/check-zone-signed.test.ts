// Owns the signed-zone tests of `dunlin check-zone`: record-for-record agreement with named-checkzone -D (RRSIG TTLs per covered type) and the DNSSEC warnings with file:line.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { typeToText } from '../../src/wire/constants.ts';
import { canonicalRdata } from '../../src/wire/registry.ts';
import type { ResourceRecord } from '../../src/wire/record.ts';
import { DNSSEC_FIX, signerAvailable, signZones } from '../conformance/signed-zones.ts';
import type { SignedZone } from '../conformance/signed-zones.ts';
import { dunlin, Name, parseOutput, run } from './helpers.ts';

/** Every record as `owner type ttl rdata-hex`, each with its own TTL: nothing is unified here. */
function exact(records: readonly ResourceRecord[]): string[] {
  return [...new Set(records.map((rr) => `${rr.name.toLowerCase().toText()} ${typeToText(rr.type)} ${rr.ttl} ${Buffer.from(canonicalRdata(rr.type, rr.rdata)).toString('hex')}`))].sort();
}

let signed: { dir: string; zones: SignedZone[] } | undefined;
let work = '';

before(() => {
  if (!signerAvailable()) return;
  signed = signZones();
  work = mkdtempSync(join(tmpdir(), 'dunlin-signcheck-'));
});

after(() => {
  if (signed) rmSync(signed.dir, { recursive: true, force: true });
  if (work) rmSync(work, { recursive: true, force: true });
});

test('check-zone of signed zones agrees with named-checkzone -D record for record, without warnings', (t) => {
  if (!signed) return t.skip('dnssec-signzone not installed');
  for (const z of signed.zones) {
    const origin = Name.fromText(`${z.origin}.`);
    const d = dunlin([z.file, '--origin', z.origin]);
    assert.equal(d.status, 0, d.stderr);
    assert.match(d.stderr, /0 warning\(s\)/, `${z.origin}: ${d.stderr}`);
    const b = run('named-checkzone', ['-D', '-q', '-o', '-', z.origin, z.file]);
    assert.equal(b.status, 0, b.stdout + b.stderr);
    const ours = exact(parseOutput(d.stdout, origin, 'dunlin'));
    const theirs = exact(parseOutput(b.stdout, origin, 'named-checkzone'));
    assert.ok(ours.length > 100);
    assert.deepEqual(ours, theirs);
    // The case of issue 12: alias CNAME 3600 keeps its RRSIG at 3600 beside the RRSIG(NSEC...) at 300.
    assert.ok(ours.some((l) => l.startsWith(`alias.${z.origin}. RRSIG 3600 0005`)), `${z.origin}: RRSIG(CNAME) keeps TTL 3600`);
  }
});

/** Signs the NSEC variant one record per line (-O full) with the given times, without the post-sign verification. */
function signFull(name: string, startEnd: [string, string] | null, edit: (lines: string[]) => string[]): string {
  const dir = join(work, name);
  execFileSync('mkdir', ['-p', dir]);
  const key = readdirSync(DNSSEC_FIX).find((f) => f.startsWith('Knsec.test.+') && f.endsWith('.key'))!.slice(0, -4);
  for (const ext of ['.key', '.private']) copyFileSync(join(DNSSEC_FIX, key + ext), join(dir, key + ext));
  writeFileSync(join(dir, 'in'), readFileSync(join(DNSSEC_FIX, 'signed.zone.in'), 'utf8') + readFileSync(join(DNSSEC_FIX, `${key}.key`), 'utf8'));
  const times = startEnd ? ['-s', startEnd[0], '-e', startEnd[1]] : [];
  execFileSync('dnssec-signzone', ['-q', '-P', '-O', 'full', '-K', dir, '-o', 'nsec.test', '-z', ...times, '-f', join(dir, 'zone'), '-d', dir, join(dir, 'in'), join(dir, key)], { stdio: ['ignore', 'ignore', 'pipe'] });
  const lines = edit(readFileSync(join(dir, 'zone'), 'utf8').split('\n'));
  writeFileSync(join(dir, 'zone'), lines.join('\n'));
  return join(dir, 'zone');
}

function warnings(file: string, origin = 'nsec.test'): string[] {
  const d = dunlin([file, '--origin', origin]);
  assert.equal(d.status, 0, d.stderr);
  return d.stderr.split('\n').filter((l) => l.includes(': warning: '));
}

test('check-zone warns about expired and not-yet-valid signatures at their file:line', (t) => {
  if (!signed) return t.skip('dnssec-signzone not installed');
  const expired = signFull('expired', ['20200101000000', '20200201000000'], (l) => l);
  const w = warnings(expired);
  const lines = readFileSync(expired, 'utf8').split('\n');
  const sigLines = lines.flatMap((l, i) => (/\sIN\s+RRSIG\s/.test(l) ? [i + 1] : []));
  assert.equal(w.filter((x) => /expired at 20200201000000/.test(x)).length, sigLines.length);
  assert.ok(w[0]!.startsWith(`${expired}:${sigLines[0]}:`), w[0]);
  const future = signFull('future', ['+31536000', '+63072000'], (l) => l);
  assert.ok(warnings(future).some((x) => /is not valid before \d{14}/.test(x)));
});

test('check-zone warns about a broken NSEC chain, unsigned RRsets and NSEC3 without NSEC3PARAM', (t) => {
  if (!signed) return t.skip('dnssec-signzone not installed');
  const broken = signFull('broken', null, (lines) => [
    ...lines.filter((l) => !/^alias\.nsec\.test\.\s.*\sNSEC\s/.test(l)),
    'unsigned.nsec.test. 600 IN TXT "no signature"',
  ]);
  const w = warnings(broken);
  assert.ok(w.some((x) => /alias\.nsec\.test\. has no NSEC: the NSEC chain is incomplete/.test(x)), w.join('\n'));
  assert.ok(w.some((x) => /_sip\._udp\.nsec\.test\. NSEC points to alias\.nsec\.test\., but the next name in canonical order is big\.nsec\.test\./.test(x)), w.join('\n'));
  const count = readFileSync(broken, 'utf8').split('\n').length;
  assert.ok(w.some((x) => x.startsWith(`${broken}:${count}:`) && /unsigned\.nsec\.test\. TXT has no RRSIG/.test(x)), w.join('\n'));
  // NSEC3 records without their NSEC3PARAM: the chain cannot be used.
  const z = signed.zones.find((x) => x.mode === 'nsec3')!;
  const text = execFileSync('named-checkzone', ['-D', '-q', '-o', '-', z.origin, z.file], { encoding: 'utf8' });
  const noParam = join(work, 'noparam.zone');
  writeFileSync(noParam, text.split('\n').filter((l) => !/\sNSEC3PARAM\s/.test(l)).join('\n'));
  assert.ok(warnings(noParam, z.origin).some((x) => /has NSEC3 records but no NSEC3PARAM at the apex/.test(x)));
});

// Owns the KO golden tests: each test/golden/zone/NN_topic.zone must fail with exactly the listed problems.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { guessOrigin, loadZoneFile, parseZoneText } from '../../src/zone/index.ts';
import { dunlin, golden, run } from './helpers.ts';

/**
 * NN_topic.expected holds one line per problem, in order: `file:line:col: severity: fragment`.
 * Position and severity must match exactly; the message must contain the fragment (fragments of
 * RDATA-codec messages are kept short so the wire layer may reword them).
 */
for (const f of readdirSync(golden).filter((x) => x.endsWith('.zone')).sort()) {
  test(`golden KO ${f}`, () => {
    const path = join(golden, f);
    const r = loadZoneFile(path, guessOrigin(readFileSync(path, 'latin1'), path));
    assert.deepEqual(r.records, [], 'a zone with errors must not be half-loaded');
    assert.equal(r.serial, null);
    assert.ok(r.errors.length > 0, 'expected errors');
    const actual = [...r.errors, ...r.warnings].map((p) => ({
      where: `${p.file.replace(golden + '/', '')}:${p.line}:${p.col}: ${p.severity}:`,
      message: p.message.replaceAll(golden + '/', ''),
    }));
    const expected = readFileSync(path.replace(/\.zone$/, '.expected'), 'utf8').trimEnd().split('\n').map((l) => {
      const m = /^(\S+:\d+:\d+: (?:error|warning):) (.*)$/.exec(l);
      assert.ok(m, `bad expected line ${l}`);
      return { where: m[1]!, fragment: m[2]! };
    });
    assert.deepEqual(actual.map((a) => a.where), expected.map((e) => e.where));
    for (let i = 0; i < expected.length; i++) {
      assert.ok(actual[i]!.message.includes(expected[i]!.fragment), `${expected[i]!.where} "${actual[i]!.message}" should contain "${expected[i]!.fragment}"`);
    }
  });
}

test('every KO golden zone is rejected by named-checkzone too (an independent opinion that each is broken)', () => {
  const rejected: string[] = [];
  const files = readdirSync(golden).filter((x) => x.endsWith('.zone')).sort();
  for (const f of files) {
    const origin = guessOrigin(readFileSync(join(golden, f), 'latin1'), join(golden, f)).toText();
    const b = run('named-checkzone', ['-q', origin, f], golden);
    if (b.status === 1) rejected.push(f);
  }
  assert.deepEqual(rejected, files);
});

test('golden KO through the CLI: exit 1, nothing on stdout, file:line:col on stderr', () => {
  const r = dunlin([join(golden, '01_bad_ipv4.zone')]);
  assert.equal(r.status, 1);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /01_bad_ipv4\.zone:8:5: error: .*"10\.0\.0\.256"/);
  assert.match(r.stderr, /01_bad_ipv4\.zone:13:5: error: /);
});

test('parseZoneText alone rejects the whole zone on one bad record', () => {
  const text = '$ORIGIN ko.test.\n$TTL 60\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\nbad A 1.2.3.999\n';
  const r = parseZoneText(text, { origin: guessOrigin(text, 'x'), file: 'mem.zone' });
  assert.equal(r.records.length, 0);
  assert.equal(r.positions.length, 0);
  assert.equal(r.errors.length, 1);
  assert.equal(`${r.errors[0]!.file}:${r.errors[0]!.line}:${r.errors[0]!.col}`, 'mem.zone:6:7');
});

// Owns direct tests of lookup(): chain bounds, wildcard edge cases and zone choice, on small inline zones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lookup, MAX_CHAIN } from '../../src/lookup/index.ts';
import type { Answer } from '../../src/lookup/index.ts';
import { ZoneSet } from '../../src/store/index.ts';
import { Name } from '../../src/wire/name.ts';
import { Rcode, RRType } from '../../src/wire/constants.ts';
import { zoneFromText } from './zone-text.ts';

const HEAD = '$TTL 300\n@ SOA ns h 1 2 3 4 50\n@ NS ns\nns A 192.0.2.1\n';
const ask = (zs: ZoneSet, name: string, type: number): Answer => lookup(zs, Name.fromText(name), type);
const owners = (items: Answer['answer']): string[] => items.map((i) => `${i.owner.toText().toLowerCase()} ${i.rrset.type}`);

test(`a loop-free CNAME chain stops after ${MAX_CHAIN} links`, () => {
  const links = Array.from({ length: 40 }, (_, i) => `c${i} CNAME c${i + 1}`).join('\n');
  const zs = new ZoneSet([zoneFromText(`${HEAD}${links}\nc40 A 192.0.2.9\n`, 'chain.test.')]);
  const a = ask(zs, 'c0.chain.test.', RRType.A);
  assert.equal(a.answer.length, MAX_CHAIN);
  assert.ok(a.answer.every((i) => i.rrset.type === RRType.CNAME));
  assert.equal(a.rcode, Rcode.NOERROR);
  const short = ask(zs, 'c30.chain.test.', RRType.A);
  assert.equal(short.answer.length, 11);
  assert.equal(short.answer.at(-1)!.rrset.type, RRType.A);
});

test('a wildcard that is itself an empty non-terminal gives NODATA (RFC 4592 §4.1)', () => {
  const zs = new ZoneSet([zoneFromText(`${HEAD}a.*.w A 192.0.2.2\n`, 'wc.test.')]);
  const a = ask(zs, 'x.w.wc.test.', RRType.A);
  assert.equal(a.rcode, Rcode.NOERROR);
  assert.equal(a.answer.length, 0);
  assert.deepEqual(owners(a.authority), ['wc.test. 6']);
  assert.equal(a.authority[0]!.rrset.ttl, 50);
  // The explicit child of the wildcard still answers, and the literal * owner is a name like others.
  assert.equal(ask(zs, 'a.*.w.wc.test.', RRType.A).answer.length, 1);
});

test('a wildcard does not cross a zone cut or a DNAME (RFC 4592 §4.2, RFC 6672 §3.2)', () => {
  const zs = new ZoneSet([zoneFromText(`${HEAD}*.x A 192.0.2.3\ncut.x NS ns.elsewhere.test.\n*.cut.x A 192.0.2.4\nd.x DNAME t.wc.test.\n`, 'wc.test.')]);
  const below = ask(zs, 'a.cut.x.wc.test.', RRType.A);
  assert.equal(below.aa, false, 'referral');
  assert.deepEqual(owners(below.authority), ['cut.x.wc.test. 2']);
  const dn = ask(zs, 'a.d.x.wc.test.', RRType.A);
  assert.deepEqual(owners(dn.answer).slice(0, 2), ['d.x.wc.test. 39', 'a.d.x.wc.test. 5']);
  assert.equal(ask(zs, 'other.x.wc.test.', RRType.A).answer[0]!.owner.toText(), 'other.x.wc.test.');
});

test('REFUSED outside every zone; the root zone contains everything', () => {
  const zs = new ZoneSet([zoneFromText(HEAD, 'only.test.')]);
  const r = ask(zs, 'x.other.test.', RRType.A);
  assert.equal(r.rcode, Rcode.REFUSED);
  assert.equal(r.aa, false);
  const root = new ZoneSet([zoneFromText('$TTL 300\n@ SOA a.root. h 1 2 3 4 5\n@ NS a.root.\na.root. A 192.0.2.1\n', '.')]);
  assert.equal(ask(root, 'anything.example.', RRType.A).rcode, Rcode.NXDOMAIN);
  assert.equal(ask(root, '.', RRType.SOA).answer.length, 1);
  assert.equal(ask(root, '.', RRType.DS).rcode, Rcode.NOERROR, 'DS at the root apex is answered by the root itself');
});

test('SERVFAIL under a configured zone without a version, also below a served parent; a served child of it still answers', () => {
  const key = (n: string): string => Name.fromText(n).key;
  const zs = new ZoneSet([zoneFromText(HEAD, 'parent.test.'), zoneFromText(HEAD, 'ok.broken.parent.test.')], [key('broken.parent.test.'), key('gone.test.')]);
  for (const name of ['broken.parent.test.', 'www.broken.parent.test.', 'GONE.test.', 'a.b.gone.test.']) {
    const r = ask(zs, name, RRType.A);
    assert.equal(r.rcode, Rcode.SERVFAIL, name);
    assert.equal(r.aa, false);
  }
  assert.notEqual(ask(zs, 'www.parent.test.', RRType.A).rcode, Rcode.SERVFAIL);
  assert.notEqual(ask(zs, 'x.ok.broken.parent.test.', RRType.A).rcode, Rcode.SERVFAIL, 'a deeper served zone wins');
  assert.equal(ask(zs, 'other.test.', RRType.A).rcode, Rcode.REFUSED);
  assert.equal(zs.with(zoneFromText(HEAD, 'x.test.')).hasUnserved, true, 'with() keeps the unserved names');
});

test('DS at a child apex without the parent is answered by the child (NODATA)', () => {
  const zs = new ZoneSet([zoneFromText(HEAD, 'child.parent.test.')]);
  const a = ask(zs, 'child.parent.test.', RRType.DS);
  assert.equal(a.rcode, Rcode.NOERROR);
  assert.equal(a.zone?.origin.toText(), 'child.parent.test.');
  assert.deepEqual(owners(a.authority), ['child.parent.test. 6']);
});

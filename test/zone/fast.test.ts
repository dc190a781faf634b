// Owns the tests of the RDATA fast paths: octet for octet what the codecs produce, and the codecs' errors for anything else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RRType } from '../../src/wire/constants.ts';
import { Name } from '../../src/wire/name.ts';
import { rdataFromText } from '../../src/wire/registry.ts';
import { fastRdata, plainNameInto } from '../../src/zone/fast.ts';
import type { Token } from '../../src/zone/lexer.ts';
import { parseZoneText } from '../../src/zone/parser.ts';

const origin = Name.fromText('example.com.');
const out = new Uint8Array(65536);

function tokens(texts: readonly string[], quoted = false): Token[] {
  return texts.map((text, i) => ({ text, quoted, line: 1, col: i + 1 }));
}

/** The fast path either declines (-1) or produces exactly the codec's octets; when the codec rejects, it must decline. */
function agrees(type: number, toks: Token[]): boolean {
  const n = fastRdata(type, toks, 0, origin, out);
  let want: Uint8Array | null;
  try {
    want = rdataFromText(type, toks, origin);
  } catch {
    want = null;
  }
  if (n < 0) return true;
  assert.ok(want, `fast path accepted ${JSON.stringify(toks.map((t) => t.text))} for type ${type}; the codec rejects it`);
  assert.deepEqual([...out.subarray(0, n)], [...want], `octets for ${JSON.stringify(toks.map((t) => t.text))}`);
  return true;
}

test('fast paths take the common forms', () => {
  assert.equal(fastRdata(RRType.A, tokens(['192.0.2.1']), 0, origin, out), 4);
  assert.equal(fastRdata(RRType.AAAA, tokens(['2001:db8::1']), 0, origin, out), 16);
  assert.equal(fastRdata(RRType.MX, tokens(['10', 'mail']), 0, origin, out), 2 + 5 + 13);
  assert.equal(fastRdata(RRType.TXT, tokens(['v=spf1 -all', '']), 0, origin, out), 13);
  assert.equal(fastRdata(RRType.CNAME, tokens(['www.example.net.']), 0, origin, out), 17);
  // Escapes, @, quoted names, embedded IPv4 and generic RDATA go to the codec.
  for (const [type, t] of [[RRType.A, '\\#'], [RRType.CNAME, '@'], [RRType.NS, 'a\\.b'], [RRType.AAAA, '::ffff:192.0.2.1'], [RRType.TXT, 'a\\"b']] as const) {
    assert.equal(fastRdata(type, tokens([t]), 0, origin, out), -1, t);
  }
  assert.equal(fastRdata(RRType.CNAME, tokens(['www'], true), 0, origin, out), -1);
  assert.equal(plainNameInto('a..b', origin, out, 0), -1);
});

test('fixed edge cases agree with the codecs', () => {
  const a = ['0.0.0.0', '255.255.255.255', '256.1.1.1', '01.2.3.4', '1.2.3', '1.2.3.4.', '1.2.3.4.5', '1..2.3', '1.2.3.4a', ''];
  for (const s of a) agrees(RRType.A, tokens([s]));
  const aaaa = ['::', '::1', '1::', '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7::', '::2:3:4:5:6:7:8', '1::2:3:4:5:6:7:8', ':1', '1:', '1:::2', '1::2::3',
    ':::', '12345::', 'g::', 'ABCD:ef01::', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', '0000:0000::0'];
  for (const s of aaaa) agrees(RRType.AAAA, tokens([s]));
  for (const p of ['0', '65535', '65536', '010', '99999', '1e3', '']) agrees(RRType.MX, tokens([p, 'mx']));
  agrees(RRType.TXT, tokens(['x'.repeat(255)]));
  agrees(RRType.TXT, tokens(['x'.repeat(256)]));
  agrees(RRType.TXT, tokens(Array.from({ length: 300 }, () => 'y'.repeat(255))));
  for (const s of ['a', 'a.', 'a.b.c', 'x'.repeat(63), 'x'.repeat(64), `${'x'.repeat(63)}.`.repeat(4), '*.w', '_dmarc', '-']) agrees(RRType.NS, tokens([s]));
});

test('random tokens: the fast path never disagrees with the codecs', () => {
  const hexish = fc.stringMatching(/^[0-9a-fA-F:.g]{0,20}$/);
  const dotted = fc.stringMatching(/^[0-9.]{0,18}$/);
  const name = fc.stringMatching(/^[a-zA-Z0-9.*_\\@-]{0,70}$/);
  const text = fc.string({ maxLength: 40 });
  fc.assert(fc.property(dotted, (s) => agrees(RRType.A, tokens([s]))), { numRuns: 2000 });
  fc.assert(fc.property(hexish, (s) => agrees(RRType.AAAA, tokens([s]))), { numRuns: 3000 });
  fc.assert(fc.property(fc.integer({ min: 0, max: 0xffff }).map((v) => {
    const b = new Uint8Array([v >>> 8, v & 255]);
    return `${b[0]!.toString(16)}::${b[1]!.toString(16)}`;
  }), (s) => agrees(RRType.AAAA, tokens([s]))));
  fc.assert(fc.property(name, (s) => agrees(RRType.CNAME, tokens([s]))), { numRuns: 2000 });
  fc.assert(fc.property(fc.stringMatching(/^[0-9]{0,6}$/), name, (p, s) => agrees(RRType.MX, tokens([p, s]))), { numRuns: 1000 });
  fc.assert(fc.property(fc.array(text, { maxLength: 4 }), fc.boolean(), (ts, q) => agrees(RRType.TXT, tokens(ts, q))), { numRuns: 2000 });
});

test('whole-line fast path: the same records, problems and positions as the lexer path', () => {
  // A comment sends a line off the fast path without changing its meaning, so every generated
  // zone is parsed twice: as written (fast path where it applies) and with " ;" on each line.
  const owner = fc.constantFrom('"q"', 'www', 'WWW', 'a.b', 'x.example.com.', 'x.Example.COM.', '@', '*', 'a..b', 'ns1', 'h-1_x', 'www', 'é', 'a\\.b');
  const ttl = fc.constantFrom('', '300 ', '0 ', '2147483647 ', '2147483648 ', '1h ', '99999999999 ', '300 300 ');
  const cls = fc.constantFrom('', 'IN ', 'in ', 'iN ', 'CH ', 'IN IN ');
  const rr = fc.constantFrom(
    'A 192.0.2.1', 'a 10.0.0.1', 'A 01.2.3.4', 'A 256.0.0.1', 'A 1.2.3.4 5', 'A', 'AAAA 2001:db8::1', 'aaaa ::', 'AAAA ::ffff:1.2.3.4', 'AAAA 1::2::3',
    'NS ns1', 'NS ns1.example.net.', 'NS @', 'CNAME www', 'cname a..b', 'PTR host', 'MX 10 mail', 'MX 65536 mail', 'MX 1x mail', 'MX 10',
    'TXT hello world', 'TXT x', 'TXT', 'TXT "a b" c', 'TXT "" ""', 'TXT "x;y(z)"', 'TXT "a\\"b"', 'TXT "a"b', 'TXT "unterminated', 'TXT "é"', 'A "192.0.2.1"',
    'TXT "' + 'x'.repeat(255) + '"', 'TXT "' + 'x'.repeat(256) + '"', '"1" A 192.0.2.1', 'MX 10 "mail"', 'SOA ns1 h 1 2 3 4 5', 'HINFO a b', 'TYPE1 192.0.2.9', 'A\t192.0.2.3',
  );
  const line = fc.tuple(owner, ttl, cls, rr).map(([o, t, c, r]) => `${o} ${t}${c}${r}`);
  const blank = fc.constantFrom('\tA 192.0.2.7', '', '$TTL 60', '; comment', 'www 60 IN A 192.0.2.8\r');
  const zone = fc.array(fc.oneof({ arbitrary: line, weight: 5 }, { arbitrary: blank, weight: 1 }), { minLength: 1, maxLength: 12 });
  fc.assert(fc.property(fc.boolean(), zone, (withTtl, lines) => {
    const head = `${withTtl ? '$TTL 3600\n' : ''}@ SOA ns1 hostmaster 1 7200 3600 1209600 300\n`;
    const fast = head + lines.join('\n') + '\n';
    const slow = head + lines.map((l) => (l.startsWith('$') || l.endsWith('\r') ? l : `${l} ;`)).join('\n') + '\n';
    const a = parseZoneText(fast, { origin, file: 'f.zone' });
    const b = parseZoneText(slow, { origin, file: 'f.zone' });
    assert.deepEqual(a.errors, b.errors);
    assert.deepEqual(a.warnings, b.warnings);
    assert.deepEqual(a.records, b.records);
    for (let i = 0; i < a.records.length; i++) assert.deepEqual(a.positions.get(i), b.positions.get(i));
  }), { numRuns: 1500 });
});

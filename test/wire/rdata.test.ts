// Tests every RDATA codec: text -> wire -> text gives the exact canonical text, wire round trips, RFC 3597 forms, bad input errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Name } from '../../src/wire/name.ts';
import { Reader } from '../../src/wire/reader.ts';
import { Writer } from '../../src/wire/writer.ts';
import { TextError } from '../../src/wire/errors.ts';
import { typeFromText } from '../../src/wire/constants.ts';
import { isKnownType, rdataFromText, rdataFromWire, rdataToText, writeRdata } from '../../src/wire/registry.ts';
import { CASES } from './cases.ts';
import { hex, tokens } from './helpers.ts';

const origin = Name.fromText('example.com.');

for (const c of CASES) {
  test(`${c.type} ${c.text.slice(0, 60)}`, () => {
    const type = typeFromText(c.type)!;
    assert.ok(isKnownType(type), `${c.type} has a codec`);
    const bytes = rdataFromText(type, tokens(c.text), origin);
    if (c.hex !== undefined) assert.equal(hex(bytes), c.hex);
    const text = rdataToText(type, bytes);
    assert.equal(text, c.expect ?? c.text);
    // The printed text parses back to the same octets.
    assert.equal(hex(rdataFromText(type, tokens(text), origin)), hex(bytes));
    // Wire: write into a message then decode back (uncompressed result identical).
    const w = new Writer();
    writeRdata(w, type, bytes);
    const r = new Reader(w.toBytes());
    assert.equal(hex(rdataFromWire(type, r, w.pos)), hex(bytes));
    // RFC 3597 §5: the generic form of a known type parses to the same RDATA.
    const generic = `\\# ${bytes.length} ${hex(bytes)}`;
    assert.equal(hex(rdataFromText(type, tokens(generic), origin)), hex(bytes));
  });
}

test('RFC 3597: A \\# 4 0A000001 is 10.0.0.1; unknown types print generically', () => {
  assert.equal(rdataToText(1, rdataFromText(1, tokens('\\# 4 0A000001'), origin)), '10.0.0.1');
  const u = rdataFromText(65280, tokens('\\# 3 abcdef'), origin);
  assert.equal(rdataToText(65280, u), '\\# 3 ABCDEF');
  assert.equal(rdataToText(65280, rdataFromText(65280, tokens('\\# 0'), origin)), '\\# 0');
  assert.throws(() => rdataFromText(1, tokens('\\# 5 0A00000102'), origin), TextError);
  assert.throws(() => rdataFromText(65280, tokens('\\# 2 abcdef'), origin), TextError);
  assert.throws(() => rdataFromText(65280, tokens('abc'), origin), TextError);
});

const bad: [string, string][] = [
  ['A', '256.0.0.1'], ['A', '1.2.3'], ['A', '01.2.3.4'], ['A', '1.2.3.4 5'], ['AAAA', '1::2::3'], ['AAAA', '12345::'],
  ['MX', '70000 mail'], ['MX', '10'], ['TXT', ''], ['TXT', '"' + 'x'.repeat(256) + '"'], ['TXT', '"\\256"'],
  ['SOA', 'a b 1 2 3 4'], ['SOA', 'a b 1 2 3 4 1x'], ['DS', '1 2 3 ABC'], ['DS', '1 8 2 ABCD'], ['DS', '1 8 1 ' + 'AB'.repeat(32)], ['NSAP', '47.0005'], ['NSAP', '0x'], ['DNSKEY', '256 3 8 AAA'], ['DNSKEY', '256 3 8 A===' ],
  ['NSEC3', '1 0 0 - 2T7B4G4VSA5SMI47K61MV5BV1A22BOJW'], ['NSEC', 'a.example. BOGUS'], ['RRSIG', 'A 8 3 86400 20241301000000 20240101000000 1 . AA=='],
  ['LOC', '91 0 0 N 0 E 0'], ['LOC', '10 0 0 X 0 E 0'], ['SVCB', '1 foo. alpn=h2 alpn=h3'], ['SVCB', '1 foo. mandatory=port'],
  ['SVCB', '1 foo. no-default-alpn'], ['SVCB', '1 foo. port=65536'], ['SVCB', '1 foo. mandatory=mandatory'], ['SVCB', '1 foo. bogus=1'],
  ['SVCB', '1 foo. key65535'], ['SVCB', '1 foo. alpn=h2 mandatory=alpn,alpn'], ['CAA', '0 is-sue "x"'], ['APL', '1:1.2.3.4/33'], ['APL', '3:1.2.3.4/8'],
  ['EUI48', '00-00-5e-00-53'], ['IPSECKEY', '10 0 2 1.2.3.4 AA=='], ['IPSECKEY', '10 4 2 . AA=='], ['HINFO', 'one'], ['CNAME', 'a..b'],
  ['NS', 'x'.repeat(64) + '.'], ['URI', '1 2'], ['SSHFP', '1 1 ABC'],
];
for (const [type, text] of bad) {
  test(`rejects ${type} "${text.slice(0, 40)}"`, () => {
    assert.throws(() => rdataFromText(typeFromText(type)!, tokens(text), origin), TextError);
  });
}

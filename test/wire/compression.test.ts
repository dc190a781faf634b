// Tests that RDATA names are compressed only for the RFC 1035 types and decompressed only where RFC 3597 §4 allows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Name } from '../../src/wire/name.ts';
import { Reader } from '../../src/wire/reader.ts';
import { WireError } from '../../src/wire/errors.ts';
import { typeFromText } from '../../src/wire/constants.ts';
import { canonicalRdata, rdataFromText, rdataFromWire, rdataNames, rdataTargetName } from '../../src/wire/registry.ts';
import { decodeMessage, encodeMessage } from '../../src/wire/message.ts';
import { hex, tokens } from './helpers.ts';

const origin = Name.fromText('example.com.');
// RFC 1035 types in everyday use; MD, MF, MB, MG, MR, MINFO are decompressed but not compressed (see rdata/basic.ts).
const COMPRESSED = ['NS', 'CNAME', 'SOA', 'PTR', 'MX'];
const samples: [string, string][] = [
  ['NS', 'ns.example.com.'], ['CNAME', 'x.example.com.'], ['SOA', 'ns.example.com. h.example.com. 1 2 3 4 5'], ['PTR', 'p.example.com.'],
  ['MX', '1 mx.example.com.'], ['MD', 'md.example.com.'], ['MF', 'mf.example.com.'], ['MB', 'mb.example.com.'], ['MG', 'mg.example.com.'], ['MR', 'mr.example.com.'], ['MINFO', 'a.example.com. b.example.com.'],
  ['SRV', '1 2 3 srv.example.com.'], ['RP', 'a.example.com. b.example.com.'], ['AFSDB', '1 afs.example.com.'], ['RT', '1 rt.example.com.'],
  ['PX', '1 a.example.com. b.example.com.'], ['NAPTR', '1 1 "" "" "" n.example.com.'], ['KX', '1 kx.example.com.'], ['DNAME', 'example.com.'],
  ['NSEC', 'n.example.com. A'], ['RRSIG', 'A 8 2 1 1 1 1 example.com. AA=='], ['SVCB', '1 svc.example.com.'], ['HTTPS', '1 svc.example.com.'],
  ['LP', '1 lp.example.com.'], ['NSAP-PTR', 'nsap.example.com.'], ['IPSECKEY', '1 3 0 gw.example.com.'], ['AMTRELAY', '1 0 3 r.example.com.'],
];

test('only NS, CNAME, SOA, PTR and MX get compression pointers inside RDATA', () => {
  for (const [t, text] of samples) {
    const type = typeFromText(t)!;
    const rdata = rdataFromText(type, tokens(text), origin);
    const bytes = encodeMessage({
      id: 1, flags: 0x8000, opcode: 0, rcode: 0, questions: [{ name: origin, type, class: 1 }],
      answers: [{ name: origin, type, class: 1, ttl: 1, rdata }], authority: [], additional: [], edns: null,
    });
    // Header 12 + question (13 + 4) + owner pointer 2 + type/class/ttl 8 = 39: RDLENGTH, then RDATA.
    const rdlen = (bytes[39]! << 8) | bytes[40]!;
    const onWire = bytes.subarray(41, 41 + rdlen);
    if (COMPRESSED.includes(t)) {
      assert.ok(rdlen < rdata.length, `${t} should be compressed`);
      assert.ok(onWire.some((b, i) => (b & 0xc0) === 0xc0 && i + 1 < onWire.length), `${t} has a pointer`);
    } else {
      assert.equal(hex(onWire), hex(rdata), `${t} must not be compressed`);
    }
    assert.equal(hex(decodeMessage(bytes).answers[0]!.rdata), hex(rdata), `${t} decodes back`);
  }
});

/** A message prefix holding example.com at offset 0, then RDATA at offset 13 with a pointer c000. */
function withPointer(prefixHex: string, suffixHex = ''): [Reader, number] {
  const m = Uint8Array.from(Buffer.from('076578616d706c6503636f6d00' + prefixHex + 'c000' + suffixHex, 'hex'));
  return [new Reader(m, 13), m.length - 13];
}

test('receivers follow pointers for RFC 1035 types and RP, AFSDB, RT, PX, NAPTR, SRV (RFC 3597 §4)', () => {
  const allowed: [string, string, string][] = [
    ['NS', '', 'example.com.'], ['MX', '000a', '10 example.com.'], ['MB', '', 'example.com.'], ['MINFO', '0161c000', 'a.example.com. example.com.'], ['SRV', '000100020003', '1 2 3 example.com.'], ['AFSDB', '0001', '1 example.com.'],
    ['RT', '0001', '1 example.com.'], ['NAPTR', '00010001000000', '1 1 "" "" "" example.com.'], ['RP', '0161c000', 'a.example.com. example.com.'],
  ];
  for (const [t, pre, text] of allowed) {
    const type = typeFromText(t)!;
    const [r, len] = withPointer(pre);
    assert.equal(hex(rdataFromWire(type, r, len)), hex(rdataFromText(type, tokens(text), origin)), t);
  }
});

test('pointers inside RDATA of other types are errors', () => {
  const denied: [string, string, string][] = [
    ['DNAME', '', ''], ['KX', '0001', ''], ['NSEC', '', '000140'], ['SVCB', '0001', ''], ['HTTPS', '0001', ''], ['LP', '0001', ''],
    ['RRSIG', '00010802000000010000000100000001' + '0001', '00'], ['NSAP-PTR', '', ''],
  ];
  for (const [t, pre, suf] of denied) {
    const [r, len] = withPointer(pre, suf);
    assert.throws(() => rdataFromWire(typeFromText(t)!, r, len), (e: unknown) => e instanceof WireError && e.code === 'DUNLIN_ERR_WIRE_BAD_POINTER', t);
  }
});

test('RDATA must consume exactly RDLENGTH', () => {
  const m = Uint8Array.from(Buffer.from('000a00' + 'ff', 'hex'));
  assert.throws(() => rdataFromWire(15, new Reader(m), 4), (e: unknown) => e instanceof WireError && e.code === 'DUNLIN_ERR_WIRE_TRAILING');
  assert.throws(() => rdataFromWire(15, new Reader(m), 2), WireError);
  assert.throws(() => rdataFromWire(1, new Reader(Uint8Array.of(1, 2, 3, 4, 5)), 5), WireError);
  assert.throws(() => rdataFromWire(16, new Reader(Uint8Array.of(5, 0x61)), 2), WireError);
});

test('target names for additional-section processing', () => {
  const t = (type: string, text: string): string | null => rdataTargetName(typeFromText(type)!, rdataFromText(typeFromText(type)!, tokens(text), origin))?.toText() ?? null;
  assert.equal(t('NS', 'ns1'), 'ns1.example.com.');
  assert.equal(t('MX', '10 mx'), 'mx.example.com.');
  assert.equal(t('MX', '0 .'), null, 'RFC 7505 null MX');
  assert.equal(t('CNAME', '.'), '.');
  assert.equal(t('SRV', '1 1 1 srv'), 'srv.example.com.');
  assert.equal(t('SRV', '1 1 1 .'), null);
  assert.equal(t('NAPTR', '1 1 "" "" "" .'), null);
  assert.equal(t('NAPTR', '1 1 "s" "" "" r'), 'r.example.com.');
  assert.equal(t('SVCB', '1 .'), null);
  assert.equal(t('HTTPS', '1 svc alpn=h2'), 'svc.example.com.');
  assert.equal(t('KX', '1 kx'), 'kx.example.com.');
  assert.equal(t('AFSDB', '1 afs'), 'afs.example.com.');
  assert.equal(t('RT', '1 rt'), 'rt.example.com.');
  assert.equal(t('DNAME', 'other.'), 'other.');
  assert.equal(t('CNAME', 'c'), 'c.example.com.');
  assert.equal(t('PTR', 'p'), 'p.example.com.');
  assert.equal(t('A', '1.2.3.4'), null);
  assert.equal(t('SOA', 'a b 1 2 3 4 5'), null);
  assert.equal(rdataTargetName(65000, new Uint8Array(0)), null);
});

test('rdataNames lists every embedded name; canonicalRdata lower-cases only the RFC 4034 §6.2 types', () => {
  const soa = rdataFromText(6, tokens('NS.Example.COM. Host.Example.COM. 1 2 3 4 5'), origin);
  assert.deepEqual(rdataNames(6, soa).map((n) => n.toText()), ['NS.Example.COM.', 'Host.Example.COM.']);
  assert.equal(rdataNames(6, canonicalRdata(6, soa)).map((n) => n.toText()).join(' '), 'ns.example.com. host.example.com.');
  const nsec = rdataFromText(47, tokens('Next.Example.COM. A'), origin);
  assert.equal(hex(canonicalRdata(47, nsec)), hex(nsec), 'NSEC keeps case (RFC 6840 §5.1)');
  const rrsig = rdataFromText(46, tokens('A 8 2 1 1 1 1 Example.COM. AA=='), origin);
  assert.deepEqual(rdataNames(46, canonicalRdata(46, rrsig)).map((n) => n.toText()), ['example.com.']);
  const svcb = rdataFromText(64, tokens('1 Svc.Example.COM.'), origin);
  assert.equal(hex(canonicalRdata(64, svcb)), hex(svcb), 'types newer than RFC 3597 keep case');
  const srv = rdataFromText(33, tokens('1 1 1 Srv.Example.COM.'), origin);
  assert.deepEqual(rdataNames(33, canonicalRdata(33, srv)).map((n) => n.toText()), ['srv.example.com.']);
  const hip = rdataFromText(55, tokens('2 0011 AQID a.example. b.example.'), origin);
  assert.deepEqual(rdataNames(55, hip).map((n) => n.toText()), ['a.example.', 'b.example.']);
});

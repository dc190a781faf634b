// Tests our encoder against an independent decoder (dns-packet): header, EDNS and every record type dns-packet knows agree field by field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dnsPacket from 'dns-packet';
import { Name } from '../../src/wire/name.ts';
import { typeFromText } from '../../src/wire/constants.ts';
import { rdataFromText, rdataToText } from '../../src/wire/registry.ts';
import { decodeMessage, encodeMessage, type Message } from '../../src/wire/message.ts';
import { CASES } from './cases.ts';
import { hex, tokens } from './helpers.ts';

const origin = Name.fromText('example.com.');
const SUPPORTED = new Set(['A', 'AAAA', 'CAA', 'CNAME', 'DNAME', 'DNSKEY', 'DS', 'HINFO', 'MX', 'NAPTR', 'NS', 'NSEC', 'NSEC3', 'PTR', 'RP', 'RRSIG', 'SOA', 'SRV', 'SSHFP', 'TLSA', 'TXT']);
const cases = CASES.filter((c) => SUPPORTED.has(c.type));

function build(): Message {
  return {
    id: 4242, flags: 0x8580, opcode: 0, rcode: 3,
    questions: [{ name: origin, type: 255, class: 1 }],
    answers: cases.map((c) => ({ name: Name.fromText(`${c.type.toLowerCase()}.example.com.`), type: typeFromText(c.type)!, class: 1, ttl: 3600, rdata: rdataFromText(typeFromText(c.type)!, tokens(c.text), origin) })),
    authority: [],
    additional: [],
    edns: { udpSize: 4096, extendedRcode: 0, version: 0, dnssecOk: true, flags: 0x8000, options: [{ code: 10, data: Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]) }] },
  };
}

// dns-packet exports its per-type codecs as record(type), which its typings leave out.
const recordCodec = (t: string): { encode(d: unknown): Buffer } =>
  (dnsPacket as unknown as { record(t: string): { encode(d: unknown): Buffer } }).record(t);
const abs = (n: string): string => (n.endsWith('.') ? n : n + '.');
// dns-packet spells types it has no name for as UNKNOWN_n; RFC 3597 §5 says TYPEn.
const ty = (s: unknown): string => String(s).replace(/^UNKNOWN_(\d+)$/, 'TYPE$1');

test('dns-packet decodes the header, question and EDNS we encode', () => {
  const bytes = encodeMessage(build());
  const p = dnsPacket.decode(Buffer.from(bytes));
  assert.equal(p.id, 4242);
  assert.equal(p.flags, 0x0580 | 3);
  assert.equal(p.type, 'response');
  assert.equal(p.questions?.[0]?.name, 'example.com');
  assert.equal(p.answers?.length, cases.length);
  const opt = p.additionals?.[0] as dnsPacket.OptAnswer | undefined;
  assert.equal(opt?.type, 'OPT');
  assert.equal(opt.udpPayloadSize, 4096);
  assert.equal(opt.flags & 0x8000, 0x8000);
  assert.equal(hex(opt.options[0]!.data as Buffer), '0102030405060708');
});

test('every record dns-packet knows decodes to the same fields, and re-encodes to our RDATA', () => {
  const msg = build();
  const p = dnsPacket.decode(Buffer.from(encodeMessage(msg)));
  const answers = p.answers ?? [];
  assert.equal(answers.length, msg.answers.length);
  let checked = 0;
  answers.forEach((a, i) => {
    const mine = msg.answers[i]!;
    const c = cases[i]!;
    assert.equal(a.type, c.type);
    assert.equal(abs(a.name), mine.name.toText());
    const d = (a as { data: unknown }).data as Record<string, unknown> & string;
    const text = rdataToText(mine.type, mine.rdata);
    const f = text.split(' ');
    switch (c.type) {
      case 'A': case 'AAAA': assert.equal(d, text); break;
      case 'NS': case 'CNAME': case 'PTR': case 'DNAME': assert.equal(abs(d), text); break;
      case 'MX': assert.equal(d['preference'], Number(f[0])); assert.equal(abs(d['exchange'] as string), f[1]); break;
      case 'SRV': assert.deepEqual([d['priority'], d['weight'], d['port'], abs(d['target'] as string)], [Number(f[0]), Number(f[1]), Number(f[2]), f[3]]); break;
      case 'SOA':
        assert.equal(abs(d['mname'] as string), f[0]);
        assert.equal(abs(d['rname'] as string), f[1]);
        assert.deepEqual([d['serial'], d['refresh'], d['retry'], d['expire'], d['minimum']], f.slice(2).map(Number));
        break;
      case 'TXT': {
        const mineStrings: string[] = [];
        let p2 = 0;
        while (p2 < mine.rdata.length) { mineStrings.push(hex(mine.rdata.subarray(p2 + 1, p2 + 1 + mine.rdata[p2]!))); p2 += 1 + mine.rdata[p2]!; }
        assert.deepEqual((d as unknown as Buffer[]).map((b) => hex(b)), mineStrings);
        break;
      }
      case 'CAA': assert.equal(d['tag'], f[1]); assert.equal(d['flags'], Number(f[0])); break;
      case 'DS': assert.equal(d['keyTag'], Number(f[0])); assert.equal((d['digest'] as Buffer).toString('hex').toUpperCase(), f[3]); break;
      case 'DNSKEY': assert.equal(d['flags'], Number(f[0])); assert.equal((d['key'] as Buffer).toString('base64'), f[3]); break;
      case 'RRSIG': assert.equal(ty(d['typeCovered']), f[0]); assert.equal(abs(d['signersName'] as string), f[7]); assert.equal((d['signature'] as Buffer).toString('base64'), f[8]); break;
      case 'NSEC': assert.equal(abs(d['nextDomain'] as string), f[0]); assert.deepEqual((d['rrtypes'] as unknown[]).map(ty), f.slice(1)); break;
      case 'NSEC3': assert.equal(d['iterations'], Number(f[2])); assert.deepEqual((d['rrtypes'] as unknown[]).map(ty), f.slice(5)); break;
      case 'NAPTR': assert.equal(d['order'], Number(f[0])); assert.equal(abs(d['replacement'] as string || '.'), f.at(-1)); break;
      case 'SSHFP': assert.equal((d['fingerprint'] as string).toUpperCase(), f[2]); break;
      case 'TLSA': assert.equal((d['certificate'] as Buffer).toString('hex').toUpperCase(), f[3]); break;
      case 'HINFO': assert.equal(`"${d['cpu'] as string}" "${d['os'] as string}"`, text); break;
      case 'RP': assert.equal(abs(d['mbox'] as string), f[0]); break;
      default: assert.fail(`no field check for ${c.type}`);
    }
    // dns-packet's own encoder must produce exactly our uncompressed RDATA (its output has a 2-octet length first).
    if (!['NSEC3', 'CAA', 'SSHFP'].includes(c.type)) {
      const enc = recordCodec(c.type).encode(d);
      assert.equal(hex(enc.subarray(2)), hex(mine.rdata), `${c.type} ${c.text}`);
    }
    checked++;
  });
  assert.equal(checked, cases.length);
  assert.ok(checked >= 30);
});

test('we decode what dns-packet encodes', () => {
  const buf = dnsPacket.encode({
    type: 'response', id: 7, flags: dnsPacket.AUTHORITATIVE_ANSWER,
    questions: [{ type: 'MX', name: 'example.org', class: 'IN' }],
    answers: [
      { type: 'MX', name: 'example.org', ttl: 60, data: { preference: 5, exchange: 'mx.example.org' } },
      { type: 'TXT', name: 'example.org', ttl: 60, data: ['v=spf1', 'x'] },
      { type: 'SOA', name: 'example.org', ttl: 60, data: { mname: 'ns.example.org', rname: 'h.example.org', serial: 7, refresh: 1, retry: 2, expire: 3, minimum: 4 } },
    ],
  });
  const m = decodeMessage(Uint8Array.from(buf));
  assert.equal(m.id, 7);
  assert.deepEqual(m.answers.map((a) => rdataToText(a.type, a.rdata)), ['5 mx.example.org.', '"v=spf1" "x"', 'ns.example.org. h.example.org. 7 1 2 3 4']);
});

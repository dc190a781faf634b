// Owns the NSEC3 hash test: the RFC 5155 Appendix A vectors (salt aabbccdd, 12 iterations) and base32hex order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Name } from '../../src/wire/name.ts';
import { base32hex, nsec3Hash } from '../../src/wire/nsec3hash.ts';

const SALT = Uint8Array.from([0xaa, 0xbb, 0xcc, 0xdd]);

test('NSEC3 hashes match RFC 5155 Appendix A', () => {
  const vectors: [string, string][] = [
    ['example.', '0p9mhaveqvm6t7vbl5lop2u3t2rp3tom'],
    ['a.example.', '35mthgpgcu1qg68fab165klnsnk3dpvl'],
    ['ai.example.', 'gjeqe526plbf1g8mklp59enfd789njgi'],
    ['ns1.example.', '2t7b4g4vsa5smi47k61mv5bv1a22bojr'],
    ['*.w.example.', 'r53bq7cc2uvmubfu5ocmm6pers9tk9en'],
    ['x.y.w.example.', '2vptu5timamqttgl4luu9kg21e0aor3s'],
    // Case does not matter: the canonical (lower-case) name is hashed (RFC 5155 §5).
    ['A.EXAMPLE.', '35mthgpgcu1qg68fab165klnsnk3dpvl'],
  ];
  for (const [name, want] of vectors) assert.equal(base32hex(nsec3Hash(Name.fromText(name), SALT, 12)), want, name);
});

test('base32hex keeps the order of the bytes (RFC 4648 §7)', () => {
  const a = Uint8Array.from([0x00, 0xff, 0x10]);
  const b = Uint8Array.from([0x01, 0x00, 0x00]);
  assert.ok(base32hex(a) < base32hex(b));
  assert.equal(base32hex(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff])), 'vvvvvvvv');
  assert.equal(base32hex(Uint8Array.from([0x66])), 'co');
});

// Owns tests of the transfer/NOTIFY/UPDATE access rules and of RFC 1982 serial arithmetic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AccessControl } from '../../src/xfr/acl.ts';
import { configFromObject, parseConfigText } from '../../src/config/load.ts';
import { serialAdd, serialCompare, serialGt } from '../../src/wire/serial.ts';

const SECRET = 'c2VjcmV0IGJ5dGVzIGZvciB0c2lnIQ==';
const yaml = `
keys:
  - {name: k1, algorithm: hmac-sha256, secret: "${SECRET}"}
  - {name: k2, algorithm: hmac-sha256, secret: "${SECRET}"}
acls:
  - {name: block-bad, address: 192.0.2.66, action: [transfer], deny: true}
  - {name: lan, address: [192.0.2.0/24, "2001:db8::/32"], action: [transfer, notify]}
  - {name: signed, key: [k1], action: [transfer]}
  - {name: signed-v6, address: "::1", key: k2, action: [update]}
zones:
  - {name: a.test, file: a, acl: [block-bad, lan, signed, signed-v6]}
  - {name: b.test, file: b}
`;
const acl = new AccessControl(configFromObject(parseConfigText(yaml, 't.yaml'), '/tmp'));

test('first matching rule decides; deny refuses; no rule refuses', () => {
  assert.equal(acl.allows('a.test.', 'transfer', '192.0.2.10', null), true);
  assert.equal(acl.allows('a.test.', 'transfer', '192.0.2.66', null), false, 'deny comes first');
  assert.equal(acl.allows('a.test.', 'transfer', '192.0.2.66', 'k1'), false, 'a deny rule without key matches signed requests too');
  assert.equal(acl.allows('a.test.', 'update', '192.0.2.10', null), false, 'action not in the rule');
  assert.equal(acl.allows('a.test.', 'transfer', '198.51.100.1', null), false, 'address outside every range');
  assert.equal(acl.allows('a.test.', 'transfer', '198.51.100.1', 'k1'), true, 'the key rule matches any address');
  assert.equal(acl.allows('a.test.', 'transfer', '198.51.100.1', 'k2'), false, 'another key');
  assert.equal(acl.allows('b.test.', 'transfer', '192.0.2.10', 'k1'), false, 'a zone without acl: nobody');
  assert.equal(acl.allows('c.test.', 'transfer', '192.0.2.10', 'k1'), false, 'an unknown zone: nobody');
  assert.equal(acl.allows('A.TEST.', 'notify', '2001:db8:1::5', null), true, 'IPv6 range, zone name case-insensitive');
  assert.equal(acl.allows('a.test.', 'notify', '2001:db9::5', null), false);
  assert.equal(acl.allows('a.test.', 'notify', '::ffff:192.0.2.9', null), true, 'IPv4-mapped IPv6 peer matches the IPv4 range');
  assert.equal(acl.allows('a.test.', 'update', '::1', 'k2'), true);
  assert.equal(acl.allows('a.test.', 'update', '::1', null), false, 'unsigned where the rule needs a key');
  assert.equal(acl.allows('a.test.', 'update', '127.0.0.1', 'k2'), false, '::1 is not 127.0.0.1');
  assert.deepEqual(acl.match('a.test.', 'transfer', '192.0.2.66', null), { name: 'block-bad', deny: true });
  assert.equal(acl.allows('a.test.', 'transfer', 'not-an-ip', null), false);
});

test('RFC 1982 serial arithmetic: wrap-around, the undefined half-way point, addition limits', () => {
  assert.equal(serialCompare(1, 1), 0);
  assert.equal(serialCompare(2, 1), 1);
  assert.equal(serialCompare(1, 2), -1);
  assert.equal(serialCompare(0, 0xffffffff), 1, '0 follows 2^32-1');
  assert.equal(serialCompare(0xffffffff, 0), -1);
  assert.equal(serialCompare(0x80000000, 0), undefined, 'exactly 2^31 apart');
  assert.equal(serialCompare(0x7fffffff, 0), 1);
  assert.equal(serialGt(5, 0xfffffff0), true);
  assert.equal(serialGt(0x80000000, 0), false);
  assert.equal(serialAdd(0xffffffff, 1), 0);
  assert.equal(serialAdd(10, 0x7fffffff), (10 + 0x7fffffff) >>> 0);
  assert.throws(() => serialAdd(1, 0x80000000), RangeError);
});

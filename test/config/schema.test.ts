// Owns tests of the nested schema: groups with names and references, error wording with key paths, suggestions, flags from the schema.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { catalog } from '../../src/config/catalog.ts';
import { ConfigError, configFromObject, loadConfig, parseConfigText } from '../../src/config/load.ts';
import { FLAGS } from '../../src/config/flags.ts';
import { parseServeArgs } from '../../src/cli/serve.ts';
import { serveUsage } from '../../src/cli/serve-usage.ts';

const SECRET = 'c2VjcmV0IGJ5dGVzIGZvciB0c2lnIQ==';

function fromYaml(yaml: string): ReturnType<typeof configFromObject> {
  return configFromObject(parseConfigText(yaml, 'test.yaml'), '/etc/dunlin');
}

function errorOf(yaml: string): string {
  try {
    fromYaml(yaml);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.message;
  }
  return assert.fail(`expected a config error for:\n${yaml}`);
}

// The keys of the zone transfers design, as operators will write them (remotes it names are defined here).
const TRANSFERS = `
keys:
  - name: xfr-key
    algorithm: hmac-sha256
    secret: "${SECRET}"
remotes:
  - name: knot-sec
    address: 192.0.2.1:53
    key: xfr-key
  - name: hidden-primary
    address: ["192.0.2.7", "[2001:db8::7]:5353"]
acls:
  - name: secondaries
    address: [192.0.2.0/24, "2001:db8::/32"]
    key: xfr-key
    action: [transfer, notify]
  - name: from-primary
    address: 192.0.2.7
    action: [notify]
    deny: false
zones:
  - name: example.com
    file: example.com.zone
    notify: [knot-sec]
    acl: [secondaries]
  - name: example.net
    primaries: [hidden-primary]
    acl: [from-primary]
    file: example.net.zone
`;

test('keys, remotes, acls and zone references: the transfer keys parse into typed runtime values', () => {
  const c = fromYaml(TRANSFERS);
  assert.deepEqual(c.keys, [{ name: 'xfr-key', algorithm: 'hmac-sha256', secret: SECRET }]);
  assert.deepEqual(c.remotes, [
    { name: 'knot-sec', address: [{ host: '192.0.2.1', port: 53 }], key: 'xfr-key' },
    { name: 'hidden-primary', address: [{ host: '192.0.2.7', port: 53 }, { host: '2001:db8::7', port: 5353 }], key: null },
  ]);
  assert.deepEqual(c.acls, [
    { name: 'secondaries', address: [{ address: '192.0.2.0', prefix: 24 }, { address: '2001:db8::', prefix: 32 }], key: ['xfr-key'], action: ['transfer', 'notify'], deny: false },
    { name: 'from-primary', address: [{ address: '192.0.2.7', prefix: 32 }], key: null, action: ['notify'], deny: false },
  ]);
  assert.deepEqual(c.zones, [
    { name: 'example.com.', file: '/etc/dunlin/example.com.zone', acl: ['secondaries'], notify: ['knot-sec'], primaries: [], serialPolicy: 'keep', role: 'primary' },
    { name: 'example.net.', file: '/etc/dunlin/example.net.zone', acl: ['from-primary'], notify: [], primaries: ['hidden-primary'], serialPolicy: 'keep', role: 'secondary' },
  ]);
});

test('storage and secondaries: a secondary without file keeps its copy inside storage; storage defaults to the config directory', () => {
  const yaml = 'remotes: [{name: p, address: 192.0.2.1}]\nzones:\n  - {name: Example.NET, primaries: [p]}\n  - {name: b.test, primaries: [p], file: copies/b.zone}\n  - {name: c.test, file: c.zone, serial_policy: dateserial}\n';
  const c = fromYaml(yaml);
  assert.equal(c.storage, '/etc/dunlin');
  assert.deepEqual(c.zones.map((z) => [z.name, z.file, z.role, z.serialPolicy]), [
    ['example.net.', '/etc/dunlin/zones/example.net.zone', 'secondary', 'keep'],
    ['b.test.', '/etc/dunlin/copies/b.zone', 'secondary', 'keep'],
    ['c.test.', '/etc/dunlin/c.zone', 'primary', 'dateserial'],
  ]);
  const d = fromYaml(`storage: /var/lib/dunlin\n${yaml}`);
  assert.equal(d.storage, '/var/lib/dunlin');
  assert.equal(d.zones[0]!.file, '/var/lib/dunlin/zones/example.net.zone');
  assert.equal(fromYaml('storage: state\n').storage, '/etc/dunlin/state');
  assert.deepEqual(fromYaml('').xfr, { maxTransfersOut: 16, timeoutMs: 30000, maxRecords: 10000000, journalMaxBytes: 67108864, journalMaxDepth: 100, notifyRetries: 5, notifyTimeoutMs: 2000 });
});

test('defaults: no definitions, an acl without address matches any, deny is false', () => {
  const c = fromYaml('acls:\n  - { name: any, action: [update] }\n');
  assert.deepEqual(c.acls, [{ name: 'any', address: null, key: null, action: ['update'], deny: false }]);
  assert.deepEqual([c.keys, c.remotes], [[], []]);
  assert.equal(loadConfig({ file: null }).acls.length, 0);
});

test('errors name the key path, say what was expected and never show a secret', () => {
  const zones = (acl: string): string => `acls: [{name: xfr-acl, action: [transfer]}]\nzones:\n  - {name: a.test, file: a}\n  - {name: b.test, file: b}\n  - {name: c.test, file: c, acl: [${acl}]}\n`;
  const cases: [string, string][] = [
    [zones('xfr'), 'zones[2].acl[0]: unknown acl "xfr"'],
    [zones('xfr-acll'), 'zones[2].acl[0]: unknown acl "xfr-acll" (did you mean "xfr-acl"?)'],
    ['zones: [{name: a.test, file: a, notify: [nobody]}]\n', 'zones[0].notify[0]: unknown remote "nobody" (none is defined)'],
    ['zones: [{name: a.test, file: a, primaries: [p]}]\n', 'zones[0].primaries[0]: unknown remote "p" (none is defined)'],
    ['remotes: [{name: r, address: 192.0.2.1, key: k}]\n', 'remotes[0].key: unknown key "k" (none is defined)'],
    [`keys: [{name: k, algorithm: hmac-sha1, secret: "${SECRET}"}]\nacls: [{name: a, key: [k, j], action: [notify]}]\n`, 'acls[0].key[1]: unknown key "j"'],
    [`keys: [{name: k, algorithm: hmac-sha1, secret: "${SECRET}"}]\nacls: [{name: a, key: q, action: [notify]}]\n`, 'acls[0].key: unknown key "q"'],
    [`keys:\n  - {name: k, algorithm: hmac-sha1, secret: "${SECRET}"}\n  - {name: k, algorithm: hmac-sha1, secret: "${SECRET}"}\n`, 'keys[1].name: duplicate key "k"'],
    ['keys: [{name: k, algorithm: hmac-sha3, secret: "AAAA"}]\n', 'keys[0].algorithm: expected one of hmac-md5, hmac-sha1, hmac-sha224, hmac-sha256, hmac-sha384, hmac-sha512, got "hmac-sha3"'],
    ['keys: [{name: k, algorithm: hmac-md5, secret: "hunter2!"}]\n', 'keys[0].secret: expected base64 text (the value is not shown)'],
    ['keys: [{name: "a b", algorithm: hmac-md5, secret: "AAAA"}]\n', 'keys[0].name: expected a name (letters, digits, "-", "_", dots between labels), got "a b"'],
    ['keys: [{name: k, algorithm: hmac-md5}]\n', 'keys[0].secret: expected base64 text (the value is not shown)'],
    ['acls: [{name: a, action: transfer}]\n', 'acls[0].action: expected a non-empty list of transfer, notify, update, got "transfer"'],
    ['acls: [{name: a, action: []}]\n', 'acls[0].action: expected a non-empty list of transfer, notify, update, got a list'],
    ['acls: [{name: a, action: [transfer, query]}]\n', 'acls[0].action[1]: expected one of transfer, notify, update, got "query"'],
    ['acls: [{name: a, address: [10.0.0.0/8, 10.0.0.0/33], action: [notify]}]\n', 'acls[0].address[1]: expected an IP address or range "IP/prefix", got "10.0.0.0/33"'],
    ['acls: [{name: a, address: host.example, action: [notify]}]\n', 'acls[0].address: expected an IP address or range "IP/prefix", got "host.example"'],
    ['acls: [{name: a, address: 5, action: [notify]}]\n', 'acls[0].address: expected an IP address or range "IP/prefix" or a non-empty list of them, got 5'],
    ['acls: [{name: a, deny: yes please, action: [notify]}]\n', 'acls[0].deny: expected true or false, got "yes please"'],
    ['remotes: [{name: r, address: "ns.example:53"}]\n', 'remotes[0].address: expected an address "IP" or "IP:port" (IPv6 as "[addr]:port"), got "ns.example:53"'],
    ['remotes: [{name: r}]\n', 'remotes[0].address: expected an address "IP" or "IP:port" (IPv6 as "[addr]:port") or a non-empty list of them, got nothing'],
    ['zones: [{name: a.test, file: a, notify: r}]\n', 'zones[0].notify: expected a list of remote names, got "r"'],
    ['zones: [{name: a.test}]\n', 'zones[0].file: a zone needs `file` (a primary zone) or `primaries` (a secondary zone)'],
    ['remotes: [{name: r, address: 192.0.2.1}]\nzones: [{name: a.test, primaries: [r], serial_policy: increment}]\n', 'zones[0].serial_policy: a secondary zone takes its serials from its primaries: serial_policy must be keep'],
    ['zones: [{name: a.test, file: a, serial_policy: bump}]\n', 'zones[0].serial_policy: expected one of keep, increment, unixtime, dateserial, got "bump"'],
    ['xfr: {max_transfers_out: 0}\n', 'xfr.max_transfers_out: expected an integer from 1 to 10000, got 0'],
    ['storage: ""\n', 'storage: expected a directory path, got ""'],
    ['listen: "127.0.0.1:53"\n', 'listen: expected a non-empty list of addresses "IP:port" (IPv6 as "[addr]:port"), got "127.0.0.1:53"'],
    ['tcp: {max_connections: 0}\n', 'tcp.max_connections: expected an integer from 1 to 1000000, got 0'],
    ['udp: {payload_size: 4097}\n', 'udp.payload_size: expected an integer from 512 to 4096, got 4097'],
    ['shutdown_timeout_ms: -1\n', 'shutdown_timeout_ms: expected an integer from 0 to 600000, got -1'],
    ['control: {socket: ""}\n', 'control.socket: expected a string of 1 to 107 characters, got ""'],
    ['keys: {name: k}\n', 'keys: expected a list of keys, got a mapping'],
    ['zones: [example.com]\n', 'zones[0]: expected a mapping {name, file, ...}, got "example.com"'],
  ];
  for (const [yaml, want] of cases) assert.equal(errorOf(yaml), `config error: ${want}`, yaml);
  assert.doesNotMatch(errorOf('keys: [{name: k, algorithm: hmac-md5, secret: "hunter2!"}]\n'), /hunter2/);
});

test('unknown keys are errors with the nearest known key', () => {
  const cases: [string, string][] = [
    ['tcp:\n  idel_timeout_ms: 100\n', 'tcp.idel_timeout_ms: unknown key (did you mean tcp.idle_timeout_ms?)'],
    ['listn: []\n', 'listn: unknown key (did you mean listen?)'],
    ['acl: []\n', 'acl: unknown key (did you mean acls?)'],
    ['idle_timeout_ms: 100\n', 'idle_timeout_ms: unknown key (did you mean tcp.idle_timeout_ms?)'],
    ['zones: [{name: a.test, file: a, acls: [x]}]\n', 'zones[0].acls: unknown key (did you mean zones[0].acl?)'],
    ['zones: [{name: a.test, file: a, origin: x}]\n', 'zones[0].origin: unknown key'],
    ['remotes: [{name: r, adress: 192.0.2.1}]\n', 'remotes[0].adress: unknown key (did you mean remotes[0].address?)'],
    ['udp:\n  payload: 1232\n', 'udp.payload: unknown key (did you mean udp.payload_size?)'],
    ['frobnicate: 1\n', 'frobnicate: unknown key'],
  ];
  for (const [yaml, want] of cases) assert.equal(errorOf(yaml), `config error: ${want}`, yaml);
});

test('flags come from the one flag list: parsed, applied, labelled in errors, described in --help', () => {
  const args = FLAGS.flatMap((f) => [f.flag, f.key === 'zones' ? 'a.test=a.zone' : f.key === 'workers' ? '2' : f.key === 'log.level' ? 'warn' : f.key === 'log.format' ? 'pretty' : f.value === 'IP:PORT' ? '127.0.0.1:9' : 'x']);
  const parsed = parseServeArgs(['--config', 'c.yaml', ...args]);
  assert.equal(parsed.config, 'c.yaml');
  assert.deepEqual(Object.keys(parsed.overrides).sort(), FLAGS.map((f) => f.option).sort());
  assert.deepEqual(parseServeArgs(['--listen=127.0.0.1:1', '--listen', '[::1]:2']).overrides, { listen: ['127.0.0.1:1', '[::1]:2'] });
  assert.throws(() => parseServeArgs(['--listne', 'x']), /unknown option "--listne"/);
  const c = loadConfig({ file: null, cwd: '/srv', overrides: parsed.overrides });
  assert.equal(c.workers, 2);
  assert.equal(c.log.level, 'warn');
  assert.equal(c.log.format, 'pretty');
  assert.equal(c.control.socket, '/srv/x');
  const help = serveUsage();
  for (const f of FLAGS) {
    const first = catalog().find((e) => e.key === f.key)!.description.split(/; |\. /)[0]!.replace(/`/g, '');
    assert.ok(help.includes(`${f.flag} ${f.value}`) && help.includes(first.replace(/\.$/, '')), `${f.flag} in --help`);
  }
  const msg = (o: NonNullable<Parameters<typeof loadConfig>[0]['overrides']>): string => {
    try {
      loadConfig({ file: null, overrides: o });
    } catch (e) {
      return (e as Error).message;
    }
    return '';
  };
  assert.equal(msg({ logLevel: 'loud' }), 'config error: log.level (--log-level): expected one of fatal, error, warn, info, debug, trace, silent, got "loud"');
  assert.equal(msg({ listen: ['127.0.0.1:1', 'x'] }), 'config error: listen (--listen)[1]: expected an address "IP:port" (IPv6 as "[addr]:port"), got "x"');
  assert.equal(msg({ zones: ['a..b=f'] }), 'config error: zones (--zone)[0].name: expected a domain name (labels of 1 to 63 characters, at most 253 in all), got "a..b"');
});

// Owns tests of the config schema and loader: defaults, every key documented, errors naming the key path, flag overrides.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, parseAddress } from '../../src/config/load.ts';
import { catalog } from '../../src/config/catalog.ts';
import { TCP_DEFAULTS } from '../../src/transport/limits.ts';
import { ROOT } from '../helpers/harness.ts';

function withFile(yaml: string, fn: (path: string, dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'dunlin-cfg-'));
  try {
    const p = join(dir, 'dunlin.yaml');
    writeFileSync(p, yaml);
    fn(p, dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function errorOf(yaml: string): string {
  let msg = '';
  withFile(yaml, (p) => {
    try {
      loadConfig({ file: p });
      assert.fail(`expected a config error for:\n${yaml}`);
    } catch (err) {
      assert.ok(err instanceof ConfigError, String(err));
      msg = err.message;
    }
  });
  return msg;
}

test('every schema key is documented in docs/configuration.md', () => {
  const doc = readFileSync(join(ROOT, 'docs/configuration.md'), 'utf8');
  const missing = catalog().filter((e) => !doc.includes('`' + e.key + '`')).map((e) => e.key);
  assert.deepEqual(missing, []);
});

test('schema defaults agree with the transport defaults', () => {
  const d = (k: string): unknown => catalog().find((e) => e.key === k)?.default;
  assert.equal(d('tcp.idle_timeout_ms'), TCP_DEFAULTS.idleTimeoutMs);
  assert.equal(d('tcp.read_timeout_ms'), TCP_DEFAULTS.readTimeoutMs);
  assert.equal(d('tcp.max_connections'), TCP_DEFAULTS.maxConnections);
  assert.equal(d('tcp.max_queries_per_connection'), TCP_DEFAULTS.maxQueriesPerConnection);
  assert.equal(d('tcp.on_limit'), TCP_DEFAULTS.onLimit);
  assert.equal(d('tcp.write_buffer_bytes'), TCP_DEFAULTS.writeBufferBytes);
  assert.equal(d('shutdown_timeout_ms'), TCP_DEFAULTS.shutdownTimeoutMs);
});

test('no file: defaults, finite limits', () => {
  const c = loadConfig({ file: null });
  assert.deepEqual(c.listen, [{ host: '127.0.0.1', port: 5300 }, { host: '::1', port: 5300 }]);
  assert.ok(c.workers >= 1);
  assert.equal(c.udp.payloadSize, 1232);
  assert.equal(c.tcp.onLimit, 'close-idlest');
  assert.ok(Number.isFinite(c.tcp.maxConnections) && Number.isFinite(c.tcp.maxQueriesPerConnection));
  assert.equal(c.metrics.listen, null);
  assert.equal(c.control.socket, null);
  assert.equal(c.log.level, 'info');
});

test('a full file is read; relative zone paths are relative to the file', () => {
  withFile(`listen: ["127.0.0.1:0", "[::1]:0"]
workers: 3
udp: { payload_size: 1400 }
tcp: { idle_timeout_ms: 2000, read_timeout_ms: 1000, max_connections: 10, max_queries_per_connection: 5, on_limit: refuse }
zones:
  - { name: Example.COM, file: zones/example.com.zone }
control: { socket: ctl.sock }
metrics: { listen: "127.0.0.1:9153", token: "0123456789abcdef0123" }
log: { level: warn }
`, (p, dir) => {
    const c = loadConfig({ file: p });
    assert.equal(c.workers, 3);
    assert.deepEqual(c.listen, [{ host: '127.0.0.1', port: 0 }, { host: '::1', port: 0 }]);
    assert.equal(c.udp.payloadSize, 1400);
    assert.deepEqual(c.tcp, { idleTimeoutMs: 2000, readTimeoutMs: 1000, maxConnections: 10, maxQueriesPerConnection: 5, onLimit: 'refuse', writeBufferBytes: 262144 });
    assert.deepEqual(c.zones, [{ name: 'example.com.', file: join(dir, 'zones/example.com.zone'), acl: [], notify: [], primaries: [], serialPolicy: 'keep', role: 'primary' }]);
    assert.equal(c.control.socket, join(dir, 'ctl.sock'));
    assert.deepEqual(c.metrics.listen, { host: '127.0.0.1', port: 9153 });
    assert.equal(c.log.level, 'warn');
  });
});

test('flags override the file', () => {
  withFile('workers: 3\nlisten: ["127.0.0.1:5300"]\nzones: [{name: a.test, file: a.zone}]\n', (p) => {
    const c = loadConfig({ file: p, cwd: '/srv', overrides: { workers: '2', listen: ['[::1]:53'], zones: ['b.test=b.zone'], logLevel: 'debug', control: 'c.sock', metrics: '[::1]:9000' } });
    assert.equal(c.workers, 2);
    assert.deepEqual(c.listen, [{ host: '::1', port: 53 }]);
    assert.deepEqual(c.zones, [{ name: 'b.test.', file: '/srv/b.zone', acl: [], notify: [], primaries: [], serialPolicy: 'keep', role: 'primary' }]);
    assert.equal(c.log.level, 'debug');
    assert.equal(c.control.socket, '/srv/c.sock');
    assert.deepEqual(c.metrics.listen, { host: '::1', port: 9000 });
  });
});

test('errors name the key path and what was expected', () => {
  const cases: [string, RegExp][] = [
    ['tcp:\n  idle_timeout_ms: ten\n', /^config error: tcp\.idle_timeout_ms: expected an integer from 100 to 3600000, got "ten"$/],
    ['tcp:\n  idle_timeout_ms: 50\n', /^config error: tcp\.idle_timeout_ms: expected an integer from 100 to 3600000, got 50$/],
    ['tcp:\n  idle_timeout_ms: 1500.5\n', /^config error: tcp\.idle_timeout_ms: expected an integer from 100 to 3600000, got 1500.5$/],
    ['tcp:\n  idel_timeout_ms: 100\n', /^config error: tcp\.idel_timeout_ms: unknown key/],
    ['listn: []\n', /^config error: listn: unknown key/],
    ['tcp: 5\n', /^config error: tcp: expected a mapping, got 5$/],
    ['tcp:\n  on_limit: drop\n', /^config error: tcp\.on_limit: expected one of close-idlest, refuse, got "drop"$/],
    ['listen: ["127.0.0.1"]\n', /^config error: listen\[0\]: expected an address/],
    ['listen: ["::1:53"]\n', /^config error: listen\[0\]: expected an address/],
    ['listen: ["localhost:53"]\n', /^config error: listen\[0\]: expected an address/],
    ['listen: ["127.0.0.1:70000"]\n', /^config error: listen\[0\]: expected an address/],
    ['listen: ["127.0.0.1:53", "127.0.0.1:53"]\n', /^config error: listen\[1\]: duplicate address 127\.0\.0\.1:53$/],
    ['listen: []\n', /^config error: listen: expected a non-empty list/],
    ['workers: 0\n', /^config error: workers: expected an integer from 1 to 256, got 0$/],
    ['workers: "2"\n', /^config error: workers: expected an integer from 1 to 256, got "2"$/],
    ['metrics:\n  listen: "0.0.0.0:9153"\n', /^config error: metrics\.listen: refusing non-loopback address "0\.0\.0\.0:9153"/],
    ['metrics:\n  token: short\n', /^config error: metrics\.token: expected a string of 16 to 512 characters, got "short"$/],
    ['zones: {name: a}\n', /^config error: zones: expected a list of zones \{name, file, \.\.\.\}, got a mapping$/],
    ['zones:\n  - name: a.test\n', /^config error: zones\[0\]\.file: a zone needs `file` \(a primary zone\) or `primaries` \(a secondary zone\)$/],
    ['zones:\n  - {name: a.test, file: a, origin: x}\n', /^config error: zones\[0\]\.origin: unknown key/],
    ['zones:\n  - {name: "a..test", file: a}\n', /^config error: zones\[0\]\.name: expected a domain name/],
    ['zones:\n  - {name: a.test, file: a}\n  - {name: A.TEST., file: b}\n', /^config error: zones\[1\]\.name: duplicate zone a\.test\.$/],
    ['log:\n  level: loud\n', /^config error: log\.level: expected one of fatal, error, warn, info, debug, trace, silent, got "loud"$/],
    ['workers: 1\nworkers: 2\n', /^config error: .*dunlin\.yaml:2:1: /],
    ['tcp: [1, 2\n', /^config error: .*dunlin\.yaml:\d+:\d+: /],
    ['- 1\n- 2\n', /^config error: .*expected a mapping of keys at the top level/],
  ];
  for (const [yaml, re] of cases) assert.match(errorOf(yaml), re, yaml);
});

test('bad flag values name the key and the flag', () => {
  const err = (o: Parameters<typeof loadConfig>[0]['overrides']): string => {
    try {
      loadConfig({ file: null, ...(o ? { overrides: o } : {}) });
    } catch (e) {
      assert.ok(e instanceof ConfigError);
      return e.message;
    }
    return assert.fail('expected an error');
  };
  assert.equal(err({ workers: 'many' }), 'config error: workers (--workers): expected an integer from 1 to 256, got "many"');
  assert.match(err({ listen: ['127.0.0.1'] }), /^config error: listen \(--listen\)\[0\]: expected an address/);
  assert.match(err({ zones: ['example.com'] }), /^config error: zones \(--zone #1\): expected NAME=FILE/);
  assert.match(err({ metrics: '192.0.2.1:9153' }), /^config error: metrics\.listen \(--metrics\): refusing non-loopback/);
});

test('an empty file and empty groups mean defaults', () => {
  withFile('', (p) => assert.equal(loadConfig({ file: p }).udp.payloadSize, 1232));
  withFile('tcp:\nudp:\n', (p) => assert.equal(loadConfig({ file: p }).tcp.idleTimeoutMs, 10000));
});

test('a missing file is a config error', () => {
  assert.throws(() => loadConfig({ file: '/nonexistent/dunlin.yaml' }), /config error: cannot read \/nonexistent\/dunlin\.yaml: ENOENT/);
});

test('addresses: IPv4, bracketed IPv6, port bounds', () => {
  assert.deepEqual(parseAddress('192.0.2.1:53'), { host: '192.0.2.1', port: 53 });
  assert.deepEqual(parseAddress('[2001:db8::1]:5300'), { host: '2001:db8::1', port: 5300 });
  assert.equal(parseAddress('2001:db8::1:53'), null);
  assert.equal(parseAddress('example.com:53'), null);
  assert.equal(parseAddress('127.0.0.1:65536'), null);
});

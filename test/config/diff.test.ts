// Owns unit tests of diffConfig: zones added/removed/changed, settings applied live, settings refused with the key path and the old value kept.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { configFromObject, diffConfig, parseConfigText } from '../../src/config/index.ts';
import type { Config } from '../../src/config/index.ts';

const load = (yaml: string): Config => configFromObject(parseConfigText(yaml, 'test.yaml'), '/etc/dunlin');
const BASE = `listen: ["127.0.0.1:5300"]
workers: 2
log: { level: info }
zones:
  - { name: a.test, file: a.zone }
  - { name: b.test, file: b.zone }
  - { name: c.test, file: c.zone }
`;

test('the same configuration: unchanged', () => {
  const d = diffConfig(load(BASE), load(BASE));
  assert.equal(d.unchanged, true);
  assert.deepEqual([d.applied, d.refused, d.zones.added, d.zones.removed, d.zones.changed], [[], [], [], [], []]);
  assert.deepEqual(d.config, load(BASE));
});

test('zones added, removed and changed (file or settings)', () => {
  const next = load(`listen: ["127.0.0.1:5300"]
workers: 2
log: { level: info }
remotes: [{ name: sec, address: 192.0.2.1 }]
zones:
  - { name: a.test, file: a2.zone }
  - { name: c.test, file: c.zone, notify: [sec] }
  - { name: d.test, file: d.zone }
`);
  const d = diffConfig(load(BASE), next);
  assert.equal(d.unchanged, false);
  assert.deepEqual(d.zones.added.map((z) => z.name), ['d.test.']);
  assert.deepEqual(d.zones.removed.map((z) => z.name), ['b.test.']);
  assert.deepEqual(d.zones.changed.map((c) => [c.name, c.fields]), [['a.test.', ['file']], ['c.test.', ['notify']]]);
  assert.equal(d.zones.changed[0]!.next.file, '/etc/dunlin/a2.zone');
  assert.deepEqual(d.applied.map((a) => a.key), ['remotes']);
  assert.deepEqual(d.refused, []);
});

test('listen and workers changes are refused with the key path; the effective config keeps the old values', () => {
  const old = load(BASE);
  const next = load(BASE.replace('"127.0.0.1:5300"', '"127.0.0.1:5301", "[::1]:5301"').replace('workers: 2', 'workers: 4').replace('level: info', 'level: debug') + 'tcp: { idle_timeout_ms: 2000 }\n');
  const d = diffConfig(old, next);
  assert.deepEqual(d.refused.map((r) => r.message), [
    'listen: changing it needs a restart; keeping ["127.0.0.1:5300"]',
    'workers: changing it needs a restart; keeping 2',
    'tcp.idle_timeout_ms: changing it needs a restart; keeping 10000',
  ]);
  assert.deepEqual(d.refused[1], { key: 'workers', old: 2, next: 4, message: 'workers: changing it needs a restart; keeping 2' });
  assert.deepEqual(d.applied, [{ key: 'log.level', old: 'info', next: 'debug' }]);
  assert.deepEqual(d.config.listen, old.listen);
  assert.equal(d.config.workers, 2);
  assert.equal(d.config.tcp.idleTimeoutMs, 10000);
  assert.equal(d.config.log.level, 'debug');
  assert.deepEqual(next.listen.length, 2, 'next is not modified');
});

test('metrics turned on is refused, showing it was off', () => {
  const d = diffConfig(load(BASE), load(BASE + 'metrics: { listen: "127.0.0.1:9153" }\n'));
  assert.deepEqual(d.refused.map((r) => r.message), ['metrics.listen: changing it needs a restart; keeping null']);
  assert.equal(d.config.metrics.listen, null);
});

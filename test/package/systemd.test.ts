// Owns the tests of contrib/systemd/dunlin.service: systemd-analyze verify accepts it, it keeps its promises, and the documented config fits it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, tempDir } from '../helpers/harness.ts';
import { loadConfig } from '../../src/config/load.ts';
import { run } from './run.ts';

const UNIT = join(ROOT, 'contrib/systemd/dunlin.service');
const text = readFileSync(UNIT, 'utf8');

function analyzer(): string | null {
  try {
    return execFileSync('sh', ['-c', 'command -v systemd-analyze'], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

test('systemd-analyze verify accepts the unit with no warning', async (t) => {
  const tool = analyzer();
  if (tool === null) {
    t.skip('systemd-analyze is not installed (Debian: apt-get install systemd; .ci/run installs it)');
    return;
  }
  // verify checks that ExecStart/ExecReload exist: point them at this checkout's bin instead of /usr/bin/dunlin.
  const dir = tempDir('dunlin-unit-');
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const copy = join(dir, 'dunlin.service');
  writeFileSync(copy, text.replaceAll('/usr/bin/dunlin', join(ROOT, 'bin/dunlin.js')));
  const r = await run(tool, ['verify', '--man=no', copy], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr.trim(), '', 'systemd-analyze warns about unknown keys or bad values only on stderr');
});

test('the unit runs as the dunlin user with only CAP_NET_BIND_SERVICE, its runtime and state directories, and no W^X rule', () => {
  const keys = new Map(text.split('\n').filter((l) => /^[A-Z]\w*=/.test(l)).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  assert.equal(keys.get('User'), 'dunlin');
  assert.equal(keys.get('AmbientCapabilities'), 'CAP_NET_BIND_SERVICE');
  assert.equal(keys.get('CapabilityBoundingSet'), 'CAP_NET_BIND_SERVICE');
  assert.equal(keys.get('RuntimeDirectory'), 'dunlin');
  assert.equal(keys.get('StateDirectory'), 'dunlin');
  assert.equal(keys.get('ExecStart'), '/usr/bin/dunlin serve --config /etc/dunlin/dunlin.yaml');
  assert.equal(keys.get('ExecReload'), '/usr/bin/dunlin reload --config /etc/dunlin/dunlin.yaml');
  assert.equal(keys.get('RestrictAddressFamilies'), 'AF_INET AF_INET6 AF_UNIX');
  for (const k of ['NoNewPrivileges', 'ProtectHome', 'PrivateTmp', 'PrivateDevices', 'ProtectKernelTunables', 'ProtectKernelModules', 'ProtectKernelLogs']) assert.equal(keys.get(k), 'yes', k);
  assert.equal(keys.get('ProtectSystem'), 'strict');
  assert.equal(keys.get('SystemCallArchitectures'), 'native');
  assert.ok(!keys.has('MemoryDenyWriteExecute'), "V8's JIT needs writable then executable memory");
});

test("docs/deployment.md's config is valid and puts the control socket in the unit's RuntimeDirectory", () => {
  const doc = readFileSync(join(ROOT, 'docs/deployment.md'), 'utf8');
  const yaml = /```yaml\n([\s\S]*?)```/.exec(doc)?.[1];
  assert.ok(yaml !== undefined, 'a yaml block');
  const dir = tempDir('dunlin-deploy-');
  try {
    writeFileSync(join(dir, 'dunlin.yaml'), yaml);
    const config = loadConfig({ file: join(dir, 'dunlin.yaml'), overrides: {} });
    assert.deepEqual(config.listen.map((l) => l.port), [53, 53]);
    assert.equal(config.control.socket, '/run/dunlin/control.sock');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// Owns the CLI contract of `dunlin serve` for bad input: config errors name the key (exit 1), usage errors (exit 2), --help, busy ports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runServe, tempDir } from '../helpers/harness.ts';

test('a bad value in the config file: exit 1, one line naming the key path', async () => {
  const dir = tempDir();
  try {
    const cfg = join(dir, 'dunlin.yaml');
    writeFileSync(cfg, 'listen: ["127.0.0.1:0"]\ntcp:\n  idle_timeout_ms: ten\n');
    const r = await runServe(['--config', cfg]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim(), 'config error: tcp.idle_timeout_ms: expected an integer from 100 to 3600000, got "ten"');
    assert.equal(r.stdout, '');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an unknown key: exit 1 naming it', async () => {
  const dir = tempDir();
  try {
    const cfg = join(dir, 'dunlin.yaml');
    writeFileSync(cfg, 'udp:\n  payload: 1232\n');
    const r = await runServe(['--config', cfg]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^config error: udp\.payload: unknown key/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a bad flag value: exit 1 naming the key and flag', async () => {
  const r = await runServe(['--listen', '127.0.0.1:0', '--workers', 'lots']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^config error: workers \(--workers\): expected an integer from 1 to 256, got "lots"/);
});

test('a missing config file: exit 1', async () => {
  const r = await runServe(['--config', '/nonexistent/dunlin.yaml']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /config error: cannot read \/nonexistent\/dunlin\.yaml: ENOENT/);
});

test('an unknown option: exit 2 with usage', async () => {
  const r = await runServe(['--listne', '127.0.0.1:0']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown option "--listne"/);
  assert.match(r.stderr, /usage: dunlin serve/);
});

test('--help: exit 0, usage on stdout', async () => {
  const r = await runServe(['--help']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /usage: dunlin serve/);
  assert.match(r.stdout, /--zone NAME=FILE/);
});

test('a listen address in use by another program: exit 1 with a clear message, no ready line', async () => {
  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen({ host: '127.0.0.1', port: 0, exclusive: true }, resolve));
  const port = (blocker.address() as net.AddressInfo).port;
  try {
    const dir = tempDir();
    const r = await runServe(['--listen', `127.0.0.1:${port}`, '--workers', '1', '--control', join(dir, 'c.sock')]);
    rmSync(dir, { recursive: true, force: true });
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`listen 127\\.0\\.0\\.1:${port}: address already in use`));
    assert.doesNotMatch(r.stdout, /dunlin ready/);
  } finally {
    blocker.close();
  }
});

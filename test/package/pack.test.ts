// Owns the packed-tarball test: npm pack, npm install into an empty directory, and the installed `dunlin` run for real.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { ROOT, answersOf, decodeResponse, encodeQuery, parseReadyLine, queryUdp, rcodeOf, sampleZone, tempDir, waitFor } from '../helpers/harness.ts';
import { findOldNode, pathWithThisNode, run } from './run.ts';

const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

test('the packed tarball installs into an empty directory and its dunlin serves a query', { timeout: 240_000 }, async (t) => {
  const dir = tempDir('dunlin-pack-');
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const env = { PATH: pathWithThisNode() };

  // Packing compiles the whole tree: at a low CPU priority, so latency-measuring tests running alongside are not starved.
  const packed = await run('nice', ['-n', '10', 'npm', 'pack', '--pack-destination', dir, '--json', '--no-audit', '--no-fund'], { env, timeoutMs: 120_000 });
  assert.equal(packed.code, 0, packed.stderr);
  const [info] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as { filename: string; files: { path: string }[] }[];
  const files = info!.files.map((f) => f.path);
  for (const f of ['bin/dunlin.js', 'dist/cli/main.js', 'dist/server/worker-thread.js', 'dist/dunlin.1', 'LICENSE', 'README.md', 'package.json']) assert.ok(files.includes(f), `${f} is packed`);
  assert.deepEqual(files.filter((f) => f.startsWith('test/') || f.startsWith('src/') || f.endsWith('.ts')), [], 'no tests or sources');

  const app = join(dir, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), '{ "name": "app", "private": true }\n');
  const installed = await run('nice', ['-n', '10', 'npm', 'install', join(dir, info!.filename), '--prefer-offline', '--no-audit', '--no-fund', '--no-save'], { cwd: app, env, timeoutMs: 90_000 });
  assert.equal(installed.code, 0, installed.stderr);
  const bin = join(app, 'node_modules/.bin/dunlin');
  assert.ok(!readdirSync(join(app, 'node_modules/dunlin')).includes('src'));

  const v = await run(bin, ['--version'], { cwd: app, env });
  assert.equal(v.code, 0, v.stderr);
  assert.equal(v.stdout, `dunlin ${version}\n`);

  writeFileSync(join(app, 'example.test.zone'), sampleZone('example.test.'));
  writeFileSync(join(app, 'dunlin.yaml'), 'listen: ["127.0.0.1:0"]\nworkers: 1\nzones:\n  - { name: example.test, file: example.test.zone }\ncontrol: { socket: control.sock }\n');
  const help = await run(bin, ['help'], { cwd: app, env });
  const check = help.stdout.includes('check-config')
    ? await run(bin, ['check-config', '--config', 'dunlin.yaml'], { cwd: app, env })
    : await run(bin, ['check-zone', 'example.test.zone', '--origin', 'example.test'], { cwd: app, env });
  assert.equal(check.code, 0, check.stderr);

  const child = spawn(bin, ['serve', '--config', 'dunlin.yaml'], { cwd: app, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  await waitFor(() => parseReadyLine(out) !== null || child.exitCode !== null, 30_000).catch(() => undefined);
  const ready = parseReadyLine(out);
  assert.ok(ready, `no ready line\n${err}`);
  const answer = decodeResponse(await queryUdp(ready.udp[0]!, encodeQuery('www.example.test', 'A')));
  assert.equal(rcodeOf(answer), 'NOERROR');
  assert.ok(answersOf(answer).some((r) => r.type === 'A'), JSON.stringify(answer.answers));

  process.kill(ready.pid, 'SIGTERM');
  assert.equal(await exited, 0, err);

  const old = findOldNode();
  if (old !== null) await assertRefused(old, bin);
});

async function assertRefused(old: { path: string; version: string }, bin: string): Promise<void> {
  const r = await run(old.path, [bin, '--version']);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, new RegExp(`^dunlin: Node\\.js >= \\d+\\.\\d+ .*is required \\(this is v${old.version.replace(/\./g, '\\.')}\\)\\n$`));
}

test('under a Node older than the minimum, bin/dunlin.js prints one line naming the version it needs and exits 1', async (t) => {
  const old = findOldNode();
  if (old === null) {
    t.skip('no node older than the minimum on PATH (which -a node)');
    return;
  }
  await assertRefused(old, join(ROOT, 'bin/dunlin.js'));
});

// Owns the check that every command in README.md's code blocks works as written (long-running ones at least parse).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, tempDir } from '../helpers/harness.ts';
import { run } from '../package/run.ts';

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string; scripts: Record<string, string> };

/** Command lines of the ```sh blocks (indented ones too), without their trailing comments. */
function commands(): string[] {
  const out: string[] = [];
  for (const m of readme.matchAll(/^( *)```sh\n([\s\S]*?)^\1```$/gm)) {
    for (const line of m[2]!.split('\n')) {
      const cmd = line.replace(/\s+#.*$/, '').trim();
      if (cmd !== '') out.push(cmd);
    }
  }
  return out;
}

/** Commands that serve forever or talk to a running server are run with --help: their flags must still parse. */
const NEEDS_SERVER = /^dunlin (serve|sockstat|status|reload|zone)\b/;

test('every command in the README runs as written', { timeout: 120_000 }, async (t) => {
  const list = commands();
  assert.ok(list.some((c) => c.startsWith('dunlin serve')), 'the README shows dunlin serve');
  const dir = tempDir('dunlin-readme-');
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const f of ['dunlin.yaml', 'example.com.zone']) copyFileSync(join(ROOT, 'examples', f), join(dir, f));
  mkdirSync(join(dir, 'bin'));
  writeFileSync(join(dir, 'bin/dunlin'), `#!/bin/sh\nexec "${process.execPath}" "${join(ROOT, 'bin/dunlin.js')}" "$@"\n`);
  chmodSync(join(dir, 'bin/dunlin'), 0o755);

  for (const cmd of list) {
    const npm = /^npm (?:run (\S+)|(start|test))$/.exec(cmd);
    if (npm) {
      assert.ok(pkg.scripts[npm[1] ?? npm[2]!] !== undefined, `${cmd}: no such npm script`);
      continue;
    }
    if (cmd === 'npm install && npm start') {
      assert.ok(pkg.scripts['start'] !== undefined);
      continue;
    }
    if (cmd === 'npm pack') continue; // test/package/pack.test.ts packs and installs
    const global = /^npm install -g \.\/dunlin-(\S+)\.tgz$/.exec(cmd);
    if (global) {
      assert.equal(global[1], pkg.version, `${cmd}: npm pack names the tarball after the version`);
      continue;
    }
    assert.match(cmd, /^dunlin /, `a README command this test does not know: ${cmd}`);
    const line = NEEDS_SERVER.test(cmd) ? `${cmd} --help` : cmd;
    const r = await run('sh', ['-c', line], { cwd: dir, env: { PATH: `${join(dir, 'bin')}:${process.env['PATH'] ?? ''}` } });
    assert.equal(r.code, 0, `${line}\n${r.stderr}`);
    assert.notEqual(r.stdout, '', line);
  }
});

// Owns the tests of bin/dunlin.js's choice between src/ and dist/: never a stale build in a checkout, always dist/ when installed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, tempDir } from '../helpers/harness.ts';
import { run } from './run.ts';

/** A package layout in a temp dir: the real bin/dunlin.js, and stand-ins for src/ and dist/ that say which one ran. */
function layout(parts: { src?: Date; dist?: Date }): string {
  const dir = tempDir('dunlin-bin-');
  mkdirSync(join(dir, 'bin'));
  copyFileSync(join(ROOT, 'bin/dunlin.js'), join(dir, 'bin/dunlin.js'));
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
  const put = (file: string, text: string, when: Date): void => {
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, text);
    utimesSync(file, when, when);
  };
  if (parts.src) put(join(dir, 'src/cli/main.ts'), "const from: string = 'src';\nconsole.log(from);\n", parts.src);
  if (parts.dist) put(join(dir, 'dist/cli/main.js'), "console.log('dist');\n", parts.dist);
  return dir;
}

const earlier = new Date(Date.now() - 60_000);
const later = new Date();

async function runBin(dir: string, stripTypes: boolean): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const flags = stripTypes ? [] : ['--no-experimental-strip-types'];
  const r = await run(process.execPath, [...flags, join(dir, 'bin/dunlin.js')]);
  rmSync(dir, { recursive: true, force: true });
  return r;
}

test('in a checkout, a Node that strips types runs src/ even when dist/ is newer', async () => {
  const r = await runBin(layout({ src: earlier, dist: later }), true);
  assert.equal(r.stdout, 'src\n', r.stderr);
});

test('in a checkout, a Node without type stripping runs dist/ only when it is newer than every src file', async () => {
  const fresh = await runBin(layout({ src: earlier, dist: later }), false);
  assert.equal(fresh.stdout, 'dist\n', fresh.stderr);

  const stale = await runBin(layout({ src: later, dist: earlier }), false);
  assert.equal(stale.code, 1);
  assert.equal(stale.stdout, '');
  assert.match(stale.stderr, /^dunlin: dist\/ is older than src\/ .*run `npm run build`.*\n$/);

  const missing = await runBin(layout({ src: later }), false);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^dunlin: dist\/ is missing .*run `npm run build`/);
});

test('an installed package (no src/) always runs dist/', async () => {
  const r = await runBin(layout({ dist: earlier }), true);
  assert.equal(r.stdout, 'dist\n', r.stderr);
});

test("bin/dunlin.js's version check names the same minimums as package.json's engines", () => {
  const bin = readFileSync(join(ROOT, 'bin/dunlin.js'), 'utf8');
  const engines = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node;
  const minimums = [...engines.matchAll(/(\d+)\.(\d+)\.0/g)].map((m) => `${m[1]!}.${m[2]!}`);
  assert.deepEqual(minimums, ['22.12', '23.1']);
  const message = /var MINIMUM = '([^']+)'/.exec(bin)?.[1] ?? '';
  for (const v of minimums) assert.ok(message.includes(`>= ${v}`), `the message names ${v}: ${message}`);
  for (const [major, minor] of minimums.map((v) => v.split('.'))) assert.match(bin, new RegExp(`v\\[0\\] === ${major!}\\) return v\\[1\\] >= ${minor!};`));
});

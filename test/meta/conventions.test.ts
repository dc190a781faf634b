// Owns the project's conventions as tests: file headers, documented dependencies, docs that README links to.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;

function walk(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
}

test('every source file starts with a one-line comment saying what it owns', () => {
  const bad: string[] = [];
  for (const f of walk(join(root, 'src'))) {
    const lines = readFileSync(f, 'utf8').split('\n');
    const first = lines[0]?.startsWith('#!') ? lines[1] : lines[0];
    if (!first || !/^\/\/ \S.{10,}/.test(first)) bad.push(f.slice(root.length));
  }
  assert.deepEqual(bad, []);
});

test('every dependency is justified in docs/dependencies.md', () => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
  };
  const doc = readFileSync(join(root, 'docs/dependencies.md'), 'utf8');
  const names = [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.devDependencies ?? {})];
  assert.ok(names.length > 0);
  const missing = names.filter((n) => !doc.includes('`' + n + '`') && !doc.includes('`' + n + '` ('));
  assert.deepEqual(missing, []);
});

test('every doc README links to exists', () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const links = [...readme.matchAll(/\]\((docs\/[^)]+)\)/g)].map((m) => m[1]!);
  assert.ok(links.length > 3);
  assert.deepEqual(links.filter((l) => !existsSync(join(root, l))), []);
});

test('README quick start is the two documented command lines', () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  assert.match(readme, /^npm install && npm start$/m);
  assert.match(readme, /^npm test$/m);
});

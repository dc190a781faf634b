// Owns the test of the generated dunlin(1) man page: every command's help is in it, and groff reads it without a warning.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, tempDir } from '../helpers/harness.ts';
import { commandNames } from '../../contrib/man/write-man.ts';
import { run } from './run.ts';

const dunlin = (...args: string[]): string => execFileSync(process.execPath, [join(ROOT, 'bin/dunlin.js'), ...args], { encoding: 'utf8' });

test('the man page holds the general help and every command listed in it', async (t) => {
  const dir = tempDir('dunlin-man-');
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'dunlin.1');
  const r = await run(process.execPath, [join(ROOT, 'contrib/man/write-man.ts'), file]);
  assert.equal(r.code, 0, r.stderr);
  const names = commandNames(dunlin('help'));
  assert.ok(names.includes('serve') && names.includes('check-zone'), names.join(','));

  const groff = await run('groff', ['-man', '-Tutf8', '-ww', file]).catch(() => null);
  if (groff === null) {
    t.skip('groff is not installed: the rendered text is not checked');
    return;
  }
  assert.equal(groff.code, 0);
  assert.equal(groff.stderr, '', 'groff warnings');
  const text = groff.stdout.replace(/.\x08|\x1b\[[0-9;]*m/g, '');
  for (const name of names) {
    const usage = dunlin('help', name).split('\n')[0]!;
    assert.ok(text.includes(usage), `${name}: "${usage}" is in the man page`);
  }
});

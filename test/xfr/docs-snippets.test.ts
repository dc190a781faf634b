// docs/transfers-secondary.md: every configuration block is valid for the program it is written for (Dunlin's loader, knotc conf-check, nsd-checkconf, named-checkconf).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.ts';
import { ROOT, tempDir } from '../helpers/harness.ts';

const doc = readFileSync(join(ROOT, 'docs/transfers-secondary.md'), 'utf8');
const blocks = [...doc.matchAll(/<!-- check: (\w+) -->\n```\w*\n([\s\S]*?)```/g)].map((m) => ({ kind: m[1]!, text: m[2]! }));

test('docs/transfers-secondary.md: the Dunlin, Knot, NSD and BIND snippets are valid configurations', () => {
  assert.deepEqual(blocks.map((b) => b.kind).sort(), ['dunlin', 'knot', 'named', 'nsd']);
  const dir = tempDir('dunlin-docs-');
  try {
    writeFileSync(join(dir, 'example.net.zone'), '$ORIGIN example.net.\n$TTL 300\n@ SOA ns h 1 3600 600 86400 300\n@ NS ns\nns A 192.0.2.1\n');
    for (const b of blocks) {
      const file = join(dir, `${b.kind}.conf`);
      writeFileSync(file, b.text);
      if (b.kind === 'dunlin') {
        const c = loadConfig({ file, overrides: {} });
        assert.equal(c.zones[0]?.role, 'secondary');
        assert.equal(c.remotes[0]?.key, 'xfr-key');
        continue;
      }
      const cmd = b.kind === 'knot' ? ['knotc', ['-c', file, 'conf-check']] as const
        : b.kind === 'nsd' ? ['nsd-checkconf', [file]] as const
        : ['named-checkconf', [file]] as const;
      const r = spawnSync(cmd[0], cmd[1], { encoding: 'utf8', timeout: 15_000, cwd: dir });
      assert.equal(r.status, 0, `${b.kind}: ${r.stdout}${r.stderr}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// Owns the test that every example config starts and serves every zone it names (and that `npm start` uses one).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.ts';
import { ROOT, decodeResponse, encodeQuery, queryTcp, queryUdp, rcodeOf, startServer } from '../helpers/harness.ts';

const examples = readdirSync(join(ROOT, 'examples')).filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'));

test('npm start serves examples/dunlin.yaml', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  assert.equal(pkg.scripts['start'], 'node bin/dunlin.js serve --config examples/dunlin.yaml');
  assert.ok(examples.includes('dunlin.yaml'));
});

for (const name of examples) {
  test(`examples/${name} starts and serves every zone (UDP and TCP, authoritative, no zone errors)`, async () => {
    const path = join(ROOT, 'examples', name);
    const cfg = loadConfig({ file: path });
    assert.ok(cfg.zones.length > 0);
    const srv = await startServer({ args: ['--config', path], listen: ['127.0.0.1:0'], workers: cfg.workers });
    try {
      assert.equal(srv.workers, cfg.workers);
      for (const z of cfg.zones) {
        const u = decodeResponse(await queryUdp(srv.udp4, encodeQuery(z.name, 'SOA')));
        assert.equal(rcodeOf(u), 'NOERROR', z.name);
        assert.ok(((u.flags ?? 0) & 0x400) !== 0, `${z.name}: AA set`);
        assert.equal(u.answers?.[0]?.type, 'SOA');
        const [t] = await queryTcp(srv.tcp4, [encodeQuery(z.name, 'NS')]);
        assert.ok((decodeResponse(t!).answers ?? []).length >= 1, `${z.name}: NS over TCP`);
      }
      const problems = srv.logs().filter((l) => typeof l['problem'] === 'string');
      assert.deepEqual(problems, [], 'example zones load without errors or warnings');
    } finally {
      await srv.stop();
    }
  });
}

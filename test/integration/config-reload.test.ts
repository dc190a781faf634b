// Owns the configuration re-read test: SIGHUP takes over added and removed zones and live settings, refuses restart-only ones by key, and survives a broken file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeResponse, encodeQuery, queryUdp, rcodeOf, sampleZone, startServer, waitFor } from '../helpers/harness.ts';
import type { DunlinServer } from '../helpers/harness.ts';

function config(zones: readonly string[], extra = ''): string {
  return `${extra}zones:\n${zones.map((z) => `  - name: ${z}\n    file: ${z.replace(/\.$/, '')}.zone\n`).join('')}`;
}

async function rcode(srv: DunlinServer, name: string): Promise<string> {
  return rcodeOf(decodeResponse(await queryUdp(srv.udp4, encodeQuery(name, 'SOA'))));
}

test('SIGHUP re-reads the configuration: zones added and removed, restart-only settings refused by key, a broken file changes nothing', { timeout: 60_000 }, async () => {
  const srv = await startServer({ config: config(['one.test.']), env: {} });
  try {
    writeFileSync(join(srv.dir, 'one.test.zone'), sampleZone('one.test.'));
    writeFileSync(join(srv.dir, 'two.test.zone'), sampleZone('two.test.'));
    // The zone file was written after start: the first load failed; a plain reload picks it up.
    srv.signal('SIGHUP');
    await waitFor(async () => (await rcode(srv, 'one.test.')) === 'NOERROR');
    assert.equal(await rcode(srv, 'two.test.'), 'REFUSED');

    writeFileSync(join(srv.dir, 'dunlin.yaml'), config(['two.test.'], 'tcp:\n  idle_timeout_ms: 2500\n'));
    srv.signal('SIGHUP');
    await waitFor(async () => (await rcode(srv, 'two.test.')) === 'NOERROR');
    await waitFor(async () => (await rcode(srv, 'one.test.')) === 'REFUSED');
    const refused = await srv.waitForLog((l) => l['key'] === 'tcp.idle_timeout_ms');
    assert.match(String(refused['msg']), /needs a restart/);
    await srv.waitForLog((l) => l['msg'] === 'zone removed' && l['zone'] === 'one.test.');

    writeFileSync(join(srv.dir, 'dunlin.yaml'), config(['two.test.'], 'tcp:\n  idel_timeout_ms: 2500\n'));
    srv.signal('SIGHUP');
    const failed = await srv.waitForLog((l) => String(l['msg']).startsWith('configuration reload failed'));
    assert.match(String(failed['err']), /idel_timeout_ms.*did you mean tcp\.idle_timeout_ms/);
    assert.equal(await rcode(srv, 'two.test.'), 'NOERROR', 'still served');
    assert.equal(srv.child.exitCode, null, 'still running');
  } finally {
    await srv.stop();
  }
});

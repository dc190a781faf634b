// Dunlin as a secondary when its primary goes away: SERVFAIL after the SOA expire, recovery when the primary is back, and a restart that serves the persisted copy before the primary answers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { MAIN, startServer, tempDir } from '../helpers/harness.ts';
import { freePort, soaSerialAt, startKnotPrimary, waitSerial } from './xfr-helpers.ts';

const ZONE = 'expire.test';
// refresh 2 s, retry 1 s, expire 6 s: the whole cycle fits in a test.
const TEXT = `$ORIGIN expire.test.
$TTL 60
@     SOA ns1 hostmaster 7 2 1 6 60
@     NS  ns1
ns1   A   192.0.2.53
www   A   192.0.2.80
`;

test('secondary: SERVFAIL after expire without its primary, served again when it returns; a restart serves the persisted copy at once', { timeout: 90_000 }, async () => {
  const port = await freePort();
  const storage = tempDir('dunlin-storage-');
  let knot = await startKnotPrimary({ zone: ZONE, text: TEXT, notifyPort: port, tsig: false });
  const knotPort = knot.port;
  const knotDir = knot.dir;
  const config = ['storage: ' + JSON.stringify(storage), 'remotes:', '  - name: p', `    address: 127.0.0.1:${knotPort}`, 'zones:', `  - name: ${ZONE}`, '    primaries: [p]', ''].join('\n');
  let dunlin = await startServer({ config, listen: [`127.0.0.1:${port}`] });
  try {
    await waitSerial(port, ZONE, 7);
    await knot.stop(false);
    const t0 = Date.now();
    await waitSerial(port, ZONE, 'SERVFAIL', 15_000);
    assert.ok(Date.now() - t0 <= 9_000, `expired within the SOA expire (6 s) after the last refresh, took ${Date.now() - t0} ms`);
    await dunlin.waitForLog((l) => l['msg'] === 'secondary zone expired: no successful refresh within its SOA expire');
    const cli = spawnSync(process.execPath, [MAIN, 'zone', 'status', ZONE, '--socket', dunlin.controlSocket], { encoding: 'utf8', timeout: 15_000 });
    assert.equal(cli.status, 1, 'an expired zone is a failing zone for `zone status`');
    assert.match(cli.stdout, /role: +secondary/);
    assert.match(cli.stdout, /EXPIRED: answered SERVFAIL/);
    assert.match(cli.stdout, /refresh error: p 127\.0\.0\.1:\d+: /);
    assert.match(cli.stdout, /transfer: +axfr from p 127\.0\.0\.1:\d+ at \S+: ok, 4 records/);

    knot = await startKnotPrimary({ zone: ZONE, text: TEXT, notifyPort: port, tsig: false, port: knotPort, dir: knotDir });
    await waitSerial(port, ZONE, 7, 15_000);
    await knot.stop(false);

    // A restart with the primary down: the copy under storage is served as soon as the server is ready.
    await dunlin.stop();
    dunlin = await startServer({ config, listen: [`127.0.0.1:${port}`] });
    assert.equal(await soaSerialAt(port, ZONE), 7, 'the persisted copy is served before the primary answers');
    await dunlin.waitForLog((l) => l['msg'] === 'secondary zone refresh failed');
    assert.equal(await soaSerialAt(port, ZONE), 7, 'a failed refresh keeps the copy served until expire');
  } finally {
    await dunlin.stop();
    await knot.stop(true);
    rmSync(storage, { recursive: true, force: true });
  }
});

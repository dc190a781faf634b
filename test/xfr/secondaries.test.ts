// Interop: Dunlin as primary for real knotd, nsd and named secondaries (TSIG on): AXFR at start, NOTIFY + IXFR after a reload, content compared record by record.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { controlRequest } from '../../src/control/client.ts';
import type { ZoneStatus } from '../../src/control/types.ts';
import { startServer, waitFor } from '../helpers/harness.ts';
import type { DunlinServer } from '../helpers/harness.ts';
import { axfrLines, freePort, startKnotSecondary, startNamedSecondary, startNsdSecondary, waitSerial } from './daemons.ts';
import type { Secondary, TsigKey } from './daemons.ts';

export const TEST_KEY: TsigKey = { name: 'xfr-key', algorithm: 'hmac-sha256', secret: 'aW50ZXJvcC10ZXN0LXNlY3JldC1mb3ItZHVubGluLXhmcg==' };
const KEY: TsigKey | null = process.env['XFR_TEST_NO_TSIG'] === '1' ? null : TEST_KEY;
const ZONE = 'interop.test.';

export function zoneText(serial: number, extra: readonly string[]): string {
  return [
    '$ORIGIN interop.test.',
    '$TTL 300',
    `@ IN SOA ns1 hostmaster ${serial} 3600 600 86400 300`,
    '@ NS ns1',
    '@ NS ns2.elsewhere.example.',
    '@ MX 10 mail',
    'ns1 A 192.0.2.53',
    'mail A 192.0.2.25',
    'www CNAME @',
    '@ A 192.0.2.1',
    'txt TXT "hello world"',
    ...Array.from({ length: 300 }, (_v, i) => `host${i} A 198.51.100.${i % 250}`),
    ...extra,
    '',
  ].join('\n');
}

describe('Dunlin primary with knotd, nsd and named secondaries (TSIG)', { timeout: 120_000 }, () => {
  let dir: string;
  let server: DunlinServer;
  const secondaries: Secondary[] = [];
  const ports = { knot: 0, nsd: 0, named: 0 };
  let zoneFile: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dunlin-xfr-interop-'));
    zoneFile = join(dir, 'interop.test.zone');
    writeFileSync(zoneFile, zoneText(1, ['old A 192.0.2.99']));
    ports.knot = await freePort();
    ports.nsd = await freePort();
    ports.named = await freePort();
    const config = [
      `storage: ${dir}`,
      'keys:',
      `  - {name: ${TEST_KEY.name}, algorithm: ${TEST_KEY.algorithm}, secret: "${TEST_KEY.secret}"}`,
      'remotes:',
      `  - {name: knot, address: "127.0.0.1:${ports.knot}"${KEY ? `, key: ${KEY.name}` : ''}}`,
      `  - {name: nsd, address: "127.0.0.1:${ports.nsd}"${KEY ? `, key: ${KEY.name}` : ''}}`,
      `  - {name: named, address: "127.0.0.1:${ports.named}"${KEY ? `, key: ${KEY.name}` : ''}}`,
      'acls:',
      `  - {name: secondaries, address: [127.0.0.1]${KEY ? `, key: ${KEY.name}` : ''}, action: [transfer]}`,
      'zones:',
      `  - {name: ${ZONE}, file: ${zoneFile}, notify: [knot, nsd, named], acl: [secondaries]}`,
      '',
    ].join('\n');
    server = await startServer({ config, workers: 2 });
    const o = { zone: ZONE, primaryPort: server.port, key: KEY };
    secondaries.push(startKnotSecondary({ ...o, port: ports.knot }));
    secondaries.push(startNsdSecondary({ ...o, port: ports.nsd }));
    secondaries.push(startNamedSecondary({ ...o, port: ports.named }));
  });

  after(async () => {
    await Promise.all(secondaries.map((s) => s.stop()));
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('each secondary transfers the zone and serves the same records', async () => {
    const ours = axfrLines(server.port, ZONE, KEY);
    assert.ok(ours !== null && ours.length > 300, 'Dunlin answers a signed AXFR');
    for (const s of secondaries) {
      await waitSerial(s.port, ZONE, 1, 30_000).catch(() => assert.fail(`${s.kind} did not reach serial 1\n${s.log().slice(-3000)}`));
      assert.deepEqual(axfrLines(s.port, ZONE, null), ours, `${s.kind} serves what Dunlin serves`);
    }
  });

  it('a reload with a new serial is NOTIFYed, each secondary does IXFR and serves the new content', async () => {
    writeFileSync(zoneFile, zoneText(2, ['new A 192.0.2.100', 'new AAAA 2001:db8::100']).replace('host7 A 198.51.100.7', 'host7 A 203.0.113.7'));
    server.signal('SIGHUP');
    for (const s of secondaries) {
      await waitSerial(s.port, ZONE, 2, 30_000).catch(() => assert.fail(`${s.kind} did not reach serial 2\n${s.log().slice(-3000)}\n${server.stderr().slice(-3000)}`));
    }
    const ours = axfrLines(server.port, ZONE, KEY);
    assert.ok(ours !== null && ours.some((l) => l.startsWith('new.interop.test. IN AAAA')) && !ours.some((l) => l.startsWith('old.')));
    for (const s of secondaries) assert.deepEqual(axfrLines(s.port, ZONE, null), ours, `${s.kind} serves the new content`);
    // Every secondary asked from serial 1 and got the incremental form.
    // (The serving threads' log lines reach stderr a little after the transfer: wait for them.)
    const ixfrs = (): number => server.logs().filter((l) => l['msg'] === 'transfer out' && l['form'] === 'ixfr' && l['from'] === 1 && l['serial'] === 2).length;
    await waitFor(() => ixfrs() >= 3, 15_000).catch(() => undefined);
    assert.ok(ixfrs() >= 3, `three IXFR answers from serial 1 (got ${ixfrs()})`);
    const notified = (): string[] => [...new Set(server.logs().filter((l) => l['msg'] === 'notify answered' && l['serial'] === 2).map((l) => String(l['remote'])))].sort();
    await waitFor(() => notified().length === 3, 15_000).catch(() => undefined);
    assert.deepEqual(notified(), ['knot', 'named', 'nsd']);
    // zone status: the journal holds the change, each secondary's last NOTIFY answered.
    const zones = await controlRequest(server.controlSocket, 'zones', { timeoutMs: 5000 }) as { zones: ZoneStatus[] };
    const z = zones.zones.find((x) => x.zone === ZONE)!;
    assert.equal(z.journal?.depth, 1);
    assert.deepEqual(z.notified?.filter((n) => n.serial === 2 && n.result === 'ok').map((n) => n.remote).sort(), ['knot', 'named', 'nsd']);
  });
});

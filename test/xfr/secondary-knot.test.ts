// Dunlin as a secondary of knotd: first AXFR, IXFR after Knot's own change and its NOTIFY, content compared record by record, zone status.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { controlRequest } from '../../src/control/client.ts';
import { startServer } from '../helpers/harness.ts';
import { axfrLines, fileLines, freePort, KEY, knotc, startKnotPrimary, waitSerial } from './xfr-helpers.ts';

const ZONE = 'example.test';
const TEXT = `$ORIGIN example.test.
$TTL 300
@     SOA ns1 hostmaster 1 3600 600 86400 300
@     NS  ns1
@     A   192.0.2.1
@     MX  10 mail
ns1   A   192.0.2.53
mail  A   192.0.2.25
www   CNAME @
old   TXT "removed by the change"
`;

for (const tsig of [false, true]) {
  test(`knotd primary -> Dunlin secondary${tsig ? ' (TSIG)' : ''}: AXFR, then IXFR after NOTIFY, same records`, { timeout: 90_000 }, async () => {
    const port = await freePort();
    const knot = await startKnotPrimary({ zone: ZONE, text: TEXT, notifyPort: port, tsig });
    const config = [
      ...(tsig ? ['keys:', `  - name: ${KEY.name}`, `    algorithm: ${KEY.algorithm}`, `    secret: "${KEY.secret}"`] : []),
      'remotes:',
      '  - name: knot',
      `    address: 127.0.0.1:${knot.port}`,
      ...(tsig ? [`    key: ${KEY.name}`] : []),
      'acls:',
      '  - name: from-knot',
      '    address: 127.0.0.1',
      ...(tsig ? [`    key: ${KEY.name}`] : []),
      '    action: [notify]',
      'zones:',
      `  - name: ${ZONE}`,
      '    primaries: [knot]',
      '    acl: [from-knot]',
      '',
    ].join('\n');
    const dunlin = await startServer({ config, listen: [`127.0.0.1:${port}`], workers: 2 });
    try {
      await waitSerial(port, ZONE, 1);
      const copy = join(dunlin.dir, 'zones', `${ZONE}.zone`);
      assert.deepEqual(fileLines(copy, ZONE), axfrLines(knot.port, ZONE, tsig), 'the persisted copy holds exactly what Knot transfers');

      // Knot's own change: it bumps the serial and sends NOTIFY; Dunlin asks IXFR.
      knotc(knot, 'zone-begin', ZONE);
      knotc(knot, 'zone-set', ZONE, 'new', '300', 'A', '192.0.2.77');
      knotc(knot, 'zone-unset', ZONE, 'old', 'TXT');
      knotc(knot, 'zone-commit', ZONE);
      await waitSerial(port, ZONE, 2, 15_000);
      const applied = await dunlin.waitForLog((l) => l['msg'] === 'zone transfer applied' && l['serial'] === 2);
      assert.equal(applied['kind'], 'ixfr');
      assert.ok(dunlin.logs().some((l) => l['msg'] === 'NOTIFY received'), 'the change arrived by NOTIFY');
      assert.deepEqual(fileLines(copy, ZONE), axfrLines(knot.port, ZONE, tsig));

      const st = (await controlRequest(dunlin.controlSocket, 'zones', { timeoutMs: 5000 })) as { zones: { zone: string; role: string; serial: number; secondary: { lastTransfer: { kind: string; result: string; records: number } } }[] };
      const z = st.zones.find((x) => x.zone === `${ZONE}.`)!;
      assert.equal(z.role, 'secondary');
      assert.equal(z.serial, 2);
      assert.equal(z.secondary.lastTransfer.kind, 'ixfr');
      assert.equal(z.secondary.lastTransfer.result, 'ok');
    } finally {
      await dunlin.stop();
      await knot.stop();
    }
  });
}

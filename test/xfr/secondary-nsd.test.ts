// Dunlin as a secondary of NSD: AXFR, then NSD's NOTIFY after a zone file change, the new serial transferred (NSD answers IXFR in the AXFR form), records compared.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer } from '../helpers/harness.ts';
import { axfrLines, fileLines, freePort, KEY, startNsdPrimary, waitSerial } from './xfr-helpers.ts';

const ZONE = 'nsd.test';
const text = (serial: number, extra = ''): string => `$ORIGIN nsd.test.
$TTL 300
@     SOA ns1 hostmaster ${serial} 3600 600 86400 300
@     NS  ns1
@     A   192.0.2.1
ns1   A   192.0.2.53
txt   TXT "serial ${serial}" "second string"
srv   SRV 10 5 5060 sip
sip   AAAA 2001:db8::5
${extra}`;

for (const tsig of [false, true]) {
  test(`nsd primary -> Dunlin secondary${tsig ? ' (TSIG)' : ''}: AXFR, NOTIFY after a change, same records`, { timeout: 90_000 }, async () => {
    const port = await freePort();
    const nsd = await startNsdPrimary({ zone: ZONE, text: text(10), tsig, notifyPort: port });
    const config = [
      ...(tsig ? ['keys:', `  - name: ${KEY.name}`, `    algorithm: ${KEY.algorithm}`, `    secret: "${KEY.secret}"`] : []),
      'remotes:',
      '  - name: nsd',
      `    address: 127.0.0.1:${nsd.port}`,
      ...(tsig ? [`    key: ${KEY.name}`] : []),
      'acls:',
      '  - name: from-nsd',
      '    address: 127.0.0.1',
      ...(tsig ? [`    key: ${KEY.name}`] : []),
      '    action: [notify]',
      'zones:',
      `  - name: ${ZONE}`,
      '    primaries: [nsd]',
      '    acl: [from-nsd]',
      '',
    ].join('\n');
    const dunlin = await startServer({ config, listen: [`127.0.0.1:${port}`] });
    try {
      await waitSerial(port, ZONE, 10);
      const copy = join(dunlin.dir, 'zones', `${ZONE}.zone`);
      assert.deepEqual(fileLines(copy, ZONE), axfrLines(nsd.port, ZONE, tsig));

      writeFileSync(join(nsd.dir, `${ZONE}.zone`), text(11, 'new   A   192.0.2.111\n'));
      process.kill(nsd.child.pid!, 'SIGHUP');
      await waitSerial(port, ZONE, 11, 20_000);
      assert.ok(dunlin.logs().some((l) => l['msg'] === 'NOTIFY received'), 'NSD notified the change');
      assert.deepEqual(fileLines(copy, ZONE), axfrLines(nsd.port, ZONE, tsig));
    } finally {
      await dunlin.stop();
      await nsd.stop();
    }
  });
}

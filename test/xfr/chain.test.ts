// The chain Knot -> Dunlin -> NSD with TSIG on every hop: Knot's change reaches NSD through Dunlin (Dunlin's NOTIFY out and AXFR/IXFR out, its NOTIFY in and IXFR in).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeMessage } from '../../src/wire/message.ts';
import { Name } from '../../src/wire/name.ts';
import { RRType } from '../../src/wire/constants.ts';
import { signRequest, tsigKey } from '../../src/tsig/index.ts';
import { decodeResponse, queryTcp, rcodeOf, startServer } from '../helpers/harness.ts';
import { freePort, KEY, knotc, startKnotPrimary, startNsdPrimary, waitSerial } from './xfr-helpers.ts';

const ZONE = 'chain.test';
const TEXT = `$ORIGIN chain.test.
$TTL 300
@     SOA ns1 hostmaster 100 3600 600 86400 300
@     NS  ns1
ns1   A   192.0.2.53
www   A   192.0.2.80
`;

test('chain Knot -> Dunlin -> NSD (TSIG): a change made in Knot reaches NSD', { timeout: 120_000 }, async () => {
  const port = await freePort();
  const nsdPort = await freePort();
  const knot = await startKnotPrimary({ zone: ZONE, text: TEXT, notifyPort: port, tsig: true });
  const config = [
    'keys:', `  - name: ${KEY.name}`, `    algorithm: ${KEY.algorithm}`, `    secret: "${KEY.secret}"`,
    'remotes:',
    '  - name: knot', `    address: 127.0.0.1:${knot.port}`, `    key: ${KEY.name}`,
    '  - name: nsd', `    address: 127.0.0.1:${nsdPort}`, `    key: ${KEY.name}`,
    'acls:',
    '  - name: local', '    address: 127.0.0.1', `    key: ${KEY.name}`, '    action: [notify, transfer]',
    'zones:',
    `  - name: ${ZONE}`, '    primaries: [knot]', '    notify: [nsd]', '    acl: [local]',
    '',
  ].join('\n');
  const dunlin = await startServer({ config, listen: [`127.0.0.1:${port}`] });
  try {
    await waitSerial(port, ZONE, 100);
    // Dunlin answers a signed, allowed AXFR (the primary side of issue 11): it is the middle of the chain.
    const q = encodeMessage({ id: 7, flags: 0, opcode: 0, rcode: 0, questions: [{ name: Name.fromText(`${ZONE}.`), type: RRType.AXFR, class: 1 }], answers: [], authority: [], additional: [], edns: null });
    const [a] = await queryTcp({ host: '127.0.0.1', port }, [Buffer.from(signRequest(q, tsigKey(KEY), Date.now() / 1000).bytes)]);
    assert.ok(a !== undefined, 'Dunlin answered the AXFR');
    assert.equal(rcodeOf(decodeResponse(a)), 'NOERROR', 'Dunlin serves AXFR to an allowed, signed request');
    const nsd = await startNsdPrimary({ zone: ZONE, text: '', tsig: true, primaryPort: port, port: nsdPort });
    try {
      await waitSerial(nsd.port, ZONE, 100, 20_000);
      knotc(knot, 'zone-begin', ZONE);
      knotc(knot, 'zone-set', ZONE, 'new', '300', 'A', '192.0.2.99');
      knotc(knot, 'zone-commit', ZONE);
      await waitSerial(port, ZONE, 101, 15_000);
      await waitSerial(nsd.port, ZONE, 101, 20_000);
      assert.ok(dunlin.logs().some((l) => l['msg'] === 'zone transfer applied' && l['serial'] === 101));
    } finally {
      await nsd.stop();
    }
  } finally {
    await dunlin.stop();
    await knot.stop();
  }
});

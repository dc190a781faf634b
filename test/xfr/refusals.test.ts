// Transfer refusals of a Dunlin primary, checked with dnspython: no key or a key the ACL does not name (REFUSED), wrong secret (BADSIG), unknown key (BADKEY), AXFR over UDP, a peer outside the ACL.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startServer } from '../helpers/harness.ts';
import type { DunlinServer } from '../helpers/harness.ts';

const PROBE = new URL('./axfr_probe.py', import.meta.url).pathname;
const ZONE = ['$ORIGIN r.test.', '$TTL 300', '@ SOA ns1 h 1 3600 600 86400 300', '@ NS ns1', 'ns1 A 192.0.2.1', ''].join('\n');

function probe(port: number, mode: string): string {
  const r = spawnSync('/usr/bin/python3', [PROBE, String(port), mode], { encoding: 'utf8', timeout: 15_000 });
  return (r.stdout + r.stderr).trim();
}

function config(aclAddress: string): string {
  return [
    'keys:',
    '  - {name: xfr-key, algorithm: hmac-sha256, secret: "aW50ZXJvcC10ZXN0LXNlY3JldC1mb3ItZHVubGluLXhmcg=="}',
    '  - {name: other-key, algorithm: hmac-sha256, secret: "b3RoZXItc2VjcmV0LWZvci1kdW5saW4teGZyLXRlc3Q="}',
    'acls:',
    `  - {name: sec, address: [${aclAddress}], key: xfr-key, action: [transfer]}`,
    '',
  ].join('\n');
}

describe('transfer refusals', { timeout: 60_000 }, () => {
  let server: DunlinServer;
  let elsewhere: DunlinServer;

  before(async () => {
    // The zone's acl comes from the config; the zone itself from --zone, so the acl is attached through a config zone entry.
    server = await startServer({ config: config('127.0.0.1') + zoneEntry() });
    elsewhere = await startServer({ config: config('192.0.2.0/24') + zoneEntry() });
  });
  after(async () => {
    await server?.stop();
    await elsewhere?.stop();
  });

  it('a signed AXFR from an allowed address gets the zone', () => {
    assert.equal(probe(server.port, 'good'), 'rcode NOERROR answers 3');
  });
  it('unsigned, or signed with a key the ACL does not name: REFUSED and no data', () => {
    assert.equal(probe(server.port, 'none'), 'rcode REFUSED answers 0');
    assert.equal(probe(server.port, 'other'), 'rcode REFUSED answers 0');
  });
  it('a wrong secret is BADSIG, an unknown key BADKEY (RFC 8945 §5.2)', () => {
    assert.equal(probe(server.port, 'wrong'), 'BADSIG');
    assert.equal(probe(server.port, 'unknown'), 'BADKEY');
  });
  it('AXFR over UDP is NOTIMP (RFC 5936 §4.2)', () => {
    assert.equal(probe(server.port, 'udp'), 'rcode NOTIMP answers 0');
  });
  it('the right key from an address outside the ACL: REFUSED', async () => {
    assert.equal(probe(elsewhere.port, 'good'), 'rcode REFUSED answers 0');
    const l = await elsewhere.waitForLog((x) => x['msg'] === 'transfer refused');
    assert.equal(l['why'], 'refused');
  });
});

let zoneFile = '';
function zoneEntry(): string {
  if (zoneFile === '') {
    const dir = mkdtempSync(join(tmpdir(), 'dunlin-refusals-'));
    zoneFile = join(dir, 'r.test.zone');
    writeFileSync(zoneFile, ZONE);
  }
  return ['zones:', `  - {name: r.test, file: ${zoneFile}, acl: [sec]}`, ''].join('\n');
}

// NOTIFY in (RFC 1996) for secondary zones: accepted per ACL and TSIG with NOERROR+AA and the question; NOTAUTH when no ACL allows it or the zone is not a secondary; TSIG errors; dnspython's signed NOTIFY accepted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Keyring, signRequest, tsigKey } from '../../src/tsig/index.ts';
import { Flag, Opcode, Rcode, RRType } from '../../src/wire/constants.ts';
import { decodeMessage, encodeMessage, newMessageSpans } from '../../src/wire/message.ts';
import { Name } from '../../src/wire/name.ts';
import { queryUdp, sampleZone, startServer, tempDir } from '../helpers/harness.ts';
import { freePort, KEY } from './xfr-helpers.ts';

function notify(zone: string, id = 4242): Uint8Array {
  return encodeMessage({ id, flags: Flag.AA, opcode: Opcode.NOTIFY, rcode: 0, questions: [{ name: Name.fromText(zone), type: RRType.SOA, class: 1 }], answers: [], authority: [], additional: [], edns: null });
}

test('NOTIFY in: ACL and TSIG decide; accepted ones reach the scheduler', { timeout: 60_000 }, async () => {
  const dead = await freePort();
  const dir = tempDir();
  const primFile = join(dir, 'prim.test.zone');
  writeFileSync(primFile, sampleZone('prim.test.'));
  const config = [
    'keys:',
    `  - name: ${KEY.name}`,
    `    algorithm: ${KEY.algorithm}`,
    `    secret: "${KEY.secret}"`,
    '  - name: other-key',
    '    algorithm: hmac-sha256',
    '    secret: "b3RoZXItc2VjcmV0LW90aGVyLXNlY3JldA=="',
    'remotes:',
    '  - name: p',
    `    address: 127.0.0.1:${dead}`,
    'acls:',
    '  - name: signed-local',
    '    address: 127.0.0.1',
    `    key: ${KEY.name}`,
    '    action: [notify]',
    '  - name: elsewhere',
    '    address: 192.0.2.0/24',
    '    action: [notify]',
    'zones:',
    '  - name: sec.test',
    '    primaries: [p]',
    '    acl: [signed-local]',
    '  - name: far.test',
    '    primaries: [p]',
    '    acl: [elsewhere]',
    '  - name: prim.test',
    `    file: ${JSON.stringify(primFile)}`,
    '    acl: [signed-local]',
    '',
  ].join('\n');
  const dunlin = await startServer({ config });
  try {
    const ep = dunlin.udp4;
    const key = tsigKey(KEY);
    const send = async (bytes: Uint8Array) => {
      const raw = new Uint8Array(await queryUdp(ep, Buffer.from(bytes)));
      const spans = newMessageSpans();
      return { raw, spans, m: decodeMessage(raw, spans) };
    };

    // Signed with the ACL's key from 127.0.0.1: accepted, answered signed.
    const signed = signRequest(notify('sec.test.'), key, Date.now() / 1000);
    const ok = await send(signed.bytes);
    assert.equal(ok.m.rcode, Rcode.NOERROR);
    assert.equal(ok.m.opcode, Opcode.NOTIFY);
    assert.ok(ok.m.flags & Flag.AA, 'AA set (RFC 1996 §4.7)');
    assert.equal(ok.m.questions[0]?.name.toText(), 'sec.test.');
    assert.equal(signed.verifier.verify(ok.raw, ok.m, ok.spans), 'ok', 'the answer is signed with the key');
    await dunlin.waitForLog((l) => l['msg'] === 'NOTIFY received' && l['zone'] === 'sec.test.');

    // Unsigned: the only ACL wants the key.
    assert.equal((await send(notify('sec.test.'))).m.rcode, Rcode.NOTAUTH);
    // Another configured key: verified, but not the ACL's.
    const other = new Keyring([{ name: 'other-key', algorithm: 'hmac-sha256', secret: 'b3RoZXItc2VjcmV0LW90aGVyLXNlY3JldA==' }]).byConfigName('other-key')!;
    assert.equal((await send(signRequest(notify('sec.test.'), other, Date.now() / 1000).bytes)).m.rcode, Rcode.NOTAUTH);
    // Unknown key: BADKEY (RFC 8945 §5.2.1).
    const unknown = tsigKey({ name: 'nobody', algorithm: 'hmac-sha256', secret: KEY.secret });
    const badkey = await send(signRequest(notify('sec.test.'), unknown, Date.now() / 1000).bytes);
    assert.equal(badkey.m.rcode, Rcode.NOTAUTH);
    assert.equal(badkey.m.additional.find((r) => r.type === RRType.TSIG) !== undefined, true, 'a TSIG RR carries the error');
    // Right name, wrong secret: BADSIG.
    const forged = tsigKey({ name: KEY.name, algorithm: 'hmac-sha256', secret: 'd3Jvbmctc2VjcmV0LXdyb25nLXNlY3JldA==' });
    assert.equal((await send(signRequest(notify('sec.test.'), forged, Date.now() / 1000).bytes)).m.rcode, Rcode.NOTAUTH);
    // ACL address miss, a primary zone, an unknown zone: NOTAUTH, as Knot answers.
    assert.equal((await send(notify('far.test.'))).m.rcode, Rcode.NOTAUTH);
    assert.equal((await send(notify('prim.test.'))).m.rcode, Rcode.NOTAUTH);
    assert.equal((await send(notify('nowhere.test.'))).m.rcode, Rcode.NOTAUTH);
    assert.equal(dunlin.logs().filter((l) => l['msg'] === 'NOTIFY received').length, 1, 'only the accepted NOTIFY reached the main thread');

    // dnspython signs a NOTIFY on its own: accepted, and it verifies our signed answer.
    const py = spawnSync('/usr/bin/python3', ['-c', `
import dns.message, dns.query, dns.opcode, dns.rcode, dns.tsigkeyring, dns.flags
kr = dns.tsigkeyring.from_text({'${KEY.name}.': ('hmac-sha256', '${KEY.secret}')})
m = dns.message.make_query('sec.test.', 'SOA')
m.flags = dns.flags.AA
m.set_opcode(dns.opcode.NOTIFY)
m.use_tsig(kr, keyname='${KEY.name}.')
r = dns.query.udp(m, '127.0.0.1', port=${ep.port}, timeout=3)
print(dns.rcode.to_text(r.rcode()), bool(r.flags & dns.flags.AA), r.had_tsig)
`], { encoding: 'utf8', timeout: 15_000 });
    assert.equal(py.stdout.trim(), 'NOERROR True True', py.stderr);
  } finally {
    await dunlin.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

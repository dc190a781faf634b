// Owns the validating-resolver test: unbound with the signed test zones' trust anchors and stub zones on Dunlin; every answer secure (AD) with the right rcode, never bogus.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildQuery } from '../responder/dns-helpers.ts';
import { freePort, startDunlin, tcpQuery, udpQuery } from './knot-diff-harness.ts';
import type { Spawned } from './knot-diff-harness.ts';
import { signerAvailable, signZones } from './signed-zones.ts';
import type { SignedZone } from './signed-zones.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const UNBOUND = '/usr/sbin/unbound';

const NOERROR = 0;
const NXDOMAIN = 3;

/**
 * The query classes of issue 12 (names relative to each zone), the rcode a validator must give,
 * and whether the answer may be insecure in the opt-out zone: an opt-out NSEC3 covering the next
 * closer name proves only that no *signed* name exists there, so a validator gives no AD for
 * NXDOMAIN, wildcard and opt-out DS answers (RFC 5155 §9.2, §8.9); they must still not be bogus.
 */
type Case = readonly [cls: string, rel: string, type: string, rcode: number, optoutMayBeInsecure: boolean];
const CASES: readonly Case[] = [
  ['positive apex', '', 'SOA', NOERROR, false],
  ['positive DNSKEY', '', 'DNSKEY', NOERROR, false],
  ['positive', 'www', 'A', NOERROR, false],
  ['positive with additional', '_sip._udp', 'SRV', NOERROR, false],
  ['large (TC, then TCP)', 'big', 'TXT', NOERROR, false],
  ['cname', 'alias', 'A', NOERROR, false],
  ['cname chain', 'chain1', 'A', NOERROR, false],
  ['cname to nxdomain', 'dangling', 'A', NXDOMAIN, true],
  ['dname', 'a.dn', 'A', NOERROR, false],
  ['dname to nxdomain', 'x.dn', 'A', NXDOMAIN, true],
  ['nodata', 'www', 'MX', NOERROR, false],
  ['nodata ent', 'y.ent', 'A', NOERROR, false],
  ['nxdomain', 'nonexistent', 'A', NXDOMAIN, true],
  ['nxdomain deep', 'a.b.nonexistent', 'A', NXDOMAIN, true],
  ['nxdomain below existing', 'x.www', 'A', NXDOMAIN, true],
  ['wildcard', 'foo.wild', 'A', NOERROR, true],
  ['wildcard nodata', 'foo.wild', 'AAAA', NOERROR, true],
  ['wildcard cname', 'foo.wcname', 'A', NOERROR, true],
  ['ds from parent', 'deleg', 'DS', NOERROR, false],
  ['ds absent', 'insecure', 'DS', NOERROR, true],
  ['ds absent below ent', 'a.b.unsigned', 'DS', NOERROR, true],
  ['nodata optout ent', 'b.unsigned', 'A', NOERROR, true],
];

function unboundAvailable(): boolean {
  try {
    execFileSync(UNBOUND, ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

let dunlin: Spawned | undefined;
let unbound: ChildProcess | undefined;
let unboundPort = 0;
let signed: { dir: string; zones: SignedZone[] } | undefined;
let unboundDir = '';
let unboundLog = '';

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return resolve();
    const t = setTimeout(() => { try { process.kill(child.pid!, 'SIGKILL'); } catch { /* gone */ } }, 3000);
    child.once('exit', () => { clearTimeout(t); resolve(); });
    try { process.kill(child.pid, 'SIGTERM'); } catch { clearTimeout(t); resolve(); }
  });
}

before(async () => {
  if (!unboundAvailable() || !signerAvailable()) return;
  signed = signZones();
  const specs = signed.zones.map((z) => ({ origin: z.origin, file: z.file }));
  const probe = buildQuery('nsec.test', 'SOA', { edns: false });
  // One port for UDP and TCP: unbound's stub-addr names a single address@port for both.
  const dport = await freePort();
  dunlin = await startDunlin(specs, probe, join(ROOT, 'src', 'cli', 'main.ts'), `127.0.0.1:${dport}`);
  unboundDir = mkdtempSync(join(tmpdir(), 'dunlin-unbound-'));
  unboundPort = await freePort();
  const conf = [
    'server:',
    `    interface: 127.0.0.1@${unboundPort}`,
    `    port: ${unboundPort}`,
    '    do-ip6: no',
    '    do-not-query-localhost: no',
    '    username: ""',
    '    chroot: ""',
    `    directory: "${unboundDir}"`,
    `    pidfile: "${join(unboundDir, 'unbound.pid')}"`,
    '    use-syslog: no',
    '    logfile: ""',
    '    verbosity: 1',
    '    val-log-level: 2',
    '    module-config: "validator iterator"',
    '    qname-minimisation: no',
    '    aggressive-nsec: no',
    '    num-threads: 1',
    '    access-control: 127.0.0.0/8 allow',
    // test. is one of unbound's default local zones (RFC 6761 §6.2): let the stubs answer it.
    '    local-zone: "test." nodefault',
    ...signed.zones.map((z) => `    trust-anchor: "${z.dnskey}"`),
    'remote-control:',
    '    control-enable: no',
    ...signed.zones.flatMap((z) => ['stub-zone:', `    name: "${z.origin}."`, `    stub-addr: 127.0.0.1@${dport}`]),
    '',
  ].join('\n');
  writeFileSync(join(unboundDir, 'unbound.conf'), conf);
  unbound = spawn(UNBOUND, ['-d', '-c', join(unboundDir, 'unbound.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
  unbound.stdout?.on('data', (d: Buffer) => { unboundLog += d.toString(); });
  unbound.stderr?.on('data', (d: Buffer) => { unboundLog += d.toString(); });
  // Ready when it answers (anything) on its port.
  const until = Date.now() + 15_000;
  for (;;) {
    if (await udpQuery(unboundPort, buildQuery('nsec.test', 'SOA', { rd: true, do: true }), 1000)) break;
    if (Date.now() > until || unbound.exitCode !== null) throw new Error(`unbound did not start:\n${unboundLog}`);
  }
}, { timeout: 60_000 });

after(async () => {
  if (unbound) await stopChild(unbound);
  await dunlin?.stop();
  if (unboundDir) rmSync(unboundDir, { recursive: true, force: true });
  if (signed) rmSync(signed.dir, { recursive: true, force: true });
});

test('unbound validates every answer from the signed zones: secure (AD), the right rcode, never bogus', { timeout: 120_000 }, async (t) => {
  if (!unbound) {
    assert.ok(!unboundAvailable() || !signerAvailable(), 'unbound and dnssec-signzone are installed but the test did not start');
    t.skip('unbound or dnssec-signzone not installed');
    return;
  }
  const failures: string[] = [];
  let secure = 0;
  for (const z of signed!.zones) {
    const cases: Case[] = [...CASES, ...(z.mode === 'nsec' ? [] : [['positive NSEC3PARAM', '', 'NSEC3PARAM', NOERROR, false] as const])];
    for (const [cls, rel, type, rcode, optoutMayBeInsecure] of cases) {
      const name = rel === '' ? z.origin : `${rel}.${z.origin}`;
      const q = buildQuery(name, type, { rd: true, do: true, udpSize: 4096 });
      let raw = await udpQuery(unboundPort, q, 5000);
      if (raw && raw[2]! & 0x02) raw = await tcpQuery(unboundPort, q, 5000);
      if (!raw) {
        failures.push(`${cls}: ${name} ${type}: no answer from unbound`);
        continue;
      }
      const gotRcode = raw[3]! & 0x0f;
      const ad = (raw[3]! & 0x20) !== 0;
      const mayBeInsecure = z.mode === 'optout' && optoutMayBeInsecure;
      if (gotRcode !== rcode) failures.push(`${cls}: ${name} ${type}: rcode ${gotRcode}, want ${rcode}${gotRcode === 2 ? ' (SERVFAIL: bogus)' : ''}`);
      else if (!ad && !mayBeInsecure) failures.push(`${cls}: ${name} ${type}: not secure (no AD)`);
      if (ad) secure++;
    }
  }
  t.diagnostic(`${secure} secure answers`);
  assert.deepEqual(failures, [], `validation failures:\n${failures.join('\n')}\nunbound log:\n${unboundLog.slice(-4000)}`);
  assert.match(unboundLog, /^(?![\s\S]*validation failure)/, 'unbound logged a validation failure');
});

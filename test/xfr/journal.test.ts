// The journal and serial policy against a real server: IXFR across a restart, a torn journal tail dropped, a journal that does not end at the loaded serial discarded, keep refusing and increment bumping a changed zone with the same serial.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { startServer } from '../helpers/harness.ts';
import type { DunlinServer } from '../helpers/harness.ts';
import { Journal } from '../../src/xfr/journal.ts';
import { Name } from '../../src/wire/name.ts';
import { RRType } from '../../src/wire/constants.ts';
import { soaWithSerial } from '../../src/store/index.ts';
import type { Changeset } from '../../src/store/index.ts';

function zone(origin: string, serial: number, a: string): string {
  return [`$ORIGIN ${origin}`, '$TTL 300', `@ SOA ns1 h ${serial} 3600 600 86400 300`, '@ NS ns1', 'ns1 A 192.0.2.1', `www A ${a}`, ''].join('\n');
}

/** kdig over TCP: the answer records as "owner TYPE rdata" lines. */
function dig(port: number, name: string, type: string, tcp = true): string[] {
  const r = spawnSync('kdig', ['@127.0.0.1', '-p', String(port), tcp ? '+tcp' : '+notcp', '+noall', '+answer', '+nottl', '+noclass', '+time=3', '+retry=0', name, type], { encoding: 'utf8', timeout: 10_000 });
  return r.stdout.split('\n').map((l) => l.trim().replace(/\s+/g, ' ')).filter((l) => l !== '' && !l.startsWith(';'));
}

/** Transfers allowed from loopback, unsigned (test only). */
const ACL = 'acls: [{name: local, address: [127.0.0.1], action: [transfer]}]';

const soaSerials = (lines: readonly string[]): number[] => lines.filter((l) => / SOA /.test(l)).map((l) => Number(l.split(' ')[4]));

describe('journal across restarts', { timeout: 90_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'dunlin-journal-'));
  const file = join(dir, 'j.test.zone');
  const config = ['storage: ' + dir, ACL, 'zones:', `  - {name: j.test, file: ${file}, acl: [local]}`, ''].join('\n');
  let server: DunlinServer | null = null;
  after(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('IXFR from a journaled serial works after a restart; a torn last write is dropped', async () => {
    writeFileSync(file, zone('j.test.', 1, '192.0.2.10'));
    server = await startServer({ config });
    for (const [serial, a] of [[2, '192.0.2.20'], [3, '192.0.2.30']] as const) {
      writeFileSync(file, zone('j.test.', serial, a));
      server.signal('SIGHUP');
      await server.waitForLog((l) => l['msg'] === 'zone reloaded' && l['serial'] === serial);
    }
    await server.stop();
    server = null;
    const jfile = join(dir, 'journal', 'j.test.journal');
    const good = statSync(jfile).size;
    // A torn append: the start of a frame (magic and a length) and nothing else.
    appendFileSync(jfile, Buffer.from([0x44, 0x4a, 0x4e, 0x31, 0, 0, 1, 0, 9, 9]));
    server = await startServer({ config });
    const torn = await server.waitForLog((l) => l['msg'] === 'journal: incomplete last write dropped');
    assert.equal(torn['tornBytes'], 10);
    await server.waitForLog((l) => l['msg'] === 'journal restored' && l['depth'] === 2);
    assert.equal(statSync(jfile).size, good);
    const ixfr = dig(server.port, 'j.test.', 'IXFR=1');
    // RFC 1995 §4: new SOA, (old SOA, removed, new SOA, added) per version, new SOA.
    assert.deepEqual(soaSerials(ixfr), [3, 1, 2, 2, 3, 3]);
    assert.ok(ixfr.includes('www.j.test. A 192.0.2.10') && ixfr.includes('www.j.test. A 192.0.2.30'));
  });

  it('a journal that does not end at the serial loaded is discarded', async () => {
    await server?.stop();
    server = null;
    writeFileSync(file, zone('j.test.', 7, '192.0.2.70'));
    server = await startServer({ config });
    await server.waitForLog((l) => typeof l['msg'] === 'string' && l['msg'].startsWith('journal does not end at the loaded serial'));
    // Unknown serial now: AXFR-style answer (the whole zone between two SOAs).
    assert.deepEqual(soaSerials(dig(server.port, 'j.test.', 'IXFR=3')), [7, 7]);
  });
});

describe('serial policy', { timeout: 60_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'dunlin-serial-'));
  const keep = join(dir, 'keep.zone');
  const inc = join(dir, 'inc.zone');
  let server: DunlinServer | null = null;
  after(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keep refuses a changed zone with the same serial; increment serves it with the next serial', async () => {
    writeFileSync(keep, zone('keep.test.', 5, '192.0.2.1'));
    writeFileSync(inc, zone('inc.test.', 5, '192.0.2.1'));
    server = await startServer({
      config: ['storage: ' + dir, ACL, 'zones:', `  - {name: keep.test, file: ${keep}, acl: [local]}`, `  - {name: inc.test, file: ${inc}, serial_policy: increment, acl: [local]}`, ''].join('\n'),
    });
    writeFileSync(keep, zone('keep.test.', 5, '192.0.2.2'));
    writeFileSync(inc, zone('inc.test.', 5, '192.0.2.2'));
    server.signal('SIGHUP');
    const refused = await server.waitForLog((l) => l['msg'] === 'zone reload failed' && l['zone'] === 'keep.test.');
    assert.equal(refused['keeping'], 5);
    const problem = server.logs().find((l) => l['zone'] === 'keep.test.' && typeof l['problem'] === 'string');
    assert.match(String(problem?.['problem']), /serial 5 is not greater than the served 5: new content refused/);
    assert.deepEqual(dig(server.port, 'www.keep.test.', 'A'), ['www.keep.test. A 192.0.2.1']);
    await server.waitForLog((l) => l['msg'] === 'zone reloaded' && l['zone'] === 'inc.test.');
    assert.deepEqual(dig(server.port, 'www.inc.test.', 'A'), ['www.inc.test. A 192.0.2.2']);
    assert.deepEqual(soaSerials(dig(server.port, 'inc.test.', 'SOA')), [6]);
    await server.waitForLog((l) => l['msg'] === 'journal restored' || (l['msg'] === 'zone reloaded' && l['zone'] === 'inc.test.'));
    assert.deepEqual(soaSerials(dig(server.port, 'inc.test.', 'IXFR=5')), [6, 5, 6, 6]);
    // Over UDP (RFC 1995 §2): the incremental answer when it fits, our SOA alone for a current serial.
    assert.deepEqual(soaSerials(dig(server.port, 'inc.test.', 'IXFR=5', false)), [6, 5, 6, 6]);
    assert.deepEqual(soaSerials(dig(server.port, 'inc.test.', 'IXFR=6', false)), [6]);
  });
});

describe('Journal file', () => {
  const origin = Name.fromText('u.test.');
  const soa = (serial: number): Changeset['soaFrom'] => ({ name: origin, type: RRType.SOA, class: 1, ttl: 300, rdata: soaWithSerial(new Uint8Array([1, 0, 1, 0, ...new Array<number>(20).fill(0)]), serial) });
  const cs = (from: number, n: number): Changeset => ({
    origin, serialFrom: from, serialTo: from + 1, soaFrom: soa(from), soaTo: soa(from + 1),
    removed: [], added: Array.from({ length: n }, (_v, i) => ({ name: Name.fromText(`h${i}.u.test.`), type: RRType.A, class: 1, ttl: 60, rdata: new Uint8Array([10, 0, from & 255, i & 255]) })),
  });

  it('keeps at most max_depth changesets and max_bytes octets, oldest dropped first; reads back what it wrote', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dunlin-journal-unit-'));
    try {
      const j = new Journal(dir, origin, { maxBytes: 1_000_000, maxDepth: 3 });
      for (let s = 1; s <= 5; s++) assert.ok(j.append(cs(s, 2)));
      assert.equal(j.depth, 3);
      const again = new Journal(dir, origin, { maxBytes: 1_000_000, maxDepth: 3 }).open();
      assert.deepEqual(again.changesets.map((c) => c.serialFrom), [3, 4, 5]);
      assert.equal(again.changesets[2]!.added[1]!.name.toText(), 'h1.u.test.');
      const small = new Journal(dir, origin, { maxBytes: 600, maxDepth: 100 });
      small.open();
      for (let s = 10; s < 20; s++) small.append(cs(s, 5));
      assert.ok(small.fileSize() <= 600 && small.depth >= 1, `${small.fileSize()} octets, ${small.depth} changesets`);
      assert.equal(small.append(cs(20, 100)), false, 'a changeset over the size bound empties the journal');
      assert.equal(small.fileSize(), 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a frame with a bad CRC ends the journal there', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dunlin-journal-unit-'));
    try {
      const j = new Journal(dir, origin, { maxBytes: 1_000_000, maxDepth: 10 });
      j.append(cs(1, 1));
      const first = j.fileSize();
      j.append(cs(2, 1));
      const bytes = readFileSync(j.path);
      bytes[first + 20] = bytes[first + 20]! ^ 0xff;
      writeFileSync(j.path, bytes);
      const r = new Journal(dir, origin, { maxBytes: 1_000_000, maxDepth: 10 }).open();
      assert.deepEqual(r.changesets.map((c) => c.serialFrom), [1]);
      assert.equal(r.tornBytes, bytes.length - first);
      assert.equal(statSync(j.path).size, first);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

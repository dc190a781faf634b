// Dunlin as a secondary of a hostile or broken primary (a small server in this test): garbage, a transfer cut or stalled in the middle, too many records, a zone that fails the checks; the served version stays and no descriptor leaks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { controlRequest } from '../../src/control/client.ts';
import { RRType } from '../../src/wire/constants.ts';
import { decodeMessage, encodeMessage } from '../../src/wire/message.ts';
import type { Message } from '../../src/wire/message.ts';
import { Name } from '../../src/wire/name.ts';
import type { ResourceRecord } from '../../src/wire/record.ts';
import { parseZoneText } from '../../src/zone/index.ts';
import { fdCount, startServer, waitFor } from '../helpers/harness.ts';
import { soaSerialAt, waitSerial } from './xfr-helpers.ts';

const ZONE = 'hostile.test.';
const origin = Name.fromText(ZONE);
const TYPES: Record<number, string> = { [RRType.SOA]: 'SOA', [RRType.NS]: 'NS', [RRType.A]: 'A', [RRType.CNAME]: 'CNAME' };
const rr = (owner: string, type: number, text: string): ResourceRecord => {
  const r = parseZoneText(`${owner} 300 IN ${TYPES[type]!} ${text}\n`, { origin, file: 'test' });
  if (!r.records[0]) throw new Error(r.errors.map((e) => e.message).join('; '));
  return r.records[0];
};
let refreshSeconds = 3600;
const soa = (serial: number): ResourceRecord => rr('@', RRType.SOA, `ns1 hostmaster ${serial} ${refreshSeconds} 1 86400 300`);

type Mode = 'good' | 'garbage' | 'close-mid' | 'stall-mid' | 'too-many' | 'bad-zone' | 'wrong-id' | 'ixfr';

function reply(q: Message, answers: ResourceRecord[], id = q.id): Uint8Array {
  return encodeMessage({ id, flags: 0x8400, opcode: 0, rcode: 0, questions: q.questions, answers, authority: [], additional: [], edns: null });
}

function framed(msg: Uint8Array): Buffer {
  const b = Buffer.alloc(msg.length + 2);
  b.writeUInt16BE(msg.length, 0);
  b.set(msg, 2);
  return b;
}

/** A primary that answers SOA over UDP with `serial` and transfers over TCP as `mode` says. */
async function hostilePrimary(refresh = 3600): Promise<{ port: number; set: (serial: number, mode: Mode) => void; close: () => Promise<void>; connections: () => number; soaQueries: () => number }> {
  let serial = 1;
  let soaQueries = 0;
  let mode: Mode = 'good';
  let connections = 0;
  const sockets = new Set<net.Socket>();
  const tcp = net.createServer((s) => {
    connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    let buf = Buffer.alloc(0);
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length < 2 || buf.length < 2 + buf.readUInt16BE(0)) return;
      const q = decodeMessage(new Uint8Array(buf.subarray(2, 2 + buf.readUInt16BE(0))));
      const body = [rr('@', RRType.NS, 'ns1'), rr('ns1', RRType.A, '192.0.2.53'), rr('www', RRType.A, `192.0.2.${serial % 250}`)];
      switch (mode) {
        case 'good':
          s.end(framed(reply(q, [soa(serial), ...body, soa(serial)])));
          break;
        case 'garbage':
          s.end(Buffer.from([0, 40, ...Array.from({ length: 40 }, (_v, i) => (i * 37) & 0xff)]));
          break;
        case 'close-mid':
          s.end(framed(reply(q, [soa(serial), ...body])));
          break;
        case 'stall-mid':
          // Never finishes and never closes: the secondary's no-progress timeout must end it.
          s.write(framed(reply(q, [soa(serial), ...body])));
          break;
        case 'too-many': {
          const many = Array.from({ length: 400 }, (_v, i) => rr(`h${i}`, RRType.A, '192.0.2.1'));
          for (let i = 0; i < many.length; i += 100) s.write(framed(reply(q, i === 0 ? [soa(serial), ...many.slice(0, 100)] : many.slice(i, i + 100))));
          s.end(framed(reply(q, [...body, soa(serial)])));
          break;
        }
        case 'bad-zone':
          // A CNAME and other data at one name (RFC 1034 §3.6.2): fails the zone checks in the build.
          s.end(framed(reply(q, [soa(serial), ...body, rr('www', RRType.CNAME, 'ns1'), soa(serial)])));
          break;
        case 'ixfr':
          // Two changes from serial - 2 (RFC 1995 §4), across two messages; AXFR gets the whole zone.
          if (q.questions[0]?.type !== RRType.IXFR) {
            s.end(framed(reply(q, [soa(serial), ...body, soa(serial)])));
            break;
          }
          s.write(framed(reply(q, [soa(serial), soa(serial - 2), rr('www', RRType.A, `192.0.2.${(serial - 2) % 250}`), soa(serial - 1), rr('mid', RRType.A, '192.0.2.7')])));
          s.end(framed(reply(q, [soa(serial - 1), rr('mid', RRType.A, '192.0.2.7'), soa(serial), body[2]!, rr('new', RRType.A, '192.0.2.8'), soa(serial)])));
          break;
        case 'wrong-id':
          s.end(framed(reply(q, [soa(serial), ...body, soa(serial)], (q.id + 1) & 0xffff)));
          break;
      }
    });
  });
  refreshSeconds = refresh;
  await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
  const port = (tcp.address() as net.AddressInfo).port;
  const udp = dgram.createSocket('udp4');
  udp.on('message', (m, rinfo) => {
    try {
      const q = decodeMessage(new Uint8Array(m));
      soaQueries++;
      udp.send(reply(q, [soa(serial)]), rinfo.port, rinfo.address);
    } catch {
      // not a query: ignored
    }
  });
  await new Promise<void>((resolve, reject) => {
    udp.once('error', reject);
    udp.bind(port, '127.0.0.1', () => resolve());
  });
  return {
    port,
    set: (s, m) => {
      serial = s;
      mode = m;
    },
    connections: () => connections,
    soaQueries: () => soaQueries,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => tcp.close(() => resolve()));
      await new Promise<void>((resolve) => udp.close(() => resolve()));
    },
  };
}

test('secondary: a hostile primary never changes the served version, and every failed transfer releases its socket', { timeout: 90_000 }, async () => {
  const p = await hostilePrimary();
  const config = [
    'xfr:',
    '  timeout_ms: 1000',
    '  max_records: 50',
    'remotes:',
    '  - name: p',
    `    address: 127.0.0.1:${p.port}`,
    'zones:',
    `  - name: ${ZONE}`,
    '    primaries: [p]',
    '',
  ].join('\n');
  const dunlin = await startServer({ config });
  try {
    const port = dunlin.udp4.port;
    await waitSerial(port, ZONE, 1);
    const baseline = fdCount(dunlin.pid);
    let failures = dunlin.logs().filter((l) => l['msg'] === 'secondary zone refresh failed').length;
    for (const mode of ['garbage', 'close-mid', 'stall-mid', 'too-many', 'bad-zone', 'wrong-id'] as const) {
      p.set(2, mode);
      await controlRequest(dunlin.controlSocket, 'reload', { args: { zone: ZONE }, timeoutMs: 5000 });
      await waitFor(() => dunlin.logs().filter((l) => l['msg'] === 'secondary zone refresh failed').length > failures, 15_000);
      failures = dunlin.logs().filter((l) => l['msg'] === 'secondary zone refresh failed').length;
      assert.equal(await soaSerialAt(port, ZONE), 1, `${mode}: the served version is untouched`);
      await waitFor(() => fdCount(dunlin.pid) <= baseline, 5_000).catch(() => assert.fail(`${mode}: descriptors ${fdCount(dunlin.pid)} > baseline ${baseline}`));
    }
    const failed = dunlin.logs().filter((l) => l['msg'] === 'secondary zone refresh failed').map((l) => String(l['error']));
    assert.ok(failed.some((e) => /max_records/.test(e)), 'too many records named');
    assert.ok(failed.some((e) => /no progress/.test(e)), 'the stalled transfer timed out');
    assert.ok(failed.some((e) => /CNAME/.test(e)), 'the zone check failure named');

    // The primary behaves again: the next refresh applies serial 3.
    p.set(3, 'good');
    await controlRequest(dunlin.controlSocket, 'reload', { args: { zone: ZONE }, timeoutMs: 5000 });
    await waitSerial(port, ZONE, 3);

    // An incremental answer with two changes (3 -> 4 -> 5) is applied as IXFR.
    p.set(5, 'ixfr');
    await controlRequest(dunlin.controlSocket, 'reload', { args: { zone: ZONE }, timeoutMs: 5000 });
    await waitSerial(port, ZONE, 5);
    const applied = await dunlin.waitForLog((l) => l['msg'] === 'zone transfer applied' && l['serial'] === 5);
    assert.equal(applied['kind'], 'ixfr');
    assert.equal(applied['changesets'], 2);
    assert.equal(applied['records'], 5, 'SOA, NS, ns1 A, www A, new A');
  } finally {
    await dunlin.stop();
    await p.close();
  }
});

test('secondary: a zone removed by a configuration reload stops its refresh timers; shutdown leaves none behind', { timeout: 60_000 }, async () => {
  // SOA refresh 1 s: the zone is checked about every second while configured.
  const p = await hostilePrimary(1);
  const zones = (withZone: boolean): string => ['remotes:', '  - name: p', `    address: 127.0.0.1:${p.port}`, 'zones:', ...(withZone ? [`  - name: ${ZONE}`, '    primaries: [p]'] : ['  []']), ''].join('\n');
  const dunlin = await startServer({ config: zones(true) });
  try {
    await waitSerial(dunlin.udp4.port, ZONE, 1);
    const before = p.soaQueries();
    await waitFor(() => p.soaQueries() >= before + 2, 10_000);
    writeFileSync(join(dunlin.dir, 'dunlin.yaml'), zones(false));
    dunlin.signal('SIGHUP');
    await dunlin.waitForLog((l) => l['msg'] === 'zone removed');
    await new Promise((r) => setTimeout(r, 500));
    const after = p.soaQueries();
    await new Promise((r) => setTimeout(r, 3000));
    assert.equal(p.soaQueries(), after, 'no SOA query after the zone was removed');
    assert.equal(await soaSerialAt(dunlin.udp4.port, ZONE), 'REFUSED', 'the zone is no longer served');
  } finally {
    const st = await dunlin.stop();
    assert.ok(st.ms < 5_000, `shutdown with refresh timers took ${st.ms} ms`);
    await p.close();
  }
});

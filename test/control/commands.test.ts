// Tests the operator commands against a real server: status, reload [ZONE], zone status, check-config (text and --json), exit codes, SERVFAIL for a zone that failed, the ready line counts and the zone state metrics.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeResponse, encodeQuery, MAIN, queryUdp, rcodeOf, sampleZone, startServer, type DunlinServer } from '../helpers/harness.ts';

const BROKEN = sampleZone('bad.test.', 1) + 'oops IN NOSUCHTYPE 1\n';

let srv: DunlinServer;
let cfg: string;

function run(args: readonly string[]): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  return new Promise((resolve) => {
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}

async function rcode(name: string): Promise<string> {
  return rcodeOf(decodeResponse(await queryUdp(srv.udp4, encodeQuery(name, 'A'))));
}

async function scrape(): Promise<string> {
  const l = await srv.waitForLog((x) => x['msg'] === 'metrics: listening');
  const res = await fetch(`http://127.0.0.1:${String(l['port'])}/metrics`);
  return res.text();
}

before(async () => {
  srv = await startServer({
    workers: 2,
    // The zone files startServer writes are named after the zones; the config names the same files.
    config: 'control: { socket: ./control.sock }\nzones:\n  - { name: good.test., file: good.test.zone }\n  - { name: bad.test., file: bad.test.zone }\n',
    zones: { 'good.test.': sampleZone('good.test.', 1), 'bad.test.': BROKEN },
    args: ['--metrics', '127.0.0.1:0'],
  });
  cfg = join(srv.dir, 'dunlin.yaml');
});
after(async () => {
  await srv.stop();
});

test('the ready line counts loaded and failed zones; a failed zone answers SERVFAIL, an unknown name REFUSED', async () => {
  assert.match(srv.stdout(), /^dunlin ready udp=\S+ tcp=\S+ workers=2 pid=\d+ zones=1 failed=1$/m);
  assert.equal(srv.ready.zones, 1);
  assert.equal(srv.ready.failed, 1);
  assert.equal(await rcode('www.good.test.'), 'NOERROR');
  assert.equal(await rcode('bad.test.'), 'SERVFAIL');
  assert.equal(await rcode('deep.name.bad.test.'), 'SERVFAIL');
  assert.equal(await rcode('elsewhere.example.'), 'REFUSED');
  const text = await scrape();
  assert.match(text, /^dunlin_zone_loaded\{zone="good\.test\."\} 1$/m);
  assert.match(text, /^dunlin_zone_loaded\{zone="bad\.test\."\} 0$/m);
  assert.match(text, /^dunlin_zone_reload_failures_total\{zone="bad\.test\."\} 1$/m);
  // The zone error is logged once, by the main thread that had it parsed, not once per worker.
  assert.equal(srv.logs().filter((l) => typeof l['msg'] === 'string' && (l['msg']).includes('NOSUCHTYPE')).length, 1);
});

test('dunlin status: text and --json, the socket found through --config', async () => {
  const t = await run(['status', '--config', cfg]);
  assert.equal(t.code, 0, t.err);
  assert.match(t.out, /^dunlin \S+: running, pid \d+, up /m);
  assert.match(t.out, /^workers: 2 /m);
  assert.match(t.out, /^zones: 2 configured, 1 loaded, 1 failed$/m);
  const j = await run(['status', '--socket', srv.controlSocket, '--json']);
  assert.equal(j.code, 0, j.err);
  const s = JSON.parse(j.out) as { version: string; primary: number; threads: unknown[]; zones: { configured: number; loaded: number; failed: number } };
  assert.equal(s.primary, srv.pid);
  assert.equal(s.threads.length, 2);
  assert.deepEqual(s.zones, { configured: 2, loaded: 1, failed: 1 });
  assert.match(s.version, /^\d+\.\d+\.\d+/);
});

test('dunlin zone status: serial, file, loaded at, last result with file:line:col; exit 1 while a zone fails', async () => {
  const all = await run(['zone', 'status', '--config', cfg]);
  assert.equal(all.code, 1);
  assert.match(all.out, /^good\.test\.\n {2}serial: {4}1\n/m);
  assert.match(all.out, /^bad\.test\.\n {2}serial: {4}- \(not served\)/m);
  assert.match(all.out, /last: {6}failed \(1 error\)\n {4}\S*bad\.test\.zone:13:\d+: error: /);
  const one = await run(['zone', 'status', 'GOOD.test', '--config', cfg, '--json']);
  assert.equal(one.code, 0, one.err);
  const z = (JSON.parse(one.out) as { zones: { zone: string; serial: number; file: string; loadedAt: string; last: { status: string } }[] }).zones;
  assert.equal(z.length, 1);
  assert.equal(z[0]!.serial, 1);
  assert.ok(z[0]!.file.endsWith('good.test.zone'));
  assert.ok(!Number.isNaN(Date.parse(z[0]!.loadedAt)));
  assert.equal(z[0]!.last.status, 'loaded');
  const unknown = await run(['zone', 'status', 'nope.test', '--config', cfg]);
  assert.equal(unknown.code, 1);
  assert.match(unknown.err, /zone nope\.test is not configured/);
  assert.equal((await run(['zone', '--config', cfg])).code, 2, 'missing subcommand');
});

test('dunlin reload: all zones (exit 1 with the problems) or one zone; a fixed zone is served; new content under the served serial is refused', async () => {
  const all = await run(['reload', '--config', cfg]);
  assert.equal(all.code, 1);
  assert.match(all.out, /^good\.test\.: unchanged \(serial 1\)$/m);
  assert.match(all.out, /^bad\.test\.: unchanged, still failing: \S*bad\.test\.zone:13:\d+: error: /m);
  // A changed file that is still broken: parsed again, failed, every problem listed.
  writeFileSync(join(srv.dir, 'bad.test.zone'), BROKEN + 'more IN NOSUCHTYPE 2\n');
  const again = await run(['reload', '--config', cfg]);
  assert.equal(again.code, 1);
  assert.match(again.out, /^bad\.test\.: error: .*\(2 errors; not served\)$/m);
  assert.match(again.out, /^ {2}\S*bad\.test\.zone:13:\d+: error: /m);
  assert.match(again.out, /^ {2}\S*bad\.test\.zone:14:\d+: error: /m);
  assert.match(await scrape(), /^dunlin_zone_reload_failures_total\{zone="bad\.test\."\} 2$/m);
  const j = await run(['reload', 'good.test.', '--config', cfg, '--json']);
  assert.equal(j.code, 0, j.err);
  const r = JSON.parse(j.out) as { results: { zone: string; status: string }[] };
  assert.deepEqual(r.results.map((x) => [x.zone, x.status]), [['good.test.', 'unchanged']], 'only the zone asked for');
  const unknown = await run(['reload', 'nope.test', '--config', cfg]);
  assert.equal(unknown.code, 1);
  assert.match(unknown.err, /not configured/);

  writeFileSync(join(srv.dir, 'bad.test.zone'), sampleZone('bad.test.', 7));
  const fixed = await run(['reload', 'bad.test', '--socket', srv.controlSocket]);
  assert.equal(fixed.code, 0, fixed.out + fixed.err);
  assert.match(fixed.out, /^bad\.test\.: reloaded serial - -> 7/m);
  assert.equal(await rcode('bad.test.'), 'NOERROR');
  assert.match(await scrape(), /^dunlin_zone_loaded\{zone="bad\.test\."\} 1$/m);

  // Same serial, different content: refused (serial_policy keep), the served version stays, the error says why.
  writeFileSync(join(srv.dir, 'good.test.zone'), sampleZone('good.test.', 1) + 'extra IN A 192.0.2.7\n');
  const same = await run(['reload', 'good.test', '--config', cfg]);
  assert.equal(same.code, 1);
  assert.match(same.out, /serial 1 is not greater than the served 1: new content refused .*still serving serial 1/);
  assert.equal(await rcode('extra.good.test.'), 'NXDOMAIN');
  const status = await run(['status', '--config', cfg, '--json']);
  assert.deepEqual((JSON.parse(status.out) as { zones: object }).zones, { configured: 2, loaded: 2, failed: 1 });
});

test('help, usage errors and an unreachable server', async () => {
  for (const cmd of ['reload', 'status', 'check-config', 'sockstat']) {
    const h = await run(['help', cmd]);
    assert.equal(h.code, 0);
    assert.match(h.out, new RegExp(`^usage: dunlin ${cmd} `));
    assert.equal((await run([cmd, '--help'])).out, h.out);
  }
  assert.match((await run(['help', 'zone'])).out, /^usage: dunlin zone status /);
  assert.equal((await run(['status', 'extra'])).code, 2);
  assert.equal((await run(['reload', '--bogus'])).code, 2);
  const gone = await run(['status', '--socket', join(srv.dir, 'nothing.sock')]);
  assert.equal(gone.code, 1);
  assert.match(gone.err, /no dunlin server/);
  const bad = await run(['sockstat', '--config', join(srv.dir, 'missing.yaml')]);
  assert.equal(bad.code, 1);
  assert.match(bad.err, /cannot read/);
});

test('dunlin check-config: the config and each zone file, serving nothing', async () => {
  const dir = srv.dir;
  const conf = join(dir, 'check.yaml');
  writeFileSync(join(dir, 'c1.zone'), sampleZone('c1.test.', 3));
  writeFileSync(join(dir, 'c2.zone'), BROKEN.replace(/bad\.test\./g, 'c2.test.'));
  writeFileSync(conf, 'zones:\n  - { name: c1.test., file: c1.zone }\n  - { name: c2.test., file: c2.zone }\n');
  const t = await run(['check-config', '--config', conf]);
  assert.equal(t.code, 1);
  assert.match(t.out, /^zone c1\.test\.: ok, serial 3, \d+ records$/m);
  assert.match(t.out, /^ {2}\S*c2\.zone:13:\d+: error: /m);
  const j = await run(['check-config', conf, '--json']);
  assert.equal(j.code, 1);
  const r = JSON.parse(j.out) as { ok: boolean; zones: { zone: string; ok: boolean; errors: string[] }[] };
  assert.equal(r.ok, false);
  assert.deepEqual(r.zones.map((z) => [z.zone, z.ok]), [['c1.test.', true], ['c2.test.', false]]);
  assert.match(r.zones[1]!.errors[0]!, /c2\.zone:13:\d+: error: /);

  writeFileSync(join(dir, 'c2.zone'), sampleZone('c2.test.', 1));
  const ok = await run(['check-config', '--config', conf]);
  assert.equal(ok.code, 0, ok.out);
  assert.match(ok.out, /^ok$/m);

  writeFileSync(conf, 'workers: many\n');
  const badKey = await run(['check-config', '--config', conf, '--json']);
  assert.equal(badKey.code, 1);
  assert.equal((JSON.parse(badKey.out) as { problems: { key: string }[] }).problems[0]!.key, 'workers');
  assert.equal((await run(['check-config'])).code, 2);
});

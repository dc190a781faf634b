// Owns the TCP churn micro-benchmark: one TcpTransport in this process under bench/churn.c (connect, one query, close), CPU and heap bytes allocated per connection (run: node bench/micro/churn.bench.ts [seconds] [concurrency] [srcDir]).
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { GCProfiler } from 'node:v8';
import { buildChurnC } from '../load.ts';

const seconds = Number(process.argv[2] ?? '5');
const concurrency = Number(process.argv[3] ?? '64');
// Another source tree (e.g. a checkout of an older commit) for A/B runs of the transport itself.
const src = resolve(process.argv[4] ?? join(import.meta.dirname, '..', '..', 'src'));
const out = join(import.meta.dirname, '..', 'out');

type Mod = Record<string, unknown>;
const { TcpTransport } = await import(join(src, 'transport/tcp.ts')) as Mod & { TcpTransport: new (o: object) => { listen(a: { host: string; port: number }): Promise<{ port: number }>; close(): Promise<void> } };
const { ConnectionRegistry } = await import(join(src, 'transport/registry.ts')) as Mod & { ConnectionRegistry: new () => object };
const { createResponder } = await import(join(src, 'responder/index.ts')) as Mod & { createResponder: (o: object) => (q: Uint8Array, ctx: object) => unknown };
const { ZoneSet, buildZone } = await import(join(src, 'store/index.ts')) as Mod & { ZoneSet: new (z: unknown[]) => unknown; buildZone: (o: unknown, r: unknown) => unknown };
const { loadZoneFile } = await import(join(src, 'zone/index.ts')) as Mod & { loadZoneFile: (f: string, o: unknown) => { records: unknown; errors: { message: string }[] } };
const { Name } = await import(join(src, 'wire/name.ts')) as Mod & { Name: { fromText(s: string): { wire: Uint8Array } } };

const origin = Name.fromText('example.com.');
const loaded = loadZoneFile(join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'diff', 'example.com.zone'), origin);
const zones = new ZoneSet([buildZone(origin, loaded.records)]);
const respond = createResponder({ zones: () => zones });

// A few framed queries (www A, MX, a name that does not exist) for the generator.
const frames: Buffer[] = [];
for (const [name, type] of [['www.example.com.', 1], ['example.com.', 15], ['nope.example.com.', 1]] as const) {
  const w = Name.fromText(name).wire;
  const q = Buffer.from([0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, ...w, 0, type, 0, 1]);
  frames.push(Buffer.from([q.length >> 8, q.length & 0xff]), q);
}
const queryFile = join(out, 'churn-micro.bin');
writeFileSync(queryFile, Buffer.concat(frames));
const churn = buildChurnC(out);
if (churn === undefined) throw new Error('cc is needed to build bench/churn.c');

const tcp = new TcpTransport({ respond, registry: new ConnectionRegistry(), log: null });
const { port } = await tcp.listen({ host: '127.0.0.1', port: 0 });

function runChurn(s: number): Promise<number> {
  return new Promise((res, rej) => {
    const child = spawn('taskset', ['-c', '0', churn!, '127.0.0.1', String(port), String(concurrency), String(s), queryFile], { stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (text += d));
    child.once('error', rej);
    child.once('close', () => {
      const m = /completed=(\d+) errors=(\d+)/.exec(text);
      if (!m || m[2] !== '0') rej(new Error(`churn: ${text}`));
      else res(Number(m[1]));
    });
  });
}

await runChurn(2); // warm-up: JIT, pools
const gc = new GCProfiler();
gc.start();
const cpu0 = process.cpuUsage();
const completed = await runChurn(seconds);
const cpu = process.cpuUsage(cpu0);
const stats = gc.stop();
let freed = 0;
let scavenges = 0;
let gcMs = 0;
for (const s of stats?.statistics ?? []) {
  freed += s.beforeGC.heapStatistics.usedHeapSize - s.afterGC.heapStatistics.usedHeapSize;
  gcMs += s.cost / 1000;
  if (s.gcType === 'Scavenge') scavenges++;
  if (process.env['GC_DEBUG'] === '1') console.log(s.gcType, s.cost, s.beforeGC.heapStatistics.usedHeapSize, s.afterGC.heapStatistics.usedHeapSize);
}
const first = stats?.statistics[0];
const last = stats?.statistics.at(-1);
const grown = first !== undefined && last !== undefined ? last.afterGC.heapStatistics.usedHeapSize - first.beforeGC.heapStatistics.usedHeapSize : 0;
const perConn = (n: number): string => (n / completed).toFixed(2);
console.log(`${src}: ${completed} connections in ${seconds} s (${concurrency} in flight)`);
console.log(`  CPU µs/conn ${perConn((cpu.user + cpu.system))} (user ${perConn(cpu.user)}, system ${perConn(cpu.system)})`);
console.log(`  heap bytes allocated/conn ~${Math.round((freed + grown) / completed)} (${scavenges} scavenges, GC pauses ${perConn(gcMs * 1000)} µs/conn wall time)`);
await tcp.close();

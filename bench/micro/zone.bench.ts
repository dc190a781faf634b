// Owns the zone-loading benchmark: a generated 1,000,000-record zone to a store snapshot (run: node --expose-gc bench/micro/zone.bench.ts [records] [store|records]).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Name } from '../../src/wire/name.ts';
import { buildZone, loadZoneIntoStore, updateZone } from '../../src/store/index.ts';
import type { Zone } from '../../src/store/index.ts';
import { loadZoneFile } from '../../src/zone/index.ts';

const total = Number(process.argv[2] ?? process.env['ZONE_BENCH_RECORDS'] ?? '1000000');
// `store`: the server's path (loadZoneIntoStore); `records`: loadZoneFile's ResourceRecord[] (check-zone) then buildZone.
const path = process.argv[3] ?? 'store';
if (path !== 'store' && path !== 'records') throw new Error('path: expected store or records');

/**
 * A deterministic zone: per group of 10 records 4 A, 2 AAAA, 1 MX, 1 TXT, 1 CNAME and, every
 * other group, a delegation (NS + glue A) in place of a second AAAA. Relative owners, $TTL,
 * some explicit TTLs and a blank owner, as real zones have them.
 */
function generate(n: number): string {
  const parts: string[] = ['$ORIGIN bench.test.\n$TTL 3600\n@ SOA ns1 hostmaster 2024010101 7200 3600 1209600 300\n@ NS ns1\n@ NS ns2\nns1 A 192.0.2.1\nns2 A 192.0.2.2\n'];
  let written = 7;
  for (let g = 0; written < n; g++) {
    const a = `${(g >>> 8) & 255}.${g & 255}`;
    parts.push(
      `h${g} A 10.1.${a}\n`,
      `\tAAAA 2001:db8::${(g & 0xffff).toString(16)}\n`,
      `h${g} A 10.2.${a}\n`,
      `w${g} 300 A 10.3.${a}\n`,
      `w${g} 300 A 10.4.${a}\n`,
      `m${g} MX 10 mail${g & 1023}.example.net.\n`,
      `t${g} TXT "v=spf1 ip4:10.1.${a} -all" "group ${g}"\n`,
      `c${g} CNAME h${g}\n`,
      g % 2 === 0 ? `d${g} NS ns.d${g}\nns.d${g} A 10.5.${a}\n` : `x${g} AAAA 2001:db8:1::${(g & 0xffff).toString(16)}\nx${g} A 10.6.${a}\n`,
    );
    written += 10;
  }
  return parts.join('');
}

// ZONE_BENCH_OUT=path only writes the zone there (for profiling or for other tools) and exits.
const out = process.env['ZONE_BENCH_OUT'];
if (out) {
  writeFileSync(out, generate(total), 'latin1');
  process.exit(0);
}

const dir = mkdtempSync(join(tmpdir(), 'dunlin-zone-bench-'));
try {
  const file = join(dir, 'bench.test.zone');
  const text = generate(total);
  writeFileSync(file, text, 'latin1');
  const size = text.length;
  global.gc?.();
  const before = process.memoryUsage();
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const origin = Name.fromText('bench.test.');
  let zone: Zone | null;
  let n: number;
  let problems: { errors: readonly { message: string }[]; warnings: readonly unknown[] };
  let tLoaded = t0;
  if (path === 'store') {
    const r = loadZoneIntoStore(file, origin);
    zone = r.zone;
    n = r.recordCount;
    problems = r;
  } else {
    let r: ReturnType<typeof loadZoneFile> | null = loadZoneFile(file, origin);
    tLoaded = performance.now();
    problems = { errors: r.errors, warnings: r.warnings };
    n = r.records.length;
    zone = r.errors.length > 0 ? null : buildZone(origin, r.records);
    r = null;
  }
  const secs = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  // With --expose-gc the heap figure is what the loaded zone retains, not the garbage of parsing.
  global.gc?.();
  const after = process.memoryUsage();
  if (problems.errors.length > 0 || !zone) throw new Error(`bench zone rejected: ${problems.errors[0]?.message ?? 'no zone'}`);
  const mb = (x: number): string => `${(x / 1048576).toFixed(0)} MiB`;
  console.log(`zone file            ${(size / 1048576).toFixed(1)} MiB, ${n.toLocaleString('en-US')} records loaded, ${problems.warnings.length} warnings`);
  const what = path === 'store' ? 'loadZoneIntoStore' : 'loadZoneFile+build';
  console.log(`${what.padEnd(21)}${secs.toFixed(2)} s  ${Math.round(n / secs).toLocaleString('en-US')} records/s  ${((size / 1048576) / secs).toFixed(1)} MiB/s  (CPU ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s)${path === 'records' ? `; loadZoneFile alone ${((tLoaded - t0) / 1000).toFixed(2)} s` : ''}`);
  console.log(`snapshot             ${zone.nodeCount.toLocaleString('en-US')} nodes, ${mb(zone.byteSize)} of typed arrays`);
  const kept = after.heapUsed + after.arrayBuffers - before.heapUsed - before.arrayBuffers;
  console.log(`heap+buffers         ${mb(before.heapUsed + before.arrayBuffers)} -> ${mb(after.heapUsed + after.arrayBuffers)} (+${mb(kept)}, ${Math.round(kept / n)} B/record${global.gc ? ' retained after GC' : ', garbage included (run with --expose-gc)'})`);
  console.log(`RSS                  ${mb(after.rss)}; peak ${mb(process.resourceUsage().maxRSS * 1024)}`);
  // Commits of 10-record changesets (5 added, 5 removed, serial bumped) chained on the loaded version.
  const commitMs: number[] = [];
  let v = zone;
  for (let i = 0; i < 40; i++) {
    const u = updateZone(v);
    for (let k = 0; k < 5; k++) {
      const g = i * 5 + k;
      u.add({ name: Name.fromText(`new${g}.bench.test.`), type: 1, class: 1, ttl: 300, rdata: Uint8Array.of(10, 9, g >>> 8, g & 255) });
      u.removeName(Name.fromText(`w${g}.bench.test.`));
    }
    u.setSerial(v.serial + 1);
    const c0 = performance.now();
    v = u.commit().zone;
    commitMs.push(performance.now() - c0);
  }
  commitMs.sort((a, b) => a - b);
  console.log(`commit 10 records    median ${commitMs[20]!.toFixed(2)} ms, max ${commitMs[39]!.toFixed(2)} ms over 40 chained commits (change layer ${v.changedNodes} nodes)`);
  const k0 = performance.now();
  const compacted = v.compact();
  console.log(`compact              ${(performance.now() - k0).toFixed(0)} ms (${compacted.nodeCount.toLocaleString('en-US')} nodes)`);
  console.log(`node ${process.version}, ${process.platform} ${process.arch}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

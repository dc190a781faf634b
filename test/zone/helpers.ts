// Owns shared helpers of the zone tests: fixture listing, bounded tool runs, record-set normalisation.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { typeToText } from '../../src/wire/constants.ts';
import { Name } from '../../src/wire/name.ts';
import type { ResourceRecord } from '../../src/wire/record.ts';
import { canonicalRdata } from '../../src/wire/registry.ts';
import { parseZoneText } from '../../src/zone/parser.ts';

export const root = new URL('../..', import.meta.url).pathname;
export const fixtures = join(root, 'test/fixtures/zones');
export const golden = join(root, 'test/golden/zone');
export const cli = join(root, 'src/cli/main.ts');

/** The valid fixtures (included pieces are *.inc and are not zones by themselves). */
export function okFixtures(): string[] {
  return readdirSync(fixtures).filter((f) => f.endsWith('.zone')).sort();
}

export interface RunResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command with a hard timeout (spawnSync kills the child with SIGKILL when it expires). */
export function run(cmd: string, args: string[], cwd = root, timeout = 60_000): RunResult {
  const r = spawnSync(cmd, args, { cwd, timeout, encoding: 'latin1', killSignal: 'SIGKILL', maxBuffer: 256 * 1024 * 1024 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** `dunlin check-zone` as a real process. */
export function dunlin(args: string[], cwd = root): RunResult {
  return run(process.execPath, [cli, 'check-zone', ...args], cwd);
}

function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

/**
 * A comparable set: one `owner type ttl rdata` string per distinct record, owner lower-cased,
 * RDATA in canonical form (RFC 4034 §6.2), duplicates merged and each RRset at its lowest TTL
 * (RFC 2181 §5.2), sorted.
 */
export function normalise(records: readonly ResourceRecord[]): string[] {
  const minTtl = new Map<string, number>();
  for (const rr of records) {
    const k = `${rr.name.key}/${rr.type}`;
    const t = minTtl.get(k);
    if (t === undefined || rr.ttl < t) minTtl.set(k, rr.ttl);
  }
  const set = new Set<string>();
  for (const rr of records) {
    set.add(`${rr.name.toLowerCase().toText()} ${typeToText(rr.type)} ${minTtl.get(`${rr.name.key}/${rr.type}`)} ${hex(canonicalRdata(rr.type, rr.rdata))}`);
  }
  return [...set].sort();
}

/** Parses a tool's presentation output (absolute names) with Dunlin's own parser. */
export function parseOutput(text: string, origin: Name, label: string): ResourceRecord[] {
  const r = parseZoneText(text, { origin, file: label });
  if (r.errors.length > 0) throw new Error(`${label}: cannot parse tool output:\n${r.errors.map((e) => `${e.line}:${e.col}: ${e.message}`).join('\n')}`);
  return r.records;
}

export { Name };

// Owns diffConfig: what changed between two validated configurations, which changes apply while running and which need a restart.
import { isDeepStrictEqual } from 'node:util';
import { formatAddress } from './address.ts';
import type { ListenSpec } from './address.ts';
import { catalog } from './catalog.ts';
import { camelKey } from './schema.ts';
import type { Config, ZoneConfig } from './schema.ts';

export interface SettingChange {
  /** Dotted key path, as in the file: `tcp.idle_timeout_ms`. */
  readonly key: string;
  readonly old: unknown;
  readonly next: unknown;
}

export interface RefusedChange extends SettingChange {
  /** One line for the operator: `listen: changing it needs a restart; keeping "127.0.0.1:5300"`. */
  readonly message: string;
}

export interface ZoneChange {
  readonly name: string;
  readonly old: ZoneConfig;
  readonly next: ZoneConfig;
  /** Zone keys that differ: `file`, `acl`, `notify`, `primaries`. */
  readonly fields: readonly string[];
}

export interface ConfigDiff {
  readonly zones: { readonly added: readonly ZoneConfig[]; readonly removed: readonly ZoneConfig[]; readonly changed: readonly ZoneChange[] };
  /** Settings the running server takes over (zones are listed apart). */
  readonly applied: readonly SettingChange[];
  /** Settings that need a restart: the running server keeps the old value. */
  readonly refused: readonly RefusedChange[];
  /** `next` with every refused setting at its old value: the configuration to run with. */
  readonly config: Config;
  /** Nothing differs. */
  readonly unchanged: boolean;
}

// Settings a running server can take over: the log level, and definitions that are only read per request.
// Everything else is bound to sockets, processes or buffers sized at startup, so a change needs a restart.
const LIVE_SETTINGS: ReadonlySet<string> = new Set(['log.level', 'keys', 'remotes', 'acls']);

/** Settings compared one by one: leaves outside lists, and the named lists as wholes; zones are compared per zone. */
function settingKeys(): string[] {
  return catalog()
    .filter((e) => !e.key.includes('[]') && e.key !== 'zones' && e.kind !== 'group')
    .map((e) => e.key);
}

const runtimePath = (key: string): string[] => key.split('.').map(camelKey);

function get(c: unknown, path: readonly string[]): unknown {
  return path.reduce<unknown>((o, p) => (o as Record<string, unknown> | null)?.[p], c);
}

function display(v: unknown): string {
  const isAddr = (x: unknown): x is ListenSpec => typeof x === 'object' && x !== null && 'host' in x && 'port' in x;
  if (isAddr(v)) return JSON.stringify(formatAddress(v));
  if (Array.isArray(v) && v.every(isAddr)) return JSON.stringify(v.map(formatAddress));
  return JSON.stringify(v) ?? 'nothing';
}

/** Compares two validated configurations (typically the running one and the file re-read on SIGHUP). */
export function diffConfig(old: Config, next: Config): ConfigDiff {
  const applied: SettingChange[] = [];
  const refused: RefusedChange[] = [];
  const effective = structuredClone<Config>(next);
  for (const key of settingKeys()) {
    const path = runtimePath(key);
    const a = get(old, path);
    const b = get(next, path);
    if (isDeepStrictEqual(a, b)) continue;
    if (LIVE_SETTINGS.has(key)) {
      applied.push({ key, old: a, next: b });
      continue;
    }
    refused.push({ key, old: a, next: b, message: `${key}: changing it needs a restart; keeping ${display(a)}` });
    const parent = get(effective, path.slice(0, -1)) as Record<string, unknown>;
    parent[path[path.length - 1]!] = structuredClone(a);
  }

  const before = new Map(old.zones.map((z) => [z.name, z]));
  const after = new Map(next.zones.map((z) => [z.name, z]));
  const added = next.zones.filter((z) => !before.has(z.name));
  const removed = old.zones.filter((z) => !after.has(z.name));
  const changed: ZoneChange[] = [];
  for (const z of next.zones) {
    const o = before.get(z.name);
    if (o === undefined) continue;
    const fields = Object.keys(z).filter((k) => k !== 'name' && !isDeepStrictEqual((o as Record<string, unknown>)[k], (z as Record<string, unknown>)[k]));
    if (fields.length > 0) changed.push({ name: z.name, old: o, next: z, fields });
  }
  const unchanged = applied.length === 0 && refused.length === 0 && added.length === 0 && removed.length === 0 && changed.length === 0;
  return { zones: { added, removed, changed }, applied, refused, config: effective, unchanged };
}

// Owns reading the YAML config file and command-line overrides into one validated Config, with errors naming the key path.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import YAML from 'yaml';
import type * as z from 'zod';
import { show } from './address.ts';
import { catalog, catalogEntry } from './catalog.ts';
import { FLAGS } from './flags.ts';
import type { ConfigOverrides } from './flags.ts';
import { configSchema, editDistance } from './schema.ts';
import type { Config } from './schema.ts';

export { formatAddress, parseAddress } from './address.ts';
export type { ListenSpec } from './address.ts';
export type { ConfigOverrides } from './flags.ts';
export type { Config, LogLevelName, ZoneConfig, ZoneSpec } from './schema.ts';

export class ConfigError extends Error {
  readonly code = 'DUNLIN_ERR_CONFIG';
  readonly key: string;
  constructor(key: string, message: string) {
    super(`config error: ${key ? key + ': ' : ''}${message}`);
    this.name = 'ConfigError';
    this.key = key;
  }
}

type Raw = Record<string, unknown>;
type Path = readonly PropertyKey[];

const isMapping = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A key with no value (`tcp:` alone) means the key is absent: its default applies. */
function dropNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(dropNulls);
  if (!isMapping(v)) return v;
  return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== null && x !== undefined).map(([k, x]) => [k, dropNulls(x)]));
}

/** Parses YAML text into a mapping of keys; syntax errors name file:line:col. */
export function parseConfigText(text: string, source: string): Raw {
  const doc = YAML.parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  const err = doc.errors[0];
  if (err !== undefined) {
    const pos = err.linePos?.[0];
    const where = pos ? `${source}:${pos.line}:${pos.col}` : source;
    throw new ConfigError('', `${where}: ${(err.message.split('\n')[0] ?? 'invalid YAML').replace(/ at line \d+, column \d+:?$/, '')}`);
  }
  const value: unknown = doc.toJS();
  if (value === null || value === undefined) return {};
  if (!isMapping(value)) throw new ConfigError('', `${source}: expected a mapping of keys at the top level, got ${show(value)}`);
  return dropNulls(value) as Raw;
}

/** `zones[2].acl[0]`; `nested`: the path continues another one, so it starts with a dot. */
function pathText(path: Path, nested = false): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 && !nested ? String(p) : `.${String(p)}`)).join('');
}

/** The key path of an issue, with the flag that set it: `listen (--listen)[0]`. */
function label(path: Path, flagged: ReadonlyMap<string, string>): string {
  for (let n = path.length; n > 0; n--) {
    const flag = flagged.get(path.slice(0, n).join('.'));
    if (flag !== undefined) return `${pathText(path.slice(0, n))} (${flag})${pathText(path.slice(n), true)}`;
  }
  return pathText(path);
}

/** "did you mean" for an unknown key: a sibling within a few edits, else the same name in another group. */
function suggestKey(parent: Path, key: string): string {
  const pattern = parent.map((p) => (typeof p === 'number' ? '[]' : `.${String(p)}`)).join('').replace(/^\./, '');
  const prefix = pattern === '' ? '' : pattern + '.';
  const siblings = catalog()
    .map((e) => e.key)
    .filter((k) => k.startsWith(prefix) && !/[.[]/.test(k.slice(prefix.length)))
    .map((k) => k.slice(prefix.length));
  const near = siblings
    .map((s) => ({ s, d: editDistance(s, key) }))
    .filter((c) => c.d <= Math.max(2, Math.floor(key.length / 3)) || c.s.startsWith(key) || key.startsWith(c.s))
    .sort((a, b) => a.d - b.d)[0];
  if (near !== undefined) return ` (did you mean ${pathText([...parent, near.s])}?)`;
  const elsewhere = catalog().find((e) => e.key.split('.').pop() === key && !e.key.includes('[]'));
  return elsewhere !== undefined ? ` (did you mean ${elsewhere.key}?)` : '';
}

/** One issue to report: an unknown key first (it is usually the cause of the rest); inside a union, the branch that got furthest. */
function pick(issues: readonly z.core.$ZodIssue[], prefix: Path = []): { issue: z.core.$ZodIssue; path: Path } {
  const issue = issues.find((i) => i.code === 'unrecognized_keys') ?? issues[0]!;
  const path = [...prefix, ...issue.path];
  if (issue.code === 'invalid_union') {
    const deeper = issue.errors.filter((branch) => !branch.every((i) => i.path.length === 0 && i.code === 'invalid_type'));
    if (deeper.length === 1) return pick(deeper[0]!, path);
  }
  return { issue, path };
}

function toError(err: z.ZodError, flagged: ReadonlyMap<string, string>): ConfigError {
  const { issue, path } = pick(err.issues);
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0]!;
    return new ConfigError(label([...path, key], flagged), `unknown key${suggestKey(path, key)}`);
  }
  return new ConfigError(label(path, flagged), issue.message);
}

/** Writes flag values into the raw file mapping; returns which key each flag set, for error messages. */
function applyOverrides(raw: Raw, o: ConfigOverrides, cwd: string): Map<string, string> {
  const flagged = new Map<string, string>();
  for (const f of FLAGS) {
    const given = (o as Record<string, string | readonly string[] | undefined>)[f.option];
    if (given === undefined || (Array.isArray(given) && given.length === 0)) continue;
    let value: unknown = given;
    // Relative paths on the command line are relative to the working directory, in the file to the file.
    if (f.key === 'zones') {
      value = (given as readonly string[]).map((z, i) => {
        const eq = z.indexOf('=');
        if (eq <= 0 || eq === z.length - 1) throw new ConfigError(`zones (--zone #${i + 1})`, `expected NAME=FILE, got ${show(z)}`);
        return { name: z.slice(0, eq), file: resolve(cwd, z.slice(eq + 1)) };
      });
    } else if (f.key === 'control.socket' && given !== '') {
      value = resolve(cwd, given as string);
    } else if (catalogEntry(f.key)?.integer === true && typeof given === 'string' && /^-?\d+$/.test(given)) {
      value = Number(given);
    } else if (Array.isArray(given)) {
      value = [...(given as readonly string[])];
    }
    const parts = f.key.split('.');
    let at = raw;
    for (const p of parts.slice(0, -1)) {
      if (!isMapping(at[p])) at[p] = {};
      at = at[p] as Raw;
    }
    at[parts[parts.length - 1]!] = value;
    flagged.set(f.key, f.flag);
  }
  return flagged;
}

export interface LoadOptions {
  /** Path of the YAML file, or null for flags only. */
  readonly file: string | null;
  readonly overrides?: ConfigOverrides;
  /** Directory relative --zone paths are resolved against (default: cwd). */
  readonly cwd?: string;
}

/** Validates an already parsed mapping (paths relative to `baseDir`). Throws ConfigError naming the key path. */
export function configFromObject(raw: Raw, baseDir: string, configFile: string | null = null, flagged: ReadonlyMap<string, string> = new Map()): Config {
  const r = configSchema.safeParse(raw);
  if (!r.success) throw toError(r.error, flagged);
  const c = r.data;
  const storage = resolve(baseDir, c.storage ?? '.');
  return {
    configFile,
    ...c,
    storage,
    // A secondary without `file` keeps its copy inside storage, named after the zone (the root zone: "root").
    zones: c.zones.map((zn) => ({ ...zn, file: zn.file !== null ? resolve(baseDir, zn.file) : join(storage, 'zones', `${zn.name === '.' ? 'root' : zn.name.slice(0, -1)}.zone`) })),
    control: { socket: c.control.socket === null ? null : resolve(baseDir, c.control.socket) },
  };
}

/** Reads, validates and merges; throws ConfigError naming the key path (and flag) of the first problem. */
export function loadConfig(opts: LoadOptions): Config {
  const cwd = opts.cwd ?? process.cwd();
  let raw: Raw = {};
  let baseDir = cwd;
  let configFile: string | null = null;
  if (opts.file !== null) {
    configFile = resolve(cwd, opts.file);
    baseDir = dirname(configFile);
    let text: string;
    try {
      text = readFileSync(configFile, 'utf8');
    } catch (err) {
      throw new ConfigError('', `cannot read ${configFile}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
    raw = parseConfigText(text, configFile);
  }
  const flagged = applyOverrides(raw, opts.overrides ?? {}, cwd);
  return configFromObject(raw, baseDir, configFile, flagged);
}

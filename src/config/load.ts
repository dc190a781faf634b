// Owns reading the YAML config file and command-line overrides into one validated Config, with errors naming the key.
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { dirname, resolve } from 'node:path';
import YAML from 'yaml';
import { SCHEMA, describeType, schemaEntry } from './schema.ts';
import type { FieldType, SchemaEntry } from './schema.ts';

export interface ListenSpec {
  readonly host: string;
  readonly port: number;
}

export interface ZoneSpec {
  /** Lowercase, absolute (trailing dot). */
  readonly name: string;
  /** Absolute path. */
  readonly file: string;
}

export type LogLevelName = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface Config {
  readonly configFile: string | null;
  readonly listen: readonly ListenSpec[];
  readonly workers: number;
  readonly udp: { readonly payloadSize: number; readonly socketBufferBytes: number };
  readonly tcp: {
    readonly idleTimeoutMs: number;
    readonly readTimeoutMs: number;
    readonly maxConnections: number;
    readonly maxQueriesPerConnection: number;
    readonly onLimit: 'close-idlest' | 'refuse';
    readonly writeBufferBytes: number;
  };
  readonly shutdownTimeoutMs: number;
  readonly zones: readonly ZoneSpec[];
  /** null: use the default path (decided by the control channel). */
  readonly control: { readonly socket: string | null };
  readonly metrics: { readonly listen: ListenSpec | null; readonly token: string | null };
  readonly log: { readonly level: LogLevelName };
}

/** Command-line overrides, as typed by the user (strings); each replaces the matching key of the file. */
export interface ConfigOverrides {
  readonly listen?: readonly string[];
  /** "name=path" */
  readonly zones?: readonly string[];
  readonly workers?: string;
  readonly control?: string;
  readonly metrics?: string;
  readonly logLevel?: string;
}

export class ConfigError extends Error {
  readonly code = 'DUNLIN_ERR_CONFIG';
  readonly key: string;
  constructor(key: string, message: string) {
    super(`config error: ${key ? key + ': ' : ''}${message}`);
    this.name = 'ConfigError';
    this.key = key;
  }
}

function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return typeof v === 'number' || typeof v === 'boolean' ? String(v) : typeof v;
}

/** Parses "IP:port" / "[IPv6]:port"; returns null when malformed. */
export function parseAddress(text: string): ListenSpec | null {
  const m = /^\[([^\]]+)\]:(\d{1,5})$/.exec(text) ?? /^([^:[\]]+):(\d{1,5})$/.exec(text);
  if (!m) return null;
  const host = m[1]!;
  const port = Number(m[2]);
  if (port > 65535) return null;
  const family = net.isIP(host);
  if (family === 0) return null;
  if (family === 6 && !text.startsWith('[')) return null;
  return { host, port };
}

export function formatAddress(a: ListenSpec): string {
  return net.isIPv6(a.host) ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

function isLoopback(host: string): boolean {
  return /^127\.\d+\.\d+\.\d+$/.test(host) || host === '::1' || host === '0:0:0:0:0:0:0:1';
}

/** Validates one value against its schema type. `fromFlag`: the value is command-line text. */
function check(label: string, t: FieldType, v: unknown, fromFlag: boolean): unknown {
  const fail = (): never => {
    throw new ConfigError(label, `expected ${describeType(t)}, got ${show(v)}`);
  };
  switch (t.kind) {
    case 'int': {
      let n = v;
      if (fromFlag && typeof v === 'string' && /^-?\d+$/.test(v)) n = Number(v);
      if (typeof n !== 'number' || !Number.isInteger(n) || n < t.min || n > t.max) fail();
      return n;
    }
    case 'enum':
      if (typeof v !== 'string' || !t.values.includes(v)) fail();
      return v;
    case 'string':
      if (typeof v !== 'string') fail();
      if ((t.min !== undefined && (v as string).length < t.min) || (t.max !== undefined && (v as string).length > t.max)) fail();
      return v;
    case 'address':
    case 'loopback-address': {
      const a = typeof v === 'string' ? parseAddress(v) : null;
      if (a === null) return fail();
      if (t.kind === 'loopback-address' && !isLoopback(a.host)) {
        throw new ConfigError(label, `refusing non-loopback address ${show(v)}: metrics are served on 127.0.0.1 or [::1] only`);
      }
      return a;
    }
    case 'address-list': {
      const list = typeof v === 'string' ? [v] : v;
      if (!Array.isArray(list) || list.length === 0) return fail();
      const out: ListenSpec[] = [];
      const seen = new Set<string>();
      list.forEach((item: unknown, i) => {
        const a = typeof item === 'string' ? parseAddress(item) : null;
        if (a === null) throw new ConfigError(`${label}[${i}]`, `expected an address "IP:port" (IPv6 as "[addr]:port"), got ${show(item)}`);
        const k = formatAddress(a);
        if (seen.has(k)) throw new ConfigError(`${label}[${i}]`, `duplicate address ${k}`);
        seen.add(k);
        out.push(a);
      });
      return out;
    }
    case 'zones':
      if (!Array.isArray(v)) return fail();
      return v;
  }
}

/** Normalizes a zone name to lowercase with a trailing dot; throws when it cannot be a domain name. */
function zoneName(label: string, v: unknown): string {
  if (typeof v !== 'string' || v.length === 0) throw new ConfigError(label, `expected a domain name, got ${show(v)}`);
  if (v === '.') return '.';
  const abs = v.endsWith('.') ? v : v + '.';
  const labels = abs.slice(0, -1).split('.');
  if (abs.length > 254 || labels.some((l) => l.length === 0 || l.length > 63) || /\s/.test(abs)) {
    throw new ConfigError(label, `expected a domain name (labels of 1..63 characters, at most 253 in all), got ${show(v)}`);
  }
  return abs.toLowerCase();
}

function checkZones(label: string, list: unknown[], baseDir: string): ZoneSpec[] {
  const out: ZoneSpec[] = [];
  const seen = new Set<string>();
  list.forEach((item: unknown, i) => {
    const at = `${label}[${i}]`;
    if (typeof item !== 'object' || item === null || Array.isArray(item)) throw new ConfigError(at, `expected a mapping {name, file}, got ${show(item)}`);
    const rec = item as Record<string, unknown>;
    for (const k of Object.keys(rec)) {
      if (k !== 'name' && k !== 'file') throw new ConfigError(`${at}.${k}`, 'unknown key (a zone has only name and file)');
    }
    const name = zoneName(`${at}.name`, rec['name']);
    const file = rec['file'];
    if (typeof file !== 'string' || file.length === 0) throw new ConfigError(`${at}.file`, `expected a file path, got ${show(file)}`);
    if (seen.has(name)) throw new ConfigError(`${at}.name`, `duplicate zone ${name}`);
    seen.add(name);
    out.push({ name, file: resolve(baseDir, file) });
  });
  return out;
}

function suggest(key: string): string {
  const leaf = key.split('.').pop() ?? key;
  const close = SCHEMA.find((e) => e.key.endsWith(leaf) || e.key.split('.').pop() === leaf);
  return close ? ` (did you mean ${close.key}?)` : '';
}

/** Flattens a parsed YAML mapping into dotted keys, rejecting keys the schema does not know. */
function flatten(obj: Record<string, unknown>, prefix: string, out: Map<string, unknown>): void {
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (schemaEntry(key)) {
      out.set(key, v);
      continue;
    }
    const isGroup = SCHEMA.some((e) => e.key.startsWith(key + '.'));
    if (!isGroup) throw new ConfigError(key, `unknown key${suggest(key)}`);
    if (v === null || v === undefined) continue; // an empty group: every key takes its default
    if (typeof v !== 'object' || Array.isArray(v)) throw new ConfigError(key, `expected a mapping, got ${show(v)}`);
    flatten(v as Record<string, unknown>, key, out);
  }
}

/** Parses YAML text into dotted keys; syntax errors name file:line:col. */
export function parseConfigText(text: string, source: string): Map<string, unknown> {
  const doc = YAML.parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  const err = doc.errors[0];
  if (err !== undefined) {
    const pos = err.linePos?.[0];
    const where = pos ? `${source}:${pos.line}:${pos.col}` : source;
    throw new ConfigError('', `${where}: ${(err.message.split('\n')[0] ?? 'invalid YAML').replace(/ at line \d+, column \d+:?$/, '')}`);
  }
  const value: unknown = doc.toJS();
  const out = new Map<string, unknown>();
  if (value === null || value === undefined) return out;
  if (typeof value !== 'object' || Array.isArray(value)) throw new ConfigError('', `${source}: expected a mapping of keys at the top level, got ${show(value)}`);
  flatten(value as Record<string, unknown>, '', out);
  return out;
}

export interface LoadOptions {
  /** Path of the YAML file, or null for flags only. */
  readonly file: string | null;
  readonly overrides?: ConfigOverrides;
  /** Directory relative --zone paths are resolved against (default: cwd). */
  readonly cwd?: string;
}

/** Reads, validates and merges; throws ConfigError naming the key (or flag) at the first problem. */
export function loadConfig(opts: LoadOptions): Config {
  const cwd = opts.cwd ?? process.cwd();
  let raw = new Map<string, unknown>();
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

  const values = new Map<string, unknown>();
  for (const e of SCHEMA) {
    const v = raw.get(e.key);
    if (v !== undefined && v !== null) values.set(e.key, check(e.key, e.type, v, false));
  }
  let zones = checkZones('zones', (values.get('zones') as unknown[] | undefined) ?? [], baseDir);
  // Relative paths in the file are relative to the file; on the command line, to the working directory.
  const sock = values.get('control.socket');
  if (typeof sock === 'string') values.set('control.socket', resolve(baseDir, sock));

  const o = opts.overrides ?? {};
  const flagLabel = (e: SchemaEntry): string => `${e.key} (${e.flag ?? ''})`;
  const flag = (key: string, v: unknown): void => {
    const e = schemaEntry(key)!;
    values.set(key, check(flagLabel(e), e.type, v, true));
  };
  if (o.listen !== undefined && o.listen.length > 0) flag('listen', [...o.listen]);
  if (o.workers !== undefined) flag('workers', o.workers);
  if (o.control !== undefined) {
    flag('control.socket', o.control);
    values.set('control.socket', resolve(cwd, o.control));
  }
  if (o.metrics !== undefined) flag('metrics.listen', o.metrics);
  if (o.logLevel !== undefined) flag('log.level', o.logLevel);
  if (o.zones !== undefined && o.zones.length > 0) {
    const items = o.zones.map((z, i) => {
      const eq = z.indexOf('=');
      if (eq <= 0 || eq === z.length - 1) throw new ConfigError(`zones (--zone #${i + 1})`, `expected NAME=FILE, got ${show(z)}`);
      return { name: z.slice(0, eq), file: z.slice(eq + 1) };
    });
    zones = checkZones('zones (--zone)', items, cwd);
  }

  const get = <T>(key: string): T => {
    if (values.has(key)) return values.get(key) as T;
    const d = schemaEntry(key)!.default;
    return (typeof d === 'function' ? (d as () => unknown)() : d) as T;
  };
  const metricsListen = get<ListenSpec | undefined>('metrics.listen') ?? null;
  const listenValue = get<ListenSpec[] | string[]>('listen');
  const listen = listenValue.map((a) => (typeof a === 'string' ? parseAddress(a)! : a));

  return {
    configFile,
    listen,
    workers: get<number>('workers'),
    udp: { payloadSize: get<number>('udp.payload_size'), socketBufferBytes: get<number>('udp.socket_buffer_bytes') },
    tcp: {
      idleTimeoutMs: get<number>('tcp.idle_timeout_ms'),
      readTimeoutMs: get<number>('tcp.read_timeout_ms'),
      maxConnections: get<number>('tcp.max_connections'),
      maxQueriesPerConnection: get<number>('tcp.max_queries_per_connection'),
      onLimit: get<'close-idlest' | 'refuse'>('tcp.on_limit'),
      writeBufferBytes: get<number>('tcp.write_buffer_bytes'),
    },
    shutdownTimeoutMs: get<number>('shutdown_timeout_ms'),
    zones,
    control: { socket: get<string | undefined>('control.socket') ?? null },
    metrics: { listen: metricsListen, token: get<string | undefined>('metrics.token') ?? null },
    log: { level: get<LogLevelName>('log.level') },
  };
}

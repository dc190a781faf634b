// Owns the one configuration schema (zod): every key with its type, default, range, documentation and flag, and the runtime Config type it produces.
import os from 'node:os';
import * as z from 'zod';
import { formatAddress, isLoopback, parseAddress, parseCidr, parseRemoteAddress, show } from './address.ts';
import type { CidrSpec, ListenSpec } from './address.ts';

export type { CidrSpec, ListenSpec } from './address.ts';

/** Metadata each key carries into the JSON Schema, the docs and error messages. */
export interface KeyMeta {
  readonly description?: string;
  /** What the key accepts, in words: "an integer from 1 to 256". */
  readonly typeText?: string;
  /** The default in words, when it is computed or absent. */
  readonly defaultText?: string;
}

type Issue = { readonly input?: unknown };
const expected = (typeText: string) => (iss: Issue): string => `expected ${typeText}, got ${show(iss.input)}`;

/** Adds metadata, keeping what the schema already carries (zod's .meta() replaces it). */
function doc<T extends z.ZodType>(schema: T, meta: KeyMeta): T {
  return schema.meta({ ...(schema.meta() ?? {}), ...meta });
}

function int(min: number, max: number): z.ZodInt {
  const typeText = `an integer from ${min} to ${max}`;
  const error = expected(typeText);
  return doc(z.int({ error }).min(min, { error }).max(max, { error }), { typeText });
}

function oneOf<const T extends readonly [string, ...string[]]>(values: T): z.ZodEnum<{ [K in T[number]]: K }> {
  const typeText = `one of ${values.join(', ')}`;
  return doc(z.enum(values, { error: expected(typeText) }), { typeText });
}

function text(min: number, max: number, what = `a string of ${min} to ${max} characters`): z.ZodString {
  const error = expected(what);
  return doc(z.string({ error }).min(min, { error }).max(max, { error }), { typeText: what });
}

/** A string turned into something else by `parse`; null from `parse` is a failure described by `typeText`. */
function parsed<T>(typeText: string, parse: (s: string) => T | null, refuse?: (v: T, s: string) => string | null): z.ZodPipe<z.ZodString, z.ZodTransform<T, string>> {
  const error = expected(typeText);
  return doc(
    z.string({ error }).transform((s, ctx): T => {
      const v = parse(s);
      const why = v === null ? error({ input: s }) : (refuse?.(v, s) ?? null);
      if (why !== null) ctx.issues.push({ code: 'custom', input: s, message: why });
      return v as T;
    }),
    { typeText },
  );
}

function list<T extends z.ZodType>(item: T, typeText: string, min = 0): z.ZodArray<T> {
  const error = expected(typeText);
  return doc(z.array(item, { error }).min(min, { error }), { typeText });
}

/** A group of keys: unknown keys are errors (the loader adds the suggestion). */
function group<S extends z.ZodRawShape>(shape: S, typeText = 'a mapping'): z.ZodObject<S, z.core.$strict> {
  return doc(z.strictObject(shape, { error: (iss) => (iss.code === 'unrecognized_keys' ? 'unknown key' : expected(typeText)(iss)) }), { typeText });
}

const describedGroup = <S extends z.ZodRawShape>(description: string, shape: S): z.ZodObject<S, z.core.$strict> => doc(group(shape), { description });

type Camel<S extends string> = S extends `${infer H}_${infer T}` ? `${H}${Capitalize<Camel<T>>}` : S;
type Camelized<T> = { readonly [K in keyof T as K extends string ? Camel<K> : K]: T[K] };

/** snake_case YAML keys become the camelCase fields the server reads. */
export function camelKey(key: string): string {
  return key.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
}

function camelize<T extends object>(o: T): Camelized<T> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [camelKey(k), v])) as Camelized<T>;
}

/** Lowercase with a trailing dot; null when it cannot be a domain name (RFC 1035 §2.3.4 lengths). */
function domainName(v: string): string | null {
  if (v === '.') return '.';
  const abs = v.endsWith('.') ? v : v + '.';
  const labels = abs.slice(0, -1).split('.');
  if (v.length === 0 || abs.length > 254 || labels.some((l) => l.length === 0 || l.length > 63) || /\s/.test(abs)) return null;
  return abs.toLowerCase();
}

// Names of keys, remotes and acls: TSIG key names go on the wire as domain names, so every id is one.
const ID_TEXT = 'a name (letters, digits, "-", "_", dots between labels)';
const id = (): z.ZodString => {
  const error = expected(ID_TEXT);
  return doc(z.string({ error }).regex(/^[A-Za-z0-9_-]{1,63}(\.[A-Za-z0-9_-]{1,63})*$/, { error }).max(253, { error }), { typeText: ID_TEXT });
};
const refs = (kind: string): z.ZodArray<z.ZodString> => list(id(), `a list of ${kind} names`);

const ADDRESS_TEXT = 'an address "IP:port" (IPv6 as "[addr]:port")';
const address = (): z.ZodPipe<z.ZodString, z.ZodTransform<ListenSpec, string>> => parsed(ADDRESS_TEXT, parseAddress);

const REMOTE_TEXT = 'an address "IP" or "IP:port" (IPv6 as "[addr]:port")';
const remoteAddress = (): z.ZodPipe<z.ZodString, z.ZodTransform<ListenSpec, string>> => parsed(REMOTE_TEXT, (s) => parseRemoteAddress(s, 53));
const CIDR_TEXT = 'an IP address or range "IP/prefix"';
const cidr = (): z.ZodPipe<z.ZodString, z.ZodTransform<CidrSpec, string>> => parsed(CIDR_TEXT, parseCidr);

/** One item or a non-empty list of them; both mean a list. */
function oneOrMore<T extends z.ZodType>(item: () => T, typeText: string): z.ZodUnion<[T, z.ZodArray<T>]> {
  return doc(z.union([item(), list(item(), `a non-empty list of ${typeText}s`, 1)], { error: expected(`${typeText} or a non-empty list of them`) }), {
    typeText: `${typeText}, or a non-empty list of them`,
  });
}
const asList = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Refinement of a list: the second item with the same key is an error at `[i].field` (or `[i]`). */
function noDuplicates<T>(key: (v: T) => string, what: string, field?: string) {
  return (items: T[], ctx: z.core.$RefinementCtx<T[]>): void => {
    const seen = new Set<string>();
    items.forEach((item, i) => {
      const k = key(item);
      if (seen.has(k)) ctx.addIssue({ code: 'custom', path: field === undefined ? [i] : [i, field], input: item, message: `duplicate ${what} ${k}` });
      seen.add(k);
    });
  };
}

export const LOG_LEVEL_VALUES = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export const LOG_FORMATS = ['json', 'pretty'] as const;
export const TSIG_ALGORITHMS = ['hmac-md5', 'hmac-sha1', 'hmac-sha224', 'hmac-sha256', 'hmac-sha384', 'hmac-sha512'] as const;
export const ACL_ACTIONS = ['transfer', 'notify', 'update'] as const;

const DEFAULT_LISTEN = ['127.0.0.1:5300', '[::1]:5300'];

const listenSchema = doc(
  list(address(), `a non-empty list of ${ADDRESS_TEXT.replace('an address', 'addresses')}`, 1).superRefine(noDuplicates(formatAddress, 'address')),
  {
    description:
      'Addresses to serve DNS on, UDP and TCP, as `IP:port` (IPv6 in brackets). Port 0 picks one free port shared by all addresses. An IPv6 address that the host does not have is skipped with a warning when another address is bound.',
  },
).prefault(DEFAULT_LISTEN);

const keySchema = group(
  {
    name: doc(id(), { description: 'Name of the key, as it appears in TSIG records (e.g. `xfr-key`); remotes and acls refer to it.' }),
    algorithm: doc(oneOf(TSIG_ALGORITHMS), { description: 'HMAC algorithm (RFC 8945 §6).' }),
    secret: doc(
      // The value is never shown, so that an error message cannot leak a secret into logs.
      z.string({ error: () => 'expected base64 text (the value is not shown)' }).refine((s) => /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(s) && s.length > 0, {
        error: 'expected base64 text (the value is not shown)',
      }),
      { typeText: 'base64 text', description: 'Shared secret in base64, as `tsig-keygen` and `keymgr` print it. Error messages never show it.' },
    ),
  },
  'a mapping {name, algorithm, secret}',
).transform(camelize);

const remoteSchema = group(
  {
    name: doc(id(), { description: 'Name the zones refer to in `notify` and `primaries`.' }),
    address: doc(oneOrMore(remoteAddress, REMOTE_TEXT), {
      description: 'Where the remote server listens: `IP` or `IP:port` (IPv6 as `[addr]:port`), or a list of them; the port is 53 when absent.',
    }),
    key: doc(id(), { description: 'Key (from `keys`) that signs what is sent to this remote: NOTIFY, SOA, IXFR and AXFR requests.' }).optional(),
  },
  'a mapping {name, address, key}',
).transform((r) => ({ name: r.name, address: asList(r.address), key: r.key ?? null }));

const aclSchema = group(
  {
    name: doc(id(), { description: 'Name the zones refer to in `acl`.' }),
    address: doc(oneOrMore(cidr, CIDR_TEXT), { description: 'Client addresses this rule matches: IPs or ranges `IP/prefix`. Absent: any address.' }).optional(),
    key: doc(oneOrMore(id, 'a key name'), { description: 'Key (from `keys`), or list of keys, one of which must have signed the request for this rule to match. Absent: signed or not.' }).optional(),
    action: doc(list(oneOf(ACL_ACTIONS), `a non-empty list of ${ACL_ACTIONS.join(', ')}`, 1), { description: 'What the rule is about: any of `transfer` (AXFR/IXFR out), `notify` (NOTIFY in), `update` (dynamic updates, RFC 2136).' }),
    deny: doc(z.boolean({ error: expected('true or false') }), { typeText: 'true or false', description: 'When true, a matching request is refused instead of allowed.' }).default(false),
  },
  'a mapping {name, address, key, action, deny}',
).transform((a) => ({ name: a.name, address: a.address === undefined ? null : asList(a.address), key: a.key ?? null, action: a.action, deny: a.deny }));

export const SERIAL_POLICIES = ['keep', 'increment', 'unixtime', 'dateserial'] as const;

const zoneSchema = group(
  {
    name: doc(parsed('a domain name (labels of 1 to 63 characters, at most 253 in all)', domainName), { description: 'Zone apex, e.g. `example.com` (case and trailing dot do not matter).' }),
    file: doc(text(1, 4096, 'a file path'), {
      description: 'Master file the zone is served from (a primary zone), or where a secondary keeps its transferred copy; relative to the config file.',
      defaultText: 'required for a primary zone; for a secondary, `<storage>/zones/<name>.zone`',
    }).optional(),
    acl: doc(refs('acl'), { description: 'ACLs (from `acls`) that say who may transfer, notify or update this zone. Absent: nobody.' }).default([]),
    notify: doc(refs('remote'), { description: 'Remotes (from `remotes`) to send NOTIFY to on every new serial.' }).default([]),
    primaries: doc(refs('remote'), { description: 'Remotes (from `remotes`) a secondary zone is transferred from, tried in order. A zone with primaries is a secondary.' }).default([]),
    serial_policy: doc(oneOf(SERIAL_POLICIES), {
      description:
        'When the zone file changes but its SOA serial does not: `keep` refuses the new content (the old version stays served, as Knot does); `increment` adds 1 to the served serial; `unixtime` uses the current Unix time; `dateserial` uses YYYYMMDDnn. Each bumped serial is greater than the served one (RFC 1982).',
    }).default('keep'),
  },
  'a mapping {name, file, ...}',
);

const zonesSchema = doc(list(zoneSchema, 'a list of zones {name, file, ...}').superRefine(noDuplicates((zn: { name: string }) => zn.name, 'zone', 'name')), {
  description:
    'Zones to serve. A primary zone is `{name, file}`; a secondary zone is `{name, primaries}` (and optionally `file` for its copy). Both may have `acl`, `notify` and `serial_policy`. A zone that fails to load is logged with file:line:col and skipped (the others are served); on reload it keeps serving its previous version.',
  defaultText: 'none',
}).default([]);

const namedList = <T extends z.ZodType<{ name: string }>>(item: T, what: string, description: string) =>
  doc(list(item, `a list of ${what}s`).superRefine(noDuplicates((v: { name: string }) => `"${v.name}"`, what, 'name')), { description, defaultText: 'none' }).default([]);

/** Where each kind of reference points: `zones[].acl` names items of `acls`, and so on. */
const REFERENCES = [
  { from: 'remotes', field: 'key', to: 'keys', kind: 'key' },
  { from: 'acls', field: 'key', to: 'keys', kind: 'key' },
  { from: 'zones', field: 'acl', to: 'acls', kind: 'acl' },
  { from: 'zones', field: 'notify', to: 'remotes', kind: 'remote' },
  { from: 'zones', field: 'primaries', to: 'remotes', kind: 'remote' },
] as const;

const fileSchema = group({
  listen: listenSchema,
  workers: doc(int(1, 256), {
    description: 'Worker threads; each serves UDP and TCP on every listen address (SO_REUSEPORT) from one shared copy of every zone, built once by a separate loader thread.',
    defaultText: 'the number of CPUs',
  }).optional(),
  udp: describedGroup('UDP serving.', {
    payload_size: doc(int(512, 4096), { description: 'Largest UDP response the server sends (EDNS buffer size it advertises, RFC 6891 §6.2.5); 1232 avoids IP fragmentation (DNS Flag Day 2020).' }).default(1232),
    socket_buffer_bytes: doc(int(65536, 67108864), { description: 'Requested SO_RCVBUF and SO_SNDBUF of each UDP socket; halved until the kernel accepts it (see net.core.rmem_max).' }).default(4194304),
  })
    .transform(camelize)
    .prefault({}),
  // Defaults are those of src/transport/limits.ts (TCP_DEFAULTS); a config test checks they agree.
  tcp: describedGroup('TCP connections (RFC 7766): timeouts and limits, all finite, close to Knot\'s and NSD\'s.', {
    idle_timeout_ms: doc(int(100, 3600000), { description: 'A TCP connection with no query in progress is closed after this long without one (RFC 7766 §6.2.3). Above half of max_connections it is at most 1000 ms (as NSD does).' }).default(10000),
    read_timeout_ms: doc(int(100, 600000), {
      description: "A query whose first byte arrived must be complete within this long; also how long answers may wait for a peer that does not read them, and how long a closing connection waits for the peer's FIN.",
    }).default(5000),
    max_connections: doc(int(1, 1000000), { description: 'Concurrent TCP connections for the whole server, split evenly across workers (each worker allows ceil(max_connections / workers)).' }).default(1000),
    max_queries_per_connection: doc(int(1, 1000000000), {
      description:
        'After answering this many queries a connection is closed gracefully (answers flushed, FIN, then close). Finite, but high: RFC 7766 §6.2.1 wants many queries per connection, and pipelining clients such as dnsperf lose the queries in flight at a close.',
    }).default(1000000),
    on_limit: doc(oneOf(['close-idlest', 'refuse']), { description: 'At max_connections: `close-idlest` closes the connection idle the longest to admit the new one; `refuse` closes the new one.' }).default('close-idlest'),
    write_buffer_bytes: doc(int(1024, 67108864), { description: 'A connection stops reading queries while more than this many answer bytes wait to be written to it.' }).default(262144),
  })
    .transform(camelize)
    .prefault({}),
  shutdown_timeout_ms: doc(int(0, 600000), { description: 'On SIGTERM/SIGINT, how long workers may finish queries in progress before every connection is destroyed; the server exits within about this long.' }).default(5000),
  storage: doc(text(1, 4096, 'a directory path'), {
    description: 'Writable directory for journals, secondary zone copies and state; relative to the config file. Created when first needed.',
    defaultText: 'the directory of the config file (the working directory without one)',
  }).optional(),
  xfr: describedGroup('Zone transfers (RFC 5936, RFC 1995), their journal and NOTIFY (RFC 1996).', {
    max_transfers_out: doc(int(1, 10000), { description: 'AXFR/IXFR answers in progress at once per worker thread; a transfer request beyond it is answered SERVFAIL (as Knot does when overloaded), and the secondary retries.' }).default(16),
    timeout_ms: doc(int(1000, 3600000), { description: 'An inbound transfer, SOA query or NOTIFY exchange that makes no progress for this long fails (the served version is untouched).' }).default(30000),
    max_records: doc(int(1, 1000000000), { description: 'An inbound zone (AXFR, or the result of an IXFR) with more records than this is refused.' }).default(10000000),
    journal_max_bytes: doc(int(4096, 1099511627776), { description: 'Size bound of each zone\'s journal file under `storage`; the oldest changes are dropped first.' }).default(67108864),
    journal_max_depth: doc(int(1, 100000), { description: 'Changesets kept per zone in its journal and history; the oldest are dropped first.' }).default(100),
    notify_retries: doc(int(0, 100), { description: 'A NOTIFY without an answer is sent again this many times, waiting twice as long each time.' }).default(5),
    notify_timeout_ms: doc(int(100, 600000), { description: 'How long to wait for the answer to the first NOTIFY before the first retry (then doubling).' }).default(2000),
  })
    .transform(camelize)
    .prefault({}),
  keys: namedList(keySchema, 'key', 'TSIG keys (RFC 8945) that remotes and acls refer to: each `{name, algorithm, secret}`.'),
  remotes: namedList(remoteSchema, 'remote', 'Other servers, for NOTIFY and transfers: each `{name, address, key}`.'),
  acls: namedList(aclSchema, 'acl', 'Access rules for transfers, NOTIFY and updates: each `{name, address, key, action, deny}`.'),
  zones: zonesSchema,
  control: describedGroup('The control channel of `dunlin status`, `reload`, `zone status` and `sockstat`.', {
    socket: doc(text(1, 107), {
      description: 'Path of the control socket used by `dunlin status`, `reload`, `zone status` and `sockstat` (which find it with --config FILE); relative to the config file.',
      defaultText: '`$XDG_RUNTIME_DIR/dunlin/control.sock`, else `/tmp/dunlin-<uid>/control.sock`',
    }).optional(),
  })
    .transform((c) => ({ socket: c.socket ?? null }))
    .prefault({}),
  metrics: describedGroup('The Prometheus metrics endpoint.', {
    listen: doc(
      parsed('a loopback address "127.0.0.1:port" or "[::1]:port"', parseAddress, (a, s) => (isLoopback(a.host) ? null : `refusing non-loopback address ${show(s)}: metrics are served on 127.0.0.1 or [::1] only`)),
      { description: 'Prometheus metrics over HTTP on this loopback `IP:port`, such as `127.0.0.1:9153`; non-loopback addresses are refused.', defaultText: 'off' },
    ).optional(),
    token: doc(text(16, 512), { description: 'Bearer token required by the metrics endpoint when set (never logged).', defaultText: 'none: no token required' }).optional(),
  })
    .transform((m) => ({ listen: m.listen ?? null, token: m.token ?? null }))
    .prefault({}),
  log: describedGroup('Logs.', {
    level: doc(oneOf(LOG_LEVEL_VALUES), { description: 'Log level of the logs written to stderr.' }).default('info'),
    format: doc(oneOf(LOG_FORMATS), { description: '`json`: one JSON object per line (pino), for log collectors; `pretty`: colourless human-readable lines (pino-pretty), for a terminal.' }).default('json'),
  })
    .transform(camelize)
    .prefault({}),
});

function suggestId(name: string, known: readonly string[]): string {
  const close = known.filter((k) => {
    const d = editDistance(k, name);
    return d <= Math.max(1, Math.floor(name.length / 3)) && d < name.length;
  });
  return close.length > 0 ? ` (did you mean "${close[0]!}"?)` : known.length === 0 ? ' (none is defined)' : '';
}

/** The whole file: keys, checked references, then the runtime shape (camelCase fields, parsed addresses). */
export const configSchema = fileSchema
  .superRefine((c, ctx) => {
    const names = { keys: c.keys.map((k) => k.name), remotes: c.remotes.map((r) => r.name), acls: c.acls.map((a) => a.name) };
    for (const ref of REFERENCES) {
      const items: readonly Record<string, unknown>[] = c[ref.from];
      items.forEach((item, i) => {
        const v = item[ref.field];
        const path: (string | number)[] = [ref.from, i, ref.field];
        const check = (name: unknown, at: (string | number)[]): void => {
          if (typeof name === 'string' && !names[ref.to].includes(name)) ctx.addIssue({ code: 'custom', path: at, input: name, message: `unknown ${ref.kind} ${JSON.stringify(name)}${suggestId(name, names[ref.to])}` });
        };
        if (Array.isArray(v)) v.forEach((n: unknown, j) => check(n, [...path, j]));
        else check(v, path);
      });
    }
    c.zones.forEach((zn, i) => {
      // A primary needs its master file; a secondary gets its content from its primaries (the file is only its copy).
      if (zn.primaries.length === 0 && zn.file === undefined) {
        ctx.addIssue({ code: 'custom', path: ['zones', i, 'file'], input: undefined, message: 'a zone needs `file` (a primary zone) or `primaries` (a secondary zone)' });
      }
      if (zn.primaries.length > 0 && zn.serial_policy !== 'keep') {
        ctx.addIssue({ code: 'custom', path: ['zones', i, 'serial_policy'], input: zn.serial_policy, message: 'a secondary zone takes its serials from its primaries: serial_policy must be keep' });
      }
    });
  })
  .transform((c) => ({
    listen: c.listen,
    workers: c.workers ?? os.availableParallelism(),
    udp: c.udp,
    tcp: c.tcp,
    shutdownTimeoutMs: c.shutdown_timeout_ms,
    keys: c.keys,
    remotes: c.remotes,
    acls: c.acls.map((a) => ({ ...a, key: a.key === null ? null : asList(a.key) })),
    storage: c.storage ?? null,
    xfr: c.xfr,
    zones: c.zones.map((zn) => ({
      name: zn.name,
      file: zn.file ?? null,
      acl: zn.acl,
      notify: zn.notify,
      primaries: zn.primaries,
      serialPolicy: zn.serial_policy,
      role: zn.primaries.length > 0 ? ('secondary' as const) : ('primary' as const),
    })),
    control: c.control,
    metrics: c.metrics,
    log: c.log,
  }));

export type LogLevelName = (typeof LOG_LEVEL_VALUES)[number];
/** What the zone loader needs of a zone. */
export interface ZoneSpec {
  /** Lowercase, absolute (trailing dot). */
  readonly name: string;
  /** Absolute path: the master file of a primary, the kept copy of a secondary (relative paths are resolved against the config file). */
  readonly file: string;
  /** Optional in specs built by hand (tests, tools); the config always sets them. */
  readonly role?: 'primary' | 'secondary';
  readonly acl?: readonly string[];
  readonly notify?: readonly string[];
  readonly primaries?: readonly string[];
  readonly serialPolicy?: SerialPolicy;
}

export type SerialPolicy = (typeof SERIAL_POLICIES)[number];

type DeepReadonly<T> = T extends (infer U)[] ? readonly DeepReadonly<U>[] : T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> } : T;
type Parsed = DeepReadonly<z.output<typeof configSchema>>;
/** A zone as the server sees it: `file` always resolved (a secondary's default copy path filled in). */
export type ZoneConfig = Omit<Parsed['zones'][number], 'file'> & { readonly file: string };
export type KeyConfig = Parsed['keys'][number];
export type RemoteConfig = Parsed['remotes'][number];
export type AclConfig = Parsed['acls'][number];
/** The validated configuration every part of the server reads. */
export type Config = Omit<Parsed, 'zones' | 'storage'> & {
  readonly configFile: string | null;
  /** Absolute path of the storage directory. */
  readonly storage: string;
  readonly zones: readonly ZoneConfig[];
};

/** Levenshtein distance, for "did you mean" suggestions. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_v, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur.push(Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    prev = cur;
  }
  return prev[b.length]!;
}

// Owns the one configuration schema: every key with its type, default, range and documentation.
import os from 'node:os';

export type FieldType =
  | { readonly kind: 'int'; readonly min: number; readonly max: number }
  | { readonly kind: 'enum'; readonly values: readonly string[] }
  | { readonly kind: 'string'; readonly min?: number; readonly max?: number }
  | { readonly kind: 'address' } // "IP:port", IPv6 in brackets: "[::1]:5300"
  | { readonly kind: 'loopback-address' }
  | { readonly kind: 'address-list' }
  | { readonly kind: 'zones' }; // [{name, file}]

export interface SchemaEntry {
  /** Dotted key path in the YAML file. */
  readonly key: string;
  readonly type: FieldType;
  /** The default, a function computing it, or undefined when the key is optional and off when absent. */
  readonly default: unknown;
  /** Command-line flag that overrides the key, if any. */
  readonly flag?: string;
  readonly doc: string;
}

export const LOG_LEVEL_VALUES = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

// Defaults are those of src/transport/limits.ts (TCP_DEFAULTS); a config test checks they agree.
export const SCHEMA: readonly SchemaEntry[] = [
  {
    key: 'listen',
    type: { kind: 'address-list' },
    default: ['127.0.0.1:5300', '[::1]:5300'],
    flag: '--listen',
    doc: 'Addresses to serve DNS on, UDP and TCP, as `IP:port` (IPv6 in brackets). Port 0 picks one free port shared by all addresses. An IPv6 address that the host does not have is skipped with a warning when another address is bound.',
  },
  {
    key: 'workers',
    type: { kind: 'int', min: 1, max: 256 },
    default: () => os.availableParallelism(),
    flag: '--workers',
    doc: 'Worker processes; each loads every zone and serves UDP and TCP on every listen address (SO_REUSEPORT). Default: the number of CPUs.',
  },
  {
    key: 'udp.payload_size',
    type: { kind: 'int', min: 512, max: 4096 },
    default: 1232,
    doc: 'Largest UDP response the server sends (EDNS buffer size it advertises, RFC 6891 §6.2.5); 1232 avoids IP fragmentation (DNS Flag Day 2020).',
  },
  {
    key: 'udp.socket_buffer_bytes',
    type: { kind: 'int', min: 65536, max: 67108864 },
    default: 4194304,
    doc: 'Requested SO_RCVBUF and SO_SNDBUF of each UDP socket; halved until the kernel accepts it (see net.core.rmem_max).',
  },
  {
    key: 'tcp.idle_timeout_ms',
    type: { kind: 'int', min: 100, max: 3600000 },
    default: 10000,
    doc: 'A TCP connection with no query in progress is closed after this long without one (RFC 7766 §6.2.3). Above half of max_connections it is at most 1000 ms (as NSD does).',
  },
  {
    key: 'tcp.read_timeout_ms',
    type: { kind: 'int', min: 100, max: 600000 },
    default: 5000,
    doc: 'A query whose first byte arrived must be complete within this long; also how long answers may wait for a peer that does not read them, and how long a closing connection waits for the peer\'s FIN.',
  },
  {
    key: 'tcp.max_connections',
    type: { kind: 'int', min: 1, max: 1000000 },
    default: 1000,
    doc: 'Concurrent TCP connections for the whole server, split evenly across workers (each worker allows ceil(max_connections / workers)).',
  },
  {
    key: 'tcp.max_queries_per_connection',
    type: { kind: 'int', min: 1, max: 1000000000 },
    default: 1000000,
    doc: 'After answering this many queries a connection is closed gracefully (answers flushed, FIN, then close). Finite, but high: RFC 7766 §6.2.1 wants many queries per connection, and pipelining clients such as dnsperf lose the queries in flight at a close.',
  },
  {
    key: 'tcp.on_limit',
    type: { kind: 'enum', values: ['close-idlest', 'refuse'] },
    default: 'close-idlest',
    doc: 'At max_connections: `close-idlest` closes the connection idle the longest to admit the new one; `refuse` closes the new one.',
  },
  {
    key: 'tcp.write_buffer_bytes',
    type: { kind: 'int', min: 1024, max: 67108864 },
    default: 262144,
    doc: 'A connection stops reading queries while more than this many answer bytes wait to be written to it.',
  },
  {
    key: 'shutdown_timeout_ms',
    type: { kind: 'int', min: 0, max: 600000 },
    default: 5000,
    doc: 'On SIGTERM/SIGINT, how long workers may finish queries in progress before every connection is destroyed; the server exits within about this long.',
  },
  {
    key: 'zones',
    type: { kind: 'zones' },
    default: [],
    flag: '--zone',
    doc: 'Zones to serve: a list of `{name, file}`. A relative `file` is relative to the config file. A zone that fails to load is logged with file:line:col and skipped (the others are served); on reload it keeps serving its previous version.',
  },
  {
    key: 'control.socket',
    type: { kind: 'string', min: 1, max: 107 },
    default: undefined,
    flag: '--control',
    doc: 'Path of the control socket used by `dunlin sockstat`. Default: `$XDG_RUNTIME_DIR/dunlin/control.sock`, else `/tmp/dunlin-<uid>/control.sock`.',
  },
  {
    key: 'metrics.listen',
    type: { kind: 'loopback-address' },
    default: undefined,
    flag: '--metrics',
    doc: 'Prometheus metrics over HTTP on this loopback `IP:port` (e.g. `127.0.0.1:9153`). Off when absent; non-loopback addresses are refused.',
  },
  {
    key: 'metrics.token',
    type: { kind: 'string', min: 16, max: 512 },
    default: undefined,
    doc: 'Bearer token required by the metrics endpoint when set (never logged).',
  },
  {
    key: 'log.level',
    type: { kind: 'enum', values: LOG_LEVEL_VALUES },
    default: 'info',
    flag: '--log-level',
    doc: 'Log level of the JSON logs written to stderr.',
  },
];

export function schemaEntry(key: string): SchemaEntry | undefined {
  return SCHEMA.find((e) => e.key === key);
}

/** One-line description of what a type accepts, used in error messages and docs. */
export function describeType(t: FieldType): string {
  switch (t.kind) {
    case 'int':
      return `an integer ${t.min}..${t.max}`;
    case 'enum':
      return `one of ${t.values.join(', ')}`;
    case 'string':
      return t.min !== undefined && t.max !== undefined ? `a string of ${t.min}..${t.max} characters` : 'a string';
    case 'address':
      return 'an address "IP:port" (IPv6 as "[addr]:port")';
    case 'loopback-address':
      return 'a loopback address "127.0.0.1:port" or "[::1]:port"';
    case 'address-list':
      return 'a non-empty list of addresses "IP:port" (IPv6 as "[addr]:port")';
    case 'zones':
      return 'a list of {name, file}';
  }
}

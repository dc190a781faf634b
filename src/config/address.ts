// Owns the address forms of the configuration: "IP:port" listen addresses, remote addresses with a default port, ACL CIDRs.
import net from 'node:net';

export interface ListenSpec {
  readonly host: string;
  readonly port: number;
}

/** An address range of an ACL: `address/prefix` (a bare IP is a /32 or /128). */
export interface CidrSpec {
  readonly address: string;
  readonly prefix: number;
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

/** Parses "IP", "[IPv6]", "IP:port" or "[IPv6]:port"; the port defaults to `defaultPort`. */
export function parseRemoteAddress(text: string, defaultPort: number): ListenSpec | null {
  const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  if (net.isIP(bare) !== 0) return { host: bare, port: defaultPort };
  return parseAddress(text);
}

/** Parses "IP" or "IP/prefix"; returns null when malformed or the prefix exceeds the family's width. */
export function parseCidr(text: string): CidrSpec | null {
  const slash = text.indexOf('/');
  const address = slash < 0 ? text : text.slice(0, slash);
  const family = net.isIP(address);
  if (family === 0) return null;
  const width = family === 4 ? 32 : 128;
  if (slash < 0) return { address, prefix: width };
  const p = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(p) || Number(p) > width) return null;
  return { address, prefix: Number(p) };
}

export function formatAddress(a: ListenSpec): string {
  return net.isIPv6(a.host) ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

export function isLoopback(host: string): boolean {
  return /^127\.\d+\.\d+\.\d+$/.test(host) || host === '::1' || host === '0:0:0:0:0:0:0:1';
}

/** How a configured value is shown in an error message: strings quoted, containers named, never their contents. */
export function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return typeof v === 'number' || typeof v === 'boolean' ? String(v) : typeof v;
}

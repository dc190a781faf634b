// Owns listen-address preparation in the primary: probe each address, drop absent IPv6, resolve port 0 once for all workers.
import dgram from 'node:dgram';
import net from 'node:net';
import type { ListenSpec } from '../config/load.ts';
import { formatAddress } from '../config/load.ts';

export class ListenError extends Error {
  readonly code = 'DUNLIN_ERR_LISTEN';
}

function bindUdp(host: string, port: number): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket({ type: net.isIPv6(host) ? 'udp6' : 'udp4', ipv6Only: net.isIPv6(host) });
    s.once('error', (err) => {
      s.close();
      reject(err);
    });
    s.bind({ address: host, port, exclusive: true }, () => resolve(s));
  });
}

function bindTcp(host: string, port: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen({ host, port, exclusive: true, ipv6Only: net.isIPv6(host) }, () => resolve(s));
  });
}

async function release(handles: (dgram.Socket | net.Server)[]): Promise<void> {
  await Promise.all(handles.map((h) => new Promise<void>((r) => {
    if (h instanceof net.Server) h.close(() => r());
    else h.close(() => r());
  })));
}

/** Tries to bind UDP and TCP on every address at `port` (0 = any); returns the port, or throws the first error. */
async function probeAll(addrs: readonly ListenSpec[], port: number | null): Promise<number[]> {
  const handles: (dgram.Socket | net.Server)[] = [];
  try {
    const ports: number[] = [];
    let shared = port;
    for (const a of addrs) {
      const p = a.port === 0 ? (shared ?? 0) : a.port;
      const tcp = await bindTcp(a.host, p);
      handles.push(tcp);
      const actual = (tcp.address() as net.AddressInfo).port;
      if (a.port === 0) shared = actual;
      handles.push(await bindUdp(a.host, actual));
      ports.push(actual);
    }
    return ports;
  } finally {
    await release(handles);
  }
}

export interface PreparedListen {
  readonly listen: readonly ListenSpec[];
  /** Addresses dropped because the host lacks them (e.g. no IPv6), with the reason. */
  readonly skipped: readonly { readonly address: string; readonly reason: string }[];
}

const ABSENT = new Set(['EADDRNOTAVAIL', 'EAFNOSUPPORT', 'EPROTONOSUPPORT']);

/**
 * Checks every address can be bound for UDP and TCP (a clear error before forking workers), skips
 * IPv6 addresses the host does not have when another address remains, and turns port 0 into one
 * free port shared by all port-0 addresses and all workers (bound then released: workers rebind it
 * with SO_REUSEPORT).
 */
export async function prepareListen(addrs: readonly ListenSpec[]): Promise<PreparedListen> {
  const skipped: { address: string; reason: string }[] = [];
  const usable: ListenSpec[] = [];
  for (const a of addrs) {
    try {
      await probeAll([{ host: a.host, port: a.port === 0 ? 0 : a.port }], null);
      usable.push(a);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? String(err);
      if (ABSENT.has(code) && net.isIPv6(a.host)) {
        skipped.push({ address: formatAddress(a), reason: code });
        continue;
      }
      throw new ListenError(`listen ${formatAddress(a)}: ${code === 'EADDRINUSE' ? 'address already in use' : code === 'EACCES' ? 'permission denied (ports below 1024 need privileges)' : code}`);
    }
  }
  if (usable.length === 0) throw new ListenError(`no listen address can be bound (${skipped.map((s) => `${s.address}: ${s.reason}`).join(', ')})`);
  if (!usable.some((a) => a.port === 0)) return { listen: usable, skipped };
  let lastErr: unknown = null;
  for (let attempt = 0; attempt < 20; attempt++) {
    try {
      const ports = await probeAll(usable, null);
      return { listen: usable.map((a, i) => ({ host: a.host, port: ports[i]! })), skipped };
    } catch (err) {
      lastErr = err;
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') break;
    }
  }
  throw new ListenError(`cannot find a free port for ${usable.map(formatAddress).join(', ')}: ${String(lastErr)}`);
}

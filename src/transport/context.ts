// Owns the transports' query contexts: addresses read from the socket only when a handler asks, the abort signal created only when read.
import type { RemoteInfo, Socket as UdpSocket } from 'node:dgram';
import type { Socket } from 'node:net';
import type { QueryContext, Transport } from '../responder/types.ts';

/**
 * One reusable context: the transport calls begin() before each query and takeController() when
 * the answer turned out asynchronous, so the controller (if the handler read `signal`) belongs to
 * that one pending answer. A synchronous answer costs one field store.
 */
abstract class ReusableContext implements QueryContext {
  abstract readonly transport: Transport;
  abstract readonly peerAddress: string;
  abstract readonly peerPort: number;
  abstract readonly localAddress: string;
  abstract readonly localPort: number;
  #ac: AbortController | null = null;

  get signal(): AbortSignal {
    this.#ac ??= new AbortController();
    return this.#ac.signal;
  }

  /** Forgets a controller a synchronous handler created: the next query gets its own. */
  begin(): void {
    this.#ac = null;
  }

  /** The controller created for the query just answered, now owned by the caller (null if nobody read `signal`). */
  takeController(): AbortController | null {
    const ac = this.#ac;
    this.#ac = null;
    return ac;
  }
}

/** One per UDP socket: the peer is the datagram's rinfo (already an object dgram made), the local address is read once. */
export class UdpContext extends ReusableContext {
  readonly transport = 'udp';
  readonly #socket: UdpSocket;
  #local: { address: string; port: number } | null = null;
  rinfo: RemoteInfo | null = null;

  constructor(socket: UdpSocket) {
    super();
    this.#socket = socket;
  }

  get peerAddress(): string {
    return this.rinfo?.address ?? '';
  }

  get peerPort(): number {
    return this.rinfo?.port ?? 0;
  }

  // The socket's bound address never changes: getsockname(2) once, on first use.
  get localAddress(): string {
    this.#local ??= this.#socket.address();
    return this.#local.address;
  }

  get localPort(): number {
    this.#local ??= this.#socket.address();
    return this.#local.port;
  }
}

/** Octets per peer in a batched socket's peer array: one struct sockaddr_in6 (an IPv4 peer uses 16). */
export const PEER_BYTES = 28;

/**
 * The peer of one raw sockaddr (Linux layout: family in host byte order, AF_INET 2 / AF_INET6 10,
 * then the port in network byte order). Formatted as dgram's rinfo.address is: dotted quad, or
 * RFC 5952 text without a zone index.
 */
export function sockaddrAddress(b: Uint8Array, o: number): string {
  if (b[o] === 2) return `${b[o + 4]!}.${b[o + 5]!}.${b[o + 6]!}.${b[o + 7]!}`;
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push((b[o + 8 + 2 * i]! << 8) | b[o + 9 + 2 * i]!);
  // RFC 5952 §4.2: the longest run of two or more zero groups (the first of equals) becomes "::".
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (a: number[]): string => a.map((x) => x.toString(16)).join(':');
  if (best < 0) return hex(g);
  return `${hex(g.slice(0, best))}::${hex(g.slice(best + bestLen))}`;
}

export function sockaddrPort(b: Uint8Array, o: number): number {
  return (b[o + 2]! << 8) | b[o + 3]!;
}

/** One per batched UDP socket: the peer is decoded from the batch's sockaddr bytes only when a handler asks. */
export class BatchUdpContext extends ReusableContext {
  readonly transport = 'udp';
  readonly localAddress: string;
  readonly localPort: number;
  readonly #peers: Uint8Array;
  /** The datagram's slot in the current batch. */
  slot = 0;

  constructor(peers: Uint8Array, localAddress: string, localPort: number) {
    super();
    this.#peers = peers;
    this.localAddress = localAddress;
    this.localPort = localPort;
  }

  get peerAddress(): string {
    return sockaddrAddress(this.#peers, this.slot * PEER_BYTES);
  }

  get peerPort(): number {
    return sockaddrPort(this.#peers, this.slot * PEER_BYTES);
  }
}

/** One per TCP connection, created with its first query; net.Socket caches the addresses after its first getpeername/getsockname. */
export class TcpContext extends ReusableContext {
  readonly transport = 'tcp';
  readonly #socket: Socket;

  constructor(socket: Socket) {
    super();
    this.#socket = socket;
  }

  get peerAddress(): string {
    return this.#socket.remoteAddress ?? '';
  }

  get peerPort(): number {
    return this.#socket.remotePort ?? 0;
  }

  get localAddress(): string {
    return this.#socket.localAddress ?? '';
  }

  get localPort(): number {
    return this.#socket.localPort ?? 0;
  }
}

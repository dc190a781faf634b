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

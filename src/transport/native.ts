// Owns loading the optional batched-UDP addon (native/dunlin_udp.c): the binding's type, and why it is absent when it is.
import { createRequire } from 'node:module';

/** What native/dunlin_udp.c exports (see its header comment). */
export interface UdpAddon {
  /** Datagram slots per batch, bytes per slot, bytes of the shared output buffer. */
  readonly slots: number;
  readonly slotBytes: number;
  readonly outBytes: number;
  open(host: string, port: number, v6: boolean, reusePort: boolean, bufferBytes: number, onBatch: (n: number) => void): [
    handle: object, input: ArrayBuffer, lens: ArrayBuffer, peers: ArrayBuffer, out: ArrayBuffer, meta: ArrayBuffer, port: number, rcvbuf: number, sndbuf: number,
  ];
  /** Sends answers meta[0..3m) describe (peer slot, offset in out, length) with sendmmsg; returns how many went. */
  send(handle: object, m: number): number;
  /** One datagram to a saved peer (28 sockaddr bytes); 0, or the errno name. */
  sendTo(handle: object, bytes: Uint8Array, peer: Uint8Array): 0 | string;
  lastError(handle: object): string;
  close(handle: object): void;
}

export type UdpIo = 'auto' | 'batched' | 'dgram';

let loaded: { addon: UdpAddon | null; why: string } | null = null;

/**
 * The addon, or null with the reason (not Linux, not built, failed to load). Loaded once per
 * thread; `../../native` is the package's native/ from src/transport and dist/transport alike.
 */
export function udpAddon(): { addon: UdpAddon | null; why: string } {
  if (loaded) return loaded;
  if (process.platform !== 'linux') return (loaded = { addon: null, why: `batched UDP needs Linux (this is ${process.platform})` });
  const path = new URL('../../native/build/Release/dunlin_udp.node', import.meta.url).pathname;
  try {
    const addon = createRequire(import.meta.url)(path) as UdpAddon;
    loaded = { addon, why: 'loaded' };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'MODULE_NOT_FOUND' ? 'addon not built (native/build/Release/dunlin_udp.node missing; see docs/udp-batching.md)' : `addon failed to load: ${(err as Error).message.split('\n')[0] ?? ''}`;
    loaded = { addon: null, why };
  }
  return loaded;
}

// Owns the TCP listeners of one process: accept, the connection limit and its policy, the connections' TimerQueue, slow-accept on EMFILE, close()/destroy().
import net from 'node:net';
import type { Logger } from 'pino';
import type { RespondFn } from '../responder/types.ts';
import { Connection } from './connection.ts';
import type { ConnectionOwner } from './connection.ts';
import { BUSY_IDLE_TIMEOUT_MS, SLOW_ACCEPT_MS, resolveTcpLimits } from './limits.ts';
import type { TcpLimits } from './limits.ts';
import { connectionRegistry } from './registry.ts';
import type { ConnectionRegistry } from './registry.ts';
import type { CloseReason } from './registry-types.ts';
import { TimerQueue } from './timers.ts';

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

export interface BoundAddress {
  readonly host: string;
  readonly port: number;
  readonly family: 'IPv4' | 'IPv6';
}

export interface TcpTransportOptions {
  readonly respond: RespondFn;
  readonly limits?: Partial<TcpLimits>;
  readonly registry?: ConnectionRegistry;
  readonly log?: Logger | null;
  /** Bind each listener with SO_REUSEPORT (every worker thread owns its own socket). */
  readonly reusePort?: boolean;
}

interface Listener {
  server: net.Server;
  readonly opts: net.ListenOptions;
  paused: boolean;
}

export class TcpTransport implements ConnectionOwner {
  readonly respond: RespondFn;
  readonly limits: TcpLimits;
  readonly registry: ConnectionRegistry;
  readonly log: Logger | null;
  readonly timers = new TimerQueue();
  queries = 0;
  /** Connections accepted but not yet destroy-requested (what the limit counts). */
  readonly #live = new Set<Connection>();
  /**
   * Connections until their 'close' event: a count, not a set. Every one that is not in #live has
   * already had destroy() requested, so nothing ever needs to iterate them (one Set insert and delete
   * less per connection).
   */
  #open = 0;
  readonly #listeners: Listener[] = [];
  readonly #reusePort: boolean;
  #closing = false;
  #drained: (() => void) | null = null;
  #refused = 0;

  constructor(opts: TcpTransportOptions) {
    this.respond = opts.respond;
    this.limits = resolveTcpLimits(opts.limits);
    this.registry = opts.registry ?? connectionRegistry;
    this.log = opts.log ?? null;
    this.#reusePort = opts.reusePort ?? false;
  }

  get connectionCount(): number {
    return this.#open;
  }

  /** Connections closed because the limit was reached (refused or idlest closed). */
  get refused(): number {
    return this.#refused;
  }

  /** The listening servers (for operations and tests); replaced when accepting resumes after a pause. */
  get servers(): readonly net.Server[] {
    return this.#listeners.map((l) => l.server);
  }

  idleTimeoutMs(): number {
    const idle = this.limits.idleTimeoutMs;
    return this.#live.size > this.limits.maxConnections / 2 ? Math.min(idle, BUSY_IDLE_TIMEOUT_MS) : idle;
  }

  connectionDestroying(c: Connection): void {
    this.#live.delete(c);
  }

  connectionClosed(c: Connection, reason: CloseReason): void {
    this.#live.delete(c);
    this.#open--;
    if (this.log?.isLevelEnabled('debug') === true) this.log.debug({ conn: c.id, reason }, 'tcp connection closed');
    if (this.#open === 0) {
      if (this.#closing) this.timers.close();
      if (this.#drained !== null) this.#drained();
    }
  }

  /** Starts a listener; resolves with the bound address. For "::" binds, IPv6 only (IPv4 has its own listener). */
  async listen(addr: ListenAddress): Promise<BoundAddress> {
    if (this.#closing) throw new Error('tcp transport is closed');
    const opts: net.ListenOptions = { host: addr.host, port: addr.port, backlog: 511 };
    if (net.isIPv6(addr.host)) opts.ipv6Only = true;
    if (this.#reusePort) {
      opts.reusePort = true;
      opts.exclusive = true;
    }
    const server = this.#createServer();
    await this.#startListening(server, opts);
    const a = server.address() as net.AddressInfo;
    // Listening again after a slow-accept pause must reuse the port actually bound, not port 0.
    const listener: Listener = { server, opts: { ...opts, port: a.port }, paused: false };
    this.#listeners.push(listener);
    server.on('error', (err) => this.#onServerError(listener, err));
    return { host: a.address, port: a.port, family: a.family === 'IPv6' ? 'IPv6' : 'IPv4' };
  }

  #createServer(): net.Server {
    // No noDelay here: Connection sets TCP_NODELAY before its second write (see #flush).
    return net.createServer({ allowHalfOpen: true }, this.#onConnection);
  }

  #startListening(server: net.Server, opts: net.ListenOptions): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => {
        server.off('listening', onListening);
        reject(err);
      };
      const onListening = (): void => {
        server.off('error', onError);
        resolve();
      };
      server.once('error', onError);
      server.once('listening', onListening);
      server.listen(opts);
    });
  }

  #onConnection = (socket: net.Socket): void => {
    const c = new Connection(socket, this);
    this.#open++;
    this.#live.add(c);
    if (this.#closing) {
      c.destroy('shutdown');
      return;
    }
    if (this.#live.size <= this.limits.maxConnections) return;
    this.#refused++;
    if (this.limits.onLimit === 'refuse') {
      c.destroy('limit');
      return;
    }
    const victim = this.#idlest(c);
    if (victim === null) c.destroy('limit');
    else victim.destroy('limit');
  };

  /** The connection with the oldest activity, preferring ones with nothing in progress. */
  #idlest(except: Connection): Connection | null {
    let best: Connection | null = null;
    let bestBusy: Connection | null = null;
    for (const c of this.#live) {
      if (c === except) continue;
      if (c.busy) {
        if (bestBusy === null || c.lastActivity < bestBusy.lastActivity) bestBusy = c;
      } else if (best === null || c.lastActivity < best.lastActivity) {
        best = c;
      }
    }
    return best ?? bestBusy;
  }

  #onServerError(listener: Listener, err: NodeJS.ErrnoException): void {
    if (err.code === 'EMFILE' || err.code === 'ENFILE') {
      this.#slowAccept(listener, err.code);
      return;
    }
    // Other accept errors (ECONNABORTED and the like) concern one connection, never the listener.
    this.log?.warn({ code: err.code, err: err.message }, 'tcp accept error');
  }

  /**
   * Out of file descriptors (NSD "slowaccept"): stop accepting for a while so UDP and the open
   * connections keep working, then listen again. With SO_REUSEPORT the other workers keep the port.
   */
  #slowAccept(listener: Listener, code: string): void {
    if (listener.paused || this.#closing) return;
    listener.paused = true;
    this.log?.warn({ code, pauseMs: SLOW_ACCEPT_MS, open: this.#open }, 'out of file descriptors: pausing tcp accept');
    listener.server.close();
    const t = setTimeout(() => {
      if (this.#closing) return;
      const server = this.#createServer();
      this.#startListening(server, listener.opts).then(
        () => {
          if (this.#closing) {
            // close() ran while we were re-listening: this listener must not outlive it.
            server.close();
            return;
          }
          listener.server = server;
          listener.paused = false;
          server.on('error', (e) => this.#onServerError(listener, e));
          this.log?.info({ host: listener.opts.host, port: listener.opts.port }, 'tcp accept resumed');
        },
        (e: unknown) => {
          // Still out of descriptors (or the port is gone): try again later.
          this.log?.warn({ err: e instanceof Error ? e.message : String(e) }, 'tcp accept resume failed; retrying');
          listener.paused = false;
          this.#slowAccept(listener, code);
        },
      );
    }, SLOW_ACCEPT_MS);
    t.unref();
  }

  /**
   * Graceful: stop accepting, let frames in progress complete and unwritten answers flush, FIN every
   * connection, then destroy whatever is left after limits.shutdownTimeoutMs with reason 'shutdown'.
   */
  async close(): Promise<void> {
    this.#closing = true;
    await Promise.all(this.#listeners.map((l) => closeServer(l.server)));
    if (this.#open === 0) {
      this.timers.close();
      return;
    }
    const drained = new Promise<void>((resolve) => {
      this.#drained = resolve;
    });
    for (const c of [...this.#live]) c.shutdown();
    if (this.#live.size > 0) {
      const states: Partial<Record<string, number>> = {};
      for (const c of this.#live) states[c.state] = (states[c.state] ?? 0) + 1;
      this.log?.info({ connections: this.#live.size, states, timeoutMs: this.limits.shutdownTimeoutMs }, `waiting up to ${this.limits.shutdownTimeoutMs} ms for ${this.#live.size} busy TCP connection(s) to finish`);
    }
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.limits.shutdownTimeoutMs);
    });
    await Promise.race([drained, deadline]);
    clearTimeout(timer);
    if (this.#open > 0) {
      this.destroy();
      await drained;
    }
  }

  /** Immediate: stop accepting and destroy every connection with reason 'shutdown'. */
  destroy(): void {
    this.#closing = true;
    for (const l of this.#listeners) if (l.server.listening) l.server.close();
    for (const c of [...this.#live]) c.destroy('shutdown');
  }
}

function closeServer(server: net.Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    // net.Server.close() only stops the listener here; the callback would wait for connections, so do not.
    server.close();
    setImmediate(resolve);
  });
}

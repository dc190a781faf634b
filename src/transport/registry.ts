// Owns the per-process connection registry: every TCP connection from accept to close, and close-reason counts.
import type { CloseReason, ConnectionSnapshot, RegistrySnapshot } from './registry-types.ts';
import { CLOSE_REASONS } from './registry-types.ts';

/** What the registry needs from a connection. */
export interface TrackedConnection {
  readonly id: number;
  snapshot(now: number): ConnectionSnapshot;
}

export class ConnectionRegistry {
  readonly #open = new Map<number, TrackedConnection>();
  readonly #closed: Record<CloseReason, number> = Object.fromEntries(CLOSE_REASONS.map((r) => [r, 0])) as Record<CloseReason, number>;
  #accepted = 0;
  #nextId = 1;

  /** A fresh connection id (unique within this process). */
  nextId(): number {
    return this.#nextId++;
  }

  register(c: TrackedConnection): void {
    this.#accepted++;
    this.#open.set(c.id, c);
  }

  /** Removes `c` and counts `reason`; a second call for the same connection is a no-op. */
  unregister(c: TrackedConnection, reason: CloseReason): void {
    if (this.#open.delete(c.id)) this.#closed[reason]++;
  }

  get size(): number {
    return this.#open.size;
  }

  get accepted(): number {
    return this.#accepted;
  }

  closedCount(reason: CloseReason): number {
    return this.#closed[reason];
  }

  snapshot(now = Date.now()): RegistrySnapshot {
    const open: ConnectionSnapshot[] = [];
    for (const c of this.#open.values()) open.push(c.snapshot(now));
    return { open, accepted: this.#accepted, closedByReason: { ...this.#closed } };
  }
}

/** The one registry of this thread (each worker thread loads its own copy of this module); read by metrics, control and tests. */
export const connectionRegistry = new ConnectionRegistry();

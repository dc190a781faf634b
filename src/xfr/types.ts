// Owns the shapes the transfer code shares with the zone writer: a newly served version and what the writer offers to the primary side.
import type { ZoneSpec } from '../config/schema.ts';
import type { Changeset } from '../store/index.ts';

/** A version with a new serial, published and served by every thread (NOTIFY, the journal, chains of secondaries). */
export interface NewVersion {
  readonly zone: string;
  readonly spec: ZoneSpec;
  readonly serial: number;
  /** Null for the first version since the server started. */
  readonly previousSerial: number | null;
  /** The difference from the previous version (in the history now), or null: first version, or too large to keep. */
  readonly changeset: Changeset | null;
  /** The new SOA (TTL and RDATA), for NOTIFY. */
  readonly soa: { readonly ttl: number; readonly rdata: Uint8Array } | null;
}

/** What the primary side needs of the zone writer. */
export interface VersionSource {
  onNewVersion(fn: (v: NewVersion) => void): () => void;
  restoreHistory(zone: string, changesets: readonly Changeset[]): boolean;
}

// Owns the result shapes of zone loading shared by check-zone, the store and the server.
import type { Name } from '../wire/name.ts';
import type { ResourceRecord } from '../wire/record.ts';

export interface ZoneProblem {
  readonly severity: 'error' | 'warning';
  readonly file: string;
  readonly line: number; // 1-based; 0 when the problem is about the zone as a whole
  readonly col: number; // 1-based; 0 when unknown
  readonly message: string; // says what was expected
}

export interface ZoneLoadResult {
  readonly origin: Name;
  /** Checked records: duplicates merged, RRset TTLs unified (RFC 2181 §5.2), out-of-zone removed. Empty when errors exist. */
  readonly records: readonly ResourceRecord[];
  readonly errors: readonly ZoneProblem[];
  readonly warnings: readonly ZoneProblem[];
  /** SOA serial when the zone is valid. */
  readonly serial: number | null;
}

/** `file:line:col: severity: message` — the one format every tool prints problems in. */
export function formatProblem(p: ZoneProblem): string {
  return `${p.file}:${p.line}:${p.col}: ${p.severity}: ${p.message}`;
}

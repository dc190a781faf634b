// Owns loading a zone file straight into a store snapshot: parse and check into the compact table, build, drop the table.
import type { Name } from '../wire/name.ts';
import { loadZoneTable } from '../zone/load.ts';
import type { LoadOptions } from '../zone/load.ts';
import { freeBuffer } from '../zone/table.ts';
import type { ZoneProblem } from '../zone/types.ts';
import { buildZoneFromTable } from './zone.ts';
import type { Zone } from './zone.ts';

export interface StoreLoadResult {
  readonly origin: Name;
  /** The snapshot to serve; null when errors exist. */
  readonly zone: Zone | null;
  /** Records served (duplicates merged, out-of-zone records dropped). */
  readonly recordCount: number;
  readonly errors: readonly ZoneProblem[];
  readonly warnings: readonly ZoneProblem[];
  readonly serial: number | null;
}

/**
 * The server's load path: the same parse and checks as loadZoneFile (same problems, same
 * positions) without a ResourceRecord per record, so peak memory stays near the table plus the
 * snapshot. The table is garbage once this returns.
 */
export function loadZoneIntoStore(path: string, origin: Name, opts: LoadOptions = {}): StoreLoadResult {
  const r = loadZoneTable(path, origin, opts);
  if (!r.table || r.errors.length > 0) return { origin, zone: null, recordCount: 0, errors: r.errors, warnings: r.warnings, serial: null };
  const zone = buildZoneFromTable(origin, r.table, r.order);
  const recordCount = r.order.length;
  // The snapshot copied what it needs: give the table's memory back now, not at some later GC.
  r.table.release();
  freeBuffer(r.order);
  return { origin, zone, recordCount, errors: r.errors, warnings: r.warnings, serial: r.serial };
}

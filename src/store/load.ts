// Owns loading whole zones into store versions (from a file or from records): parse and check into the compact table, build, drop the table.
import type { Name } from '../wire/name.ts';
import type { ResourceRecord } from '../wire/record.ts';
import { checkTable } from '../zone/check.ts';
import { loadZoneTable } from '../zone/load.ts';
import type { LoadOptions } from '../zone/load.ts';
import { freeBuffer, RecordTable } from '../zone/table.ts';
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

/**
 * A whole zone from records (a transfer, an API import) through the same checks as a zone file,
 * so every way into the store holds the same invariants; `source` names it in the problems.
 */
export function loadZoneFromRecords(origin: Name, records: readonly ResourceRecord[], source = ''): StoreLoadResult {
  const table = RecordTable.fromRecords(records, undefined, source);
  const r = checkTable(origin, table, source);
  if (r.errors.length > 0) return { origin, zone: null, recordCount: 0, errors: r.errors, warnings: r.warnings, serial: null };
  const zone = buildZoneFromTable(origin, table, r.order);
  table.release();
  return { origin, zone, recordCount: r.order.length, errors: r.errors, warnings: r.warnings, serial: r.serial };
}

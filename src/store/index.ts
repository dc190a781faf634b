// Owns the public surface of the store layer: zone versions, their updates and changesets, and the zone set.
export { buildZone, buildZoneFromTable, zoneFromNodes, keyOf, Zone, ZoneNode, RRset, NodeFlag, keyLabelOffsets, keyBytes } from './zone.ts';
export type { ZoneImage } from './zone.ts';
export type { NodeData, SetData } from './columns.ts';
export { ZoneSet } from './zone-set.ts';
export { loadZoneIntoStore, loadZoneFromRecords } from './load.ts';
export type { StoreLoadResult } from './load.ts';
export { ZoneUpdate, ZoneUpdateError, diffZones, updateZone, nextSerial, soaWithSerial, recordsOf } from './update.ts';
export type { Changeset, CommitResult, CommitOptions } from './update.ts';
export { ZoneHistory, HISTORY_DEFAULTS } from './history.ts';
export type { HistoryLimits } from './history.ts';

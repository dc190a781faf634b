// Owns the public surface of the store layer: zone snapshots and the zone set.
export { buildZone, buildZoneFromTable, Zone, ZoneNode, RRset, NodeFlag, keyLabelOffsets, keyBytes } from './zone.ts';
export type { ZoneImage } from './zone.ts';
export { ZoneSet } from './zone-set.ts';
export { loadZoneIntoStore } from './load.ts';
export type { StoreLoadResult } from './load.ts';

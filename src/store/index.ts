// Owns the public surface of the store layer: zone snapshots and the zone set.
export { buildZone, Zone, ZoneNode, RRset, NodeFlag, keyLabelOffsets, keyBytes } from './zone.ts';
export { ZoneSet } from './zone-set.ts';

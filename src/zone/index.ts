// Owns the public surface of the zone layer: parse, check, load and print master files.
export { parseZoneText, parseZoneToTable, MAX_INCLUDE_DEPTH } from './parser.ts';
export type { ParseOptions, ParseResult, TableParseResult } from './parser.ts';
export { checkZone, checkTable } from './check.ts';
export type { TableCheck } from './check.ts';
export { RecordTable } from './table.ts';
export { loadZoneFile, loadZoneTable, guessOrigin, readZoneText } from './load.ts';
export type { LoadOptions, TableLoadResult } from './load.ts';
export { printZone, sortRecords } from './print.ts';
export { Positions, MAX_LISTED_ERRORS } from './problems.ts';
export { parseTtl, MAX_TTL } from './ttl.ts';
export { MAX_GENERATE } from './generate.ts';
export { formatProblem } from './types.ts';
export type { ZoneLoadResult, ZoneProblem } from './types.ts';

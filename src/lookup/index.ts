// Owns the public surface of the lookup layer.
export { lookup, rdataName, MAX_CHAIN } from './lookup.ts';
export type { Answer, Item } from './lookup.ts';

// Owns the plain record and question shapes shared by the codec, the zone parser and the store.
import type { Name } from './name.ts';

export interface Question {
  readonly name: Name;
  readonly type: number;
  readonly class: number;
}

/** One resource record; `rdata` is the uncompressed wire form. */
export interface ResourceRecord {
  readonly name: Name;
  readonly type: number;
  readonly class: number;
  readonly ttl: number;
  readonly rdata: Uint8Array;
}

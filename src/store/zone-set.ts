// Owns the immutable set of served zones and the deepest-zone match (RFC 1034 §4.3.2 step 2).
import { Name } from '../wire/name.ts';
import type { Zone } from './zone.ts';

/** Immutable: `with`/`without` return a new set, so a reload swaps one reference and readers never lock. */
export class ZoneSet {
  readonly #byKey: Map<string, Zone>;
  /** Keys of zones that are configured but have no version to serve (their load failed). */
  readonly #unserved: ReadonlySet<string>;

  constructor(zones: readonly Zone[], unserved: Iterable<string> = []) {
    this.#byKey = new Map();
    for (const z of zones) this.#byKey.set(z.origin.key, z);
    this.#unserved = new Set(unserved);
  }

  /** True when some configured zone has no version; only then is unservedCovers() worth asking. */
  get hasUnserved(): boolean {
    return this.#unserved.size > 0;
  }

  /**
   * True when the deepest configured zone containing `qname` is one without a version: such a
   * name is answered SERVFAIL, as Knot does, not REFUSED (nor by a served parent zone).
   */
  unservedCovers(qname: Name): boolean {
    const key = qname.key;
    let i = 0;
    for (;;) {
      const suffix = i === 0 ? key : key.slice(i);
      if (this.#byKey.has(suffix)) return false;
      if (this.#unserved.has(suffix)) return true;
      if (i >= key.length) return false;
      const len = key.charCodeAt(i);
      if (len === 0) return false;
      i += len + 1;
    }
  }

  /** The deepest zone whose origin is `qname` or an ancestor of it (a Name or a Name.key). */
  find(qname: Name | string): Zone | undefined {
    const key = typeof qname === 'string' ? qname : qname.key;
    const m = this.#byKey;
    if (m.size === 0) return undefined;
    let i = 0;
    for (;;) {
      const z = m.get(i === 0 ? key : key.slice(i));
      if (z) return z;
      if (i >= key.length) return undefined;
      const len = key.charCodeAt(i);
      if (len === 0) return undefined;
      i += len + 1;
    }
  }

  /** The zone with exactly this origin. */
  get(origin: Name | string): Zone | undefined {
    return this.#byKey.get(typeof origin === 'string' ? origin : origin.key);
  }

  /** A new set with `zone` added or replacing the zone of the same origin. */
  with(zone: Zone): ZoneSet {
    const zones = this.zones().filter((z) => z.origin.key !== zone.origin.key);
    zones.push(zone);
    return new ZoneSet(zones, this.#unserved);
  }

  /** A new set without the zone of `origin`. */
  without(origin: Name | string): ZoneSet {
    const key = typeof origin === 'string' ? origin : origin.key;
    return new ZoneSet(this.zones().filter((z) => z.origin.key !== key), this.#unserved);
  }

  zones(): Zone[] {
    return [...this.#byKey.values()];
  }

  get size(): number {
    return this.#byKey.size;
  }

  static readonly EMPTY = new ZoneSet([]);

  /** Convenience for tests and tools. */
  findText(name: string): Zone | undefined {
    return this.find(Name.fromText(name));
  }
}

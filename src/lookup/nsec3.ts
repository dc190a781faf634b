// Owns the per-version index of a zone's NSEC3 chain: match and cover by hash.
import { RRType } from '../wire/constants.ts';
import type { Name } from '../wire/name.ts';
import { base32hex, nsec3Hash } from '../wire/nsec3hash.ts';
import type { Zone, ZoneNode } from '../store/zone.ts';

export { base32hex, nsec3Hash };

/** Hashed names memoised per index (query names repeat; the answer cache absorbs most repeats anyway). */
const MEMO_MAX = 4096;

/**
 * The NSEC3 chain of one zone version that matches its NSEC3PARAM (RFC 5155 §7.3: the server
 * uses the chain named by NSEC3PARAM): owner hashes in sorted order (the owner labels are the
 * hashes in base32hex, so no hashing is needed to build it) and the node of each.
 */
export class Nsec3Index {
  readonly salt: Uint8Array;
  readonly iterations: number;
  readonly #hashes: string[];
  readonly #nodes: ZoneNode[];
  readonly #memo = new Map<string, string>();

  constructor(salt: Uint8Array, iterations: number, hashes: string[], nodes: ZoneNode[]) {
    this.salt = salt;
    this.iterations = iterations;
    this.#hashes = hashes;
    this.#nodes = nodes;
  }

  get size(): number {
    return this.#hashes.length;
  }

  /** The base32hex hash of a name, memoised (bounded). */
  hashOf(name: Name): string {
    let h = this.#memo.get(name.key);
    if (h === undefined) {
      h = base32hex(nsec3Hash(name, this.salt, this.iterations));
      if (this.#memo.size >= MEMO_MAX) this.#memo.clear();
      this.#memo.set(name.key, h);
    }
    return h;
  }

  /** The NSEC3 node whose owner hash equals the hash of `name`, if any. */
  match(name: Name): ZoneNode | undefined {
    const h = this.hashOf(name);
    const i = this.#lowerBound(h);
    return i < this.#hashes.length && this.#hashes[i] === h ? this.#nodes[i] : undefined;
  }

  /** The NSEC3 node whose interval covers the hash of `name` (the last one wraps to the first, RFC 5155 §3.1.7). */
  cover(name: Name): ZoneNode | undefined {
    if (this.#hashes.length === 0) return undefined;
    const h = this.hashOf(name);
    const i = this.#lowerBound(h);
    if (i < this.#hashes.length && this.#hashes[i] === h) return undefined;
    return this.#nodes[(i - 1 + this.#hashes.length) % this.#hashes.length];
  }

  #lowerBound(h: string): number {
    const a = this.#hashes;
    let lo = 0;
    let hi = a.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (a[mid]! < h) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** NSEC3PARAM RDATA: algorithm, flags, iterations (16 bits), salt length, salt (RFC 5155 §4.2). */
function params(rdata: Uint8Array): { alg: number; iterations: number; salt: Uint8Array } | null {
  if (rdata.length < 5 || rdata.length < 5 + rdata[4]!) return null;
  return { alg: rdata[0]!, iterations: (rdata[2]! << 8) | rdata[3]!, salt: rdata.subarray(5, 5 + rdata[4]!) };
}

function sameParams(rdata: Uint8Array, alg: number, iterations: number, salt: Uint8Array): boolean {
  const p = params(rdata);
  if (p === null || p.alg !== alg || p.iterations !== iterations || p.salt.length !== salt.length) return false;
  for (let i = 0; i < salt.length; i++) if (p.salt[i] !== salt[i]) return false;
  return true;
}

/**
 * Index per zone version, built once per version and thread on the first DNSSEC query that needs
 * it: a version is immutable and shared read-only between threads (its columns live in shared
 * memory), so this side table is derived data each thread rebuilds with one walk of the nodes
 * rather than a second structure to keep in the shared image. Versions drop out with the zone.
 */
const indexes = new WeakMap<Zone, Nsec3Index | null>();

/** The zone's NSEC3 index, or null when the apex has no usable NSEC3PARAM (the zone uses NSEC or is unsigned). */
export function nsec3Index(zone: Zone): Nsec3Index | null {
  const known = indexes.get(zone);
  if (known !== undefined) return known;
  let idx: Nsec3Index | null = null;
  const param = zone.node(zone.origin.key)?.get(RRType.NSEC3PARAM);
  // Only SHA-1 is defined (RFC 5155 §11); the first NSEC3PARAM with flags 0 names the chain (§4.1.2).
  const p = param?.rdatas().map(params).find((x) => x !== null && x.alg === 1) ?? null;
  if (p !== null) {
    const entries: [string, ZoneNode][] = [];
    const originLabels = zone.origin.labelCount;
    for (const node of zone.nodes()) {
      const set = node.setCount > 0 ? node.get(RRType.NSEC3) : undefined;
      if (!set) continue;
      const owner = node.owner;
      // NSEC3 owners are one hash label directly below the apex (RFC 5155 §3).
      if (owner.labelCount !== originLabels + 1) continue;
      if (!set.rdatas().some((r) => sameParams(r, p.alg, p.iterations, p.salt))) continue;
      entries.push([new TextDecoder('latin1').decode(owner.label(0)).toLowerCase(), node]);
    }
    entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    idx = new Nsec3Index(Uint8Array.from(p.salt), p.iterations, entries.map((e) => e[0]), entries.map((e) => e[1]));
  }
  indexes.set(zone, idx);
  return idx;
}

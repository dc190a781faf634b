// Owns the DNSSEC additions to an answer (RFC 4035 §3.1, RFC 5155 §7.2): RRSIGs next to their RRsets and the NSEC/NSEC3 denial proofs; pure.
import { RRType } from '../wire/constants.ts';
import { WireError } from '../wire/errors.ts';
import type { Name } from '../wire/name.ts';
import { RRset } from '../store/zone.ts';
import type { Zone, ZoneNode } from '../store/zone.ts';
import { nsec3Index } from './nsec3.ts';
import type { Nsec3Index } from './nsec3.ts';

/** What a section entry needs from here (lookup.ts's Item, without the import cycle). */
export interface SignedItem {
  readonly owner: Name;
  readonly rrset: RRset;
  /** The RRSIGs covering `rrset`, written right after it and kept with it (RFC 4035 §3.1.1). */
  readonly sigs?: RRset;
  readonly required?: boolean;
}

const STAR = new Uint8Array([0x2a]);

/**
 * The signing context of one answer: set only when the query had DO (RFC 3225 §3) and the zone
 * is signed (its SOA has an RRSIG). Proofs go into `authority` once each (a CNAME chain can ask
 * for the same NSEC twice).
 */
export class Dnssec {
  readonly zone: Zone;
  readonly nsec3: Nsec3Index | null;
  readonly #authority: SignedItem[];
  readonly #added = new Set<string>();

  private constructor(zone: Zone, nsec3: Nsec3Index | null, authority: SignedItem[]) {
    this.zone = zone;
    this.nsec3 = nsec3;
    this.#authority = authority;
  }

  /** The context for `zone`, or null when the zone carries no signatures. */
  static of(zone: Zone, authority: SignedItem[]): Dnssec | null {
    const apex = zone.node(zone.origin.key);
    if (!apex?.sigs(RRType.SOA)) return null;
    // RFC 5155 §7.2: a zone with an NSEC3PARAM at the apex answers with NSEC3, otherwise NSEC.
    return new Dnssec(zone, nsec3Index(zone), authority);
  }

  /** An entry for `rrset` of `node` with its signatures (none for an RRSIG query itself, RFC 4035 §3.1.1). */
  item(owner: Name, node: ZoneNode, rrset: RRset): SignedItem {
    const sigs = rrset.type === RRType.RRSIG ? undefined : node.sigs(rrset.type);
    return sigs ? { owner, rrset, sigs } : { owner, rrset };
  }

  /** The negative-answer SOA with its RRSIG at the same TTL (RFC 4035 §3.1.3; Knot lowers both to min(TTL, MINIMUM), RFC 2308 §3). */
  negativeSoa(soa: RRset): SignedItem {
    const s = this.zone.node(this.zone.origin.key)?.sigs(RRType.SOA);
    if (!s) return { owner: this.zone.origin, rrset: soa };
    return { owner: this.zone.origin, rrset: soa, sigs: new RRset(s.type, soa.ttl, s.count, s.data, s.start, s.end) };
  }

  #add(node: ZoneNode | undefined, type: number): void {
    if (!node) return;
    const set = node.get(type);
    if (!set) return;
    const owner = node.owner;
    const key = `${owner.key}/${type}`;
    if (this.#added.has(key)) return;
    this.#added.add(key);
    this.#authority.push(this.item(owner, node, set));
  }

  /** The NSEC whose interval covers `name` (RFC 4034 §4.1.1): the previous node in canonical order that has one (glue and empty non-terminals have none). */
  #covering(name: Name): ZoneNode | undefined {
    let p = this.zone.predecessor(name, true);
    for (let guard = 0; p && !p.get(RRType.NSEC) && guard < 1_000_000; guard++) p = this.zone.predecessor(p.owner, true);
    return p;
  }

  /**
   * The closest provable encloser of `name` starting at `ce` (RFC 5155 §7.2.1): walks up from
   * `ce` to the first name with a matching NSEC3 (opt-out leaves some without one), adds that
   * NSEC3 and the one covering the next closer name; returns the encloser.
   */
  #closestEncloser(idx: Nsec3Index, name: Name, ce: Name): Name {
    let c = ce;
    let m = idx.match(c);
    while (!m && c.labelCount > this.zone.origin.labelCount) {
      c = c.parent();
      m = idx.match(c);
    }
    this.#add(m, RRType.NSEC3);
    if (name.labelCount > c.labelCount) this.#add(idx.cover(name.parent(name.labelCount - c.labelCount - 1)), RRType.NSEC3);
    return c;
  }

  #wildcardAt(ce: Name): Name | null {
    try {
      return ce.prepend(STAR);
    } catch (e) {
      if (e instanceof WireError) return null;
      throw e;
    }
  }

  /** NXDOMAIN (RFC 4035 §3.1.3.2; RFC 5155 §7.2.2): `name` does not exist and neither does the wildcard at its closest encloser `ce`. */
  nxdomain(name: Name, ce: Name): void {
    const idx = this.nsec3;
    if (idx) {
      const c = this.#closestEncloser(idx, name, ce);
      const w = this.#wildcardAt(c);
      if (w) this.#add(idx.cover(w), RRType.NSEC3);
      return;
    }
    this.#add(this.#covering(name), RRType.NSEC);
    const w = this.#wildcardAt(ce);
    if (w) this.#add(this.#covering(w), RRType.NSEC);
  }

  /**
   * NODATA at an existing name (RFC 4035 §3.1.3.1; RFC 5155 §7.2.3, §7.2.4): its NSEC/NSEC3 shows
   * the type is absent; an empty non-terminal is proven by the NSEC covering it, and a name without
   * NSEC3 (opt-out) by its closest provable encloser.
   */
  nodata(name: Name, node: ZoneNode): void {
    const idx = this.nsec3;
    if (idx) {
      const m = idx.match(name);
      if (m) this.#add(m, RRType.NSEC3);
      else this.#closestEncloser(idx, name, name);
      return;
    }
    if (node.setCount > 0 && node.get(RRType.NSEC)) this.#add(node, RRType.NSEC);
    else this.#add(this.#covering(name), RRType.NSEC);
  }

  /** A wildcard answer (RFC 4035 §3.1.3.3; RFC 5155 §7.2.6): no closer name than the wildcard's encloser `ce` exists. */
  wildcardAnswer(name: Name, ce: Name): void {
    const idx = this.nsec3;
    if (idx) {
      if (name.labelCount > ce.labelCount) this.#add(idx.cover(name.parent(name.labelCount - ce.labelCount - 1)), RRType.NSEC3);
      return;
    }
    this.#add(this.#covering(name), RRType.NSEC);
  }

  /** Wildcard NODATA (RFC 4035 §3.1.3.4; RFC 5155 §7.2.5): no closer match, and the wildcard lacks the type. */
  wildcardNodata(name: Name, ce: Name, wildcard: ZoneNode): void {
    const idx = this.nsec3;
    if (idx) {
      const c = this.#closestEncloser(idx, name, ce);
      const w = this.#wildcardAt(c);
      if (w) this.#add(idx.match(w), RRType.NSEC3);
      return;
    }
    this.#add(this.#covering(name), RRType.NSEC);
    this.#add(wildcard, RRType.NSEC);
  }

  /** A referral (RFC 4035 §3.1.4): the signed DS, or the proof there is none (RFC 5155 §7.2.7, opt-out included). */
  referral(cut: Name, node: ZoneNode): void {
    const ds = node.get(RRType.DS);
    if (ds) {
      this.#add(node, RRType.DS);
      return;
    }
    const idx = this.nsec3;
    if (idx) {
      const m = idx.match(cut);
      if (m) this.#add(m, RRType.NSEC3);
      else this.#closestEncloser(idx, cut, cut);
      return;
    }
    this.#add(node, RRType.NSEC);
  }
}

// Owns the authoritative lookup algorithm (RFC 1034 §4.3.2, RFC 4592 wildcards, RFC 6672 DNAME, referrals): pure.
import { Rcode, RRType } from '../wire/constants.ts';
import { WireError } from '../wire/errors.ts';
import { Name } from '../wire/name.ts';
import { Reader } from '../wire/reader.ts';
import { NodeFlag, RRset, keyLabelOffsets } from '../store/zone.ts';
import type { Zone, ZoneNode } from '../store/zone.ts';
import type { ZoneSet } from '../store/zone-set.ts';
import { Dnssec } from './dnssec.ts';

/** One RRset placed in a section, with the owner to write. */
export interface Item {
  readonly owner: Name;
  readonly rrset: RRset;
  /** With DO: the RRSIGs covering `rrset`, written right after it and never without it (RFC 4035 §3.1.1). */
  readonly sigs?: RRset;
  /** Additional-section glue that must fit or the response is truncated (RFC 9471 §3). */
  readonly required?: boolean;
}

export interface Answer {
  rcode: number;
  /** Authoritative answer: false only for a plain referral, for REFUSED and for SERVFAIL (a configured zone without a version). */
  aa: boolean;
  readonly answer: Item[];
  readonly authority: Item[];
  readonly additional: Item[];
  /** The zone that answered (undefined for REFUSED). */
  zone: Zone | undefined;
}

/**
 * CNAME chain bound. Knot stops a chain when it revisits a name; the bound guards long loop-free
 * chains (RFC 1034 §3.6.2 says chains should be short).
 */
export const MAX_CHAIN = 16;

/** Types whose RDATA names get A/AAAA in the additional section (RFC 1035 §3.3, RFC 2782; Knot 3.2 does NS, MX, SRV). */
function targetOffset(type: number): number {
  switch (type) {
    case RRType.NS: return 0;
    case RRType.MX: return 2;
    case RRType.SRV: return 6;
    default: return -1;
  }
}

/** The domain name inside uncompressed RDATA at `offset`, or null if it is not a valid name. */
export function rdataName(rdata: Uint8Array, offset: number): Name | null {
  try {
    return new Reader(rdata, offset).name(false);
  } catch (e) {
    if (e instanceof WireError) return null;
    throw e;
  }
}

type Found =
  | { kind: 'exact'; node: ZoneNode; key: string; wildcard: boolean; ce: string }
  | { kind: 'referral'; node: ZoneNode; key: string }
  | { kind: 'dname'; node: ZoneNode; key: string }
  | { kind: 'nxdomain'; ce: string };

/**
 * Walks from the apex down to `name` (RFC 1034 §4.3.2 step 3): stops at a zone cut (3b), at a
 * DNAME above the name (RFC 6672 §3.2), at the name itself (3a) or where the name stops existing;
 * there a wildcard at the closest encloser may be the source of synthesis (RFC 4592 §3.3.1).
 * An empty non-terminal is a node without RRsets, so it stops wildcard matching (RFC 4592 §2.2.2).
 */
function find(zone: Zone, name: Name, qtype: number): Found {
  const key = name.key;
  const offs = keyLabelOffsets(key);
  const apexIdx = offs.length - zone.origin.labelCount;
  let ceKey = zone.origin.key;
  for (let i = apexIdx; i >= 0; i--) {
    const k = i === apexIdx ? zone.origin.key : key.slice(offs[i]);
    const node = zone.node(k);
    if (!node) {
      const wkey = '\x01*' + ceKey;
      const w = zone.node(wkey);
      if (w) return { kind: 'exact', node: w, key: wkey, wildcard: true, ce: ceKey };
      return { kind: 'nxdomain', ce: ceKey };
    }
    // A DS query at a cut is answered by the parent side (RFC 4035 §3.1.4.1).
    if (node.flags & NodeFlag.DELEGATION && !(i === 0 && qtype === RRType.DS)) return { kind: 'referral', node, key: k };
    if (node.flags & NodeFlag.DNAME && i !== 0) return { kind: 'dname', node, key: k };
    if (i === 0) return { kind: 'exact', node, key: k, wildcard: false, ce: k };
    ceKey = k;
  }
  return { kind: 'nxdomain', ce: ceKey };
}

/** The ancestor of `name` whose key is `ceKey` (a suffix of the name's key). */
function ancestor(name: Name, ceKey: string): Name {
  const n = name.labelCount;
  for (let i = 0; i <= n; i++) {
    const p = name.parent(i);
    if (p.key.length === ceKey.length) return p;
  }
  return name;
}

/**
 * An RRSIG query gets the signatures of one covered type, the lowest, with their own TTL: RRSIGs
 * are an RRset per covered type (RFC 4035 §2.2), and Knot answers it so, like a minimal ANY.
 */
function firstSigs(node: ZoneNode): RRset | undefined {
  for (let i = 0; i < node.setCount; i++) {
    const s = node.setAt(i);
    if (s.type === RRType.RRSIG) return s;
  }
  return undefined;
}

function negative(ans: Answer, zone: Zone, sec: Dnssec | null): void {
  const soa = zone.negativeSoa;
  if (soa) ans.authority.push(sec ? sec.negativeSoa(soa) : { owner: zone.origin, rrset: soa });
}

/** A/AAAA of the NS/MX/SRV targets of `items`, only from the same zone (as Knot does), glue included. */
function addAdditional(ans: Answer, zone: Zone, items: readonly Item[], referralCut: Name | null, sec: Dnssec | null): void {
  let seen: Set<string> | null = null;
  for (const item of items) {
    const off = targetOffset(item.rrset.type);
    if (off < 0) continue;
    for (const rdata of item.rrset.rdatas()) {
      const target = rdataName(rdata, off);
      if (!target || target.isRoot() || !target.isSubdomainOf(zone.origin)) continue;
      seen ??= new Set();
      if (seen.has(target.key)) continue;
      seen.add(target.key);
      const node = zone.node(target.key);
      if (!node) continue;
      // In-domain glue of a referral must fit (RFC 9471 §3); other addresses are optional.
      const required = referralCut !== null && target.isSubdomainOf(referralCut);
      const a = node.get(RRType.A);
      const aaaa = node.get(RRType.AAAA);
      if (sec) {
        // Signed additional data travels with its RRSIGs (glue has none, RFC 4035 §2.2).
        if (a) ans.additional.push(required ? { ...sec.item(target, node, a), required } : sec.item(target, node, a));
        if (aaaa) ans.additional.push(required ? { ...sec.item(target, node, aaaa), required } : sec.item(target, node, aaaa));
        continue;
      }
      if (a) ans.additional.push(required ? { owner: target, rrset: a, required } : { owner: target, rrset: a });
      if (aaaa) ans.additional.push(required ? { owner: target, rrset: aaaa, required } : { owner: target, rrset: aaaa });
    }
  }
}

function referral(ans: Answer, zone: Zone, node: ZoneNode, key: string, sec: Dnssec | null): void {
  const ns = node.get(RRType.NS)!;
  const cut = zone.ownerName(node, key);
  // The NS of a delegation is not signed by the parent (RFC 4035 §2.2); the DS or its absence is.
  ans.authority.push({ owner: cut, rrset: ns });
  sec?.referral(cut, node);
  // A referral is not authoritative unless an authoritative CNAME led to it (RFC 1034 §4.3.2 3b).
  ans.aa = ans.answer.length > 0;
}

/**
 * Answers `qname`/`qtype` from the zone set. Pure and synchronous; never throws for names that
 * fit in a message. The CNAME chain is followed only inside the zone that holds it (Knot does the
 * same; the resolver restarts for other names, RFC 1034 §4.3.2 step 3a).
 */
export function lookup(zones: ZoneSet, qname: Name, qtype: number, dnssecOk = false): Answer {
  const ans: Answer = { rcode: Rcode.NOERROR, aa: true, answer: [], authority: [], additional: [], zone: undefined };
  let zone = zones.find(qname);
  if (zones.hasUnserved && zones.unservedCovers(qname)) {
    ans.rcode = Rcode.SERVFAIL;
    ans.aa = false;
    return ans;
  }
  if (!zone) {
    ans.rcode = Rcode.REFUSED;
    ans.aa = false;
    return ans;
  }
  // DS at a child apex belongs to the parent when we serve both (RFC 4035 §3.1.4.1).
  if (qtype === RRType.DS && qname.key === zone.origin.key && !qname.isRoot()) {
    const parent = zones.find(qname.parent());
    if (parent) zone = parent;
  }
  ans.zone = zone;
  // DNSSEC records only when asked for with DO (RFC 3225 §3, RFC 4035 §3.1) and the zone is signed.
  const sec = dnssecOk ? Dnssec.of(zone, ans.authority) : null;
  let name = qname;
  let seen: Set<string> | null = null;
  for (let hop = 0; ; hop++) {
    const f = find(zone, name, qtype);
    let next: Name | null = null;
    switch (f.kind) {
      case 'nxdomain':
        ans.rcode = Rcode.NXDOMAIN;
        negative(ans, zone, sec);
        sec?.nxdomain(name, ancestor(name, f.ce));
        break;
      case 'referral': {
        const at = ans.authority.length;
        referral(ans, zone, f.node, f.key, sec);
        addAdditional(ans, zone, ans.authority.slice(at, at + 1), ans.authority[at]!.owner, sec);
        return ans;
      }
      case 'dname': {
        const dname = f.node.get(RRType.DNAME)!;
        const owner = zone.ownerName(f.node, f.key);
        ans.answer.push(sec ? sec.item(owner, f.node, dname) : { owner, rrset: dname });
        const target = rdataName(dname.first(), 0);
        if (!target) break;
        let synthesized: Name;
        try {
          // Lower-cased so the bytes do not depend on the query's spelling (the responder caches them).
          const prefix = name.toLowerCase().labels().slice(0, name.labelCount - owner.labelCount);
          synthesized = Name.fromLabels([...prefix, ...target.labels()]);
        } catch (e) {
          if (!(e instanceof WireError)) throw e;
          // The substituted name does not fit in 255 octets (RFC 6672 §2.2).
          ans.rcode = Rcode.YXDOMAIN;
          break;
        }
        // The synthesised CNAME takes the DNAME's TTL (RFC 6672 §3.1); it is unsigned (RFC 6672 §5.3.1).
        ans.answer.push({ owner: name, rrset: RRset.of(RRType.CNAME, dname.ttl, [synthesized.wire]) });
        if (qtype !== RRType.CNAME) next = synthesized;
        break;
      }
      case 'exact': {
        const node = f.node;
        if (node.setCount === 0) {
          negative(ans, zone, sec);
          sec?.nodata(name, node);
          break;
        }
        const put = (rrset: RRset): void => {
          ans.answer.push(sec ? sec.item(name, node, rrset) : { owner: name, rrset });
          // A wildcard answer proves no closer name exists (RFC 4035 §3.1.3.3, RFC 5155 §7.2.6).
          if (sec && f.wildcard) sec.wildcardAnswer(name, ancestor(name, f.ce));
        };
        if (qtype === RRType.ANY) {
          // Minimal ANY (RFC 8482 §4.2): one RRset, the lowest type, as Knot does.
          put(node.setAt(0));
          break;
        }
        const rr = qtype === RRType.RRSIG ? firstSigs(node) : node.get(qtype);
        if (rr) {
          put(rr);
          break;
        }
        const cname = node.flags & NodeFlag.CNAME ? node.get(RRType.CNAME) : undefined;
        if (cname) {
          // Wildcard owners are replaced by the name asked for (RFC 4592 §3.3.1).
          put(cname);
          next = rdataName(cname.first(), 0);
          break;
        }
        negative(ans, zone, sec);
        if (sec) {
          if (f.wildcard) sec.wildcardNodata(name, ancestor(name, f.ce), node);
          else sec.nodata(name, node);
        }
        break;
      }
    }
    if (!next) break;
    if (!next.isSubdomainOf(zone.origin)) break;
    seen ??= new Set([qname.key]);
    seen.add(name.key);
    if (seen.has(next.key) || hop + 1 >= MAX_CHAIN) break;
    name = next;
  }
  addAdditional(ans, zone, ans.answer, null, sec);
  return ans;
}

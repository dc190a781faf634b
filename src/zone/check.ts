// Owns the zone-level checks after parsing: apex SOA/NS, CNAME/DNAME rules, delegations and glue, RRset merging.
import { RRType, typeToText } from '../wire/constants.ts';
import type { Name } from '../wire/name.ts';
import type { ResourceRecord } from '../wire/record.ts';
import { canonicalKey } from './canonical.ts';
import type { Positions } from './problems.ts';
import { Problems } from './problems.ts';
import type { ZoneLoadResult } from './types.ts';

interface RRsetInfo {
  readonly type: number;
  /** Indexes into the input records, duplicates removed. */
  readonly idx: number[];
  /** Canonical RDATA keys of idx, computed only once a second record arrives (most RRsets have one). */
  keys: Set<string> | null;
  ttl: number;
  ttlDiffers: number; // index of the first record with a different TTL, or -1
}

/** One owner; `sets` is a short array (a Map per owner costs more than a scan of 1-3 entries). */
interface NodeInfo {
  readonly name: Name;
  readonly sets: RRsetInfo[];
}

function getSet(node: NodeInfo, type: number): RRsetInfo | undefined {
  for (const s of node.sets) if (s.type === type) return s;
  return undefined;
}

function hasType(node: NodeInfo | undefined, type: number): boolean {
  return node !== undefined && getSet(node, type) !== undefined;
}

/** Types that may sit beside a CNAME (RFC 2181 §10.1, RFC 4035 §2.5: the DNSSEC records of the CNAME). */
const CNAME_COMPANIONS = new Set<number>([RRType.CNAME, RRType.RRSIG, RRType.NSEC]);
/** Types authoritative at a zone cut in the parent (RFC 4035 §2.6); A/AAAA there are glue. */
const AT_CUT = new Set<number>([RRType.NS, RRType.DS, RRType.RRSIG, RRType.NSEC, RRType.A, RRType.AAAA]);

/** Wire-form key of the parent of the name with wire key `key` (labels are length-prefixed). */
function parentKey(key: string): string {
  return key.slice(key.charCodeAt(0) + 1);
}

/** Decodes a wire key back to a readable name for messages. */
function keyText(key: string, names: Map<string, NodeInfo>): string {
  const n = names.get(key);
  if (n) return n.name.toText();
  let s = '';
  let p = 0;
  while (p < key.length && key.charCodeAt(p) !== 0) {
    const l = key.charCodeAt(p);
    s += key.slice(p + 1, p + 1 + l) + '.';
    p += l + 1;
  }
  return s || '.';
}

/** Target name key of an NS RDATA (the whole RDATA is the uncompressed name, RFC 1035 §3.3.11). */
function rdataNameKey(rdata: Uint8Array): string {
  let s = '';
  for (let i = 0; i < rdata.length; i++) {
    const b = rdata[i]!;
    s += String.fromCharCode(b >= 0x41 && b <= 0x5a ? b + 0x20 : b);
  }
  return s;
}

/**
 * Checks a parsed zone and returns the records to serve. Errors reject the whole zone (records
 * empty); warnings keep it. Positions (from the parser) give each problem its file:line:col.
 */
export function checkZone(origin: Name, records: readonly ResourceRecord[], positions?: Positions, file = ''): ZoneLoadResult {
  const problems = new Problems();
  const where = (i: number): [string, number, number] => {
    const p = positions?.get(i);
    return p ? [p.file, p.line, p.col] : [file, 0, 0];
  };
  // Problems are collected with their record index and reported in file order.
  const found: { i: number; error: boolean; msg: string }[] = [];
  const err = (i: number, msg: string): void => void found.push({ i, error: true, msg });
  const warn = (i: number, msg: string): void => void found.push({ i, error: false, msg });

  const nodes = new Map<string, NodeInfo>();
  const okey = origin.key;
  const rootZone = origin.isRoot();
  let lastName: Name | null = null;
  let lastNode: NodeInfo | undefined;
  for (let i = 0; i < records.length; i++) {
    const rr = records[i]!;
    // Name.isSubdomainOf misses the root as the parent (the root label has no offset): every name is in the root zone.
    if (rr.name !== lastName && !rootZone && !rr.name.isSubdomainOf(origin)) {
      warn(i, `${rr.name.toText()} is out of zone ${origin.toText()}: record ignored`);
      continue;
    }
    // Records of one owner usually follow each other and share one Name object: skip the hash lookup.
    let node = rr.name === lastName ? lastNode : nodes.get(rr.name.key);
    if (!node) {
      node = { name: rr.name, sets: [] };
      nodes.set(rr.name.key, node);
    }
    lastName = rr.name;
    lastNode = node;
    const set = getSet(node, rr.type);
    if (!set) {
      node.sets.push({ type: rr.type, idx: [i], keys: null, ttl: rr.ttl, ttlDiffers: -1 });
      continue;
    }
    if (rr.ttl !== set.ttl) {
      if (set.ttlDiffers < 0) set.ttlDiffers = i;
      if (rr.ttl < set.ttl) set.ttl = rr.ttl;
    }
    set.keys ??= new Set([canonicalKey(rr.type, records[set.idx[0]!]!.rdata)]);
    const key = canonicalKey(rr.type, rr.rdata);
    // Duplicate records are one record (RFC 2181 §5): merged silently.
    if (set.keys.has(key)) continue;
    set.keys.add(key);
    set.idx.push(i);
  }

  // Apex: exactly one SOA (RFC 1035 §5.2) and an NS RRset (RFC 1034 §4.2.1).
  const apex = nodes.get(okey);
  const soa = apex ? getSet(apex, RRType.SOA) : undefined;
  if (!soa) err(-1, `no SOA record at the zone apex ${origin.toText()}: expected exactly one`);
  else if (soa.idx.length > 1) err(soa.idx[1]!, `more than one SOA record at the zone apex ${origin.toText()}: expected exactly one`);
  if (!hasType(apex, RRType.NS)) err(soa ? soa.idx[0]! : -1, `no NS records at the zone apex ${origin.toText()}`);

  const cuts = new Set<string>();
  const dnames = new Set<string>();
  for (const [key, node] of nodes) {
    if (key !== okey && hasType(node, RRType.NS)) cuts.add(key);
    if (hasType(node, RRType.DNAME)) dnames.add(key);
  }

  for (const [key, node] of nodes) {
    const nameText = (): string => node.name.toText();
    for (const set of node.sets) {
      if (set.ttlDiffers >= 0) {
        warn(set.ttlDiffers, `TTLs differ in the ${nameText()} ${typeToText(set.type)} RRset: using the lowest, ${set.ttl} (RFC 2181 §5.2)`);
      }
    }
    if (key !== okey) {
      const s = getSet(node, RRType.SOA);
      if (s) err(s.idx[0]!, `SOA record at ${nameText()}: expected it only at the zone apex ${origin.toText()}`);
    }
    const cname = getSet(node, RRType.CNAME);
    if (cname) {
      if (cname.idx.length > 1) err(cname.idx[1]!, `more than one CNAME record at ${nameText()} (RFC 2181 §10.1)`);
      for (const set of node.sets) {
        const type = set.type;
        if (!CNAME_COMPANIONS.has(type)) {
          // Reported where the conflict arises: at whichever of the two records was written later.
          err(Math.max(set.idx[0]!, cname.idx[0]!), `CNAME and other data at ${nameText()}: ${typeToText(type)} cannot share a name with a CNAME (RFC 2181 §10.1)`);
        }
      }
    }
    const dname = getSet(node, RRType.DNAME);
    if (dname && dname.idx.length > 1) err(dname.idx[1]!, `more than one DNAME record at ${nameText()} (RFC 6672 §2.4)`);

    // Ancestors between this name and the apex: DNAMEs and zone cuts above it.
    if (key !== okey) {
      let below = '';
      let dnameAbove = '';
      // Most names sit right below the apex, or the zone has no cuts or DNAMEs: nothing to walk.
      const walk = cuts.size > 0 || dnames.size > 0;
      for (let k = walk ? parentKey(key) : ''; k.length > okey.length; k = parentKey(k)) {
        if (!dnameAbove && dnames.has(k)) dnameAbove = k;
        if (cuts.has(k)) below = k;
      }
      const firstIdx = node.sets[0]!.idx[0]!;
      if (dnameAbove) {
        err(firstIdx, `${nameText()} is below the DNAME at ${keyText(dnameAbove, nodes)}: names below a DNAME cannot have data (RFC 6672 §2.3)`);
      } else if (below) {
        const nonGlue = node.sets.filter((t) => t.type !== RRType.A && t.type !== RRType.AAAA);
        if (nonGlue.length > 0) {
          warn(nonGlue[0]!.idx[0]!, `${nameText()} ${nonGlue.map((t) => typeToText(t.type)).join(' ')} is below the delegation at ${keyText(below, nodes)}: occluded, never served`);
        }
      } else if (hasType(node, RRType.NS)) {
        const other = node.sets.filter((t) => !AT_CUT.has(t.type));
        if (other.length > 0) {
          warn(other[0]!.idx[0]!, `${nameText()} ${other.map((t) => typeToText(t.type)).join(' ')} at the delegation point: occluded by the NS records, never served`);
        }
      }
    }

    // Name servers that live inside this zone need addresses: glue below a cut, or authoritative A/AAAA.
    const ns = getSet(node, RRType.NS);
    if (ns) {
      for (const i of ns.idx) {
        const tkey = rdataNameKey(records[i]!.rdata);
        if (tkey.length < okey.length || !tkey.endsWith(okey)) continue;
        let cut = '';
        let dn = false;
        let k = tkey;
        for (; k.length > okey.length; k = parentKey(k)) {
          if (cuts.has(k)) cut = k;
          if (k !== tkey && dnames.has(k)) dn = true;
        }
        // endsWith alone is not a label boundary (a label may contain the octet 0x07): the walk must land on the apex.
        if (k !== okey) continue;
        if (dn) continue;
        const target = nodes.get(tkey);
        const hasAddr = hasType(target, RRType.A) || hasType(target, RRType.AAAA);
        const tText = (): string => keyText(tkey, nodes);
        if (hasType(target, RRType.CNAME)) {
          err(i, `NS target ${tText()} is a CNAME: expected a name with address records (RFC 2181 §10.3)`);
        } else if (!hasAddr) {
          if (cut) err(i, `missing glue: NS target ${tText()} is below the delegation at ${keyText(cut, nodes)} but has no A or AAAA record`);
          else err(i, `NS target ${tText()} is in this zone but has no A or AAAA record`);
        }
      }
    }
  }

  found.sort((a, b) => a.i - b.i);
  for (const f of found) {
    if (f.error) problems.error(...where(f.i), f.msg);
    else problems.warning(...where(f.i), f.msg);
  }
  const { errors, warnings } = problems.finish(file);
  if (errors.length > 0) return { origin, records: [], errors, warnings, serial: null };

  const out: ResourceRecord[] = [];
  for (const node of nodes.values()) {
    for (const set of node.sets) {
      for (const i of set.idx) {
        const rr = records[i]!;
        out.push(rr.ttl === set.ttl ? rr : { name: rr.name, type: rr.type, class: rr.class, ttl: set.ttl, rdata: rr.rdata });
      }
    }
  }
  const soaRdata = records[soa!.idx[0]!]!.rdata;
  const n = soaRdata.length;
  const serial = ((soaRdata[n - 20]! << 24) | (soaRdata[n - 19]! << 16) | (soaRdata[n - 18]! << 8) | soaRdata[n - 17]!) >>> 0;
  return { origin, records: out, errors, warnings, serial };
}

// Owns the zone-level checks after parsing: apex SOA/NS, CNAME/DNAME rules, delegations and glue, RRset merging.
import { readU32 } from '../wire/bytes.ts';
import { RRType, typeToText } from '../wire/constants.ts';
import type { Name } from '../wire/name.ts';
import type { ResourceRecord } from '../wire/record.ts';
import { canonicalKey } from './canonical.ts';
import { SignedZoneCheck } from './dnssec-check.ts';
import type { Positions } from './problems.ts';
import { Problems } from './problems.ts';
import { freeBuffer, RecordTable, sameFolded } from './table.ts';
import type { ZoneLoadResult, ZoneProblem } from './types.ts';

/** One RRset of the owner being checked; made per owner and dropped right after (never retained). */
interface RRsetInfo {
  readonly type: number;
  /** Record numbers in the table, duplicates removed. */
  readonly idx: number[];
  /** Canonical RDATA keys of idx, computed only once a second record arrives (most RRsets have one). */
  keys: Set<string> | null;
  ttl: number;
  ttlDiffers: number; // index of the first record with a different TTL, or -1
  /** For RRSIG: the covered type; signatures form one RRset per covered type (RFC 4035 §2.2), each with its own TTL. */
  readonly covered: number;
}

function getSet(sets: readonly RRsetInfo[], type: number, covered = 0): RRsetInfo | undefined {
  for (const s of sets) if (s.type === type && s.covered === covered) return s;
  return undefined;
}

/** Per-owner type bits, enough for the cross-node rules. */
const F_NS = 1;
const F_DNAME = 2;
const F_CNAME = 4;
const F_ADDR = 8;
const F_CUT = 16;
const F_NODE = 32;

/** Types that may sit beside a CNAME (RFC 2181 §10.1, RFC 4035 §2.5: the DNSSEC records of the CNAME). */
const CNAME_COMPANIONS = new Set<number>([RRType.CNAME, RRType.RRSIG, RRType.NSEC]);
/** Types authoritative at a zone cut in the parent (RFC 4035 §2.6); A/AAAA there are glue. */
const AT_CUT = new Set<number>([RRType.NS, RRType.DS, RRType.RRSIG, RRType.NSEC, RRType.A, RRType.AAAA]);

/** Raw lower-cased text of a wire name that is not an owner (for messages about NS targets). */
function wireText(a: Uint8Array, at: number, len: number): string {
  let s = '';
  let p = at;
  const end = at + len;
  while (p < end && a[p] !== 0) {
    const l = a[p]!;
    for (let i = p + 1; i <= p + l && i < end; i++) {
      const b = a[i]!;
      s += String.fromCharCode(b >= 0x41 && b <= 0x5a ? b + 0x20 : b);
    }
    s += '.';
    p += l + 1;
  }
  return s || '.';
}

export interface TableCheck {
  readonly errors: ZoneProblem[];
  readonly warnings: ZoneProblem[];
  readonly serial: number | null;
  /** The records to serve, owner by owner (first-seen order), RRset by RRset; their TTLs are unified in the table. Empty on errors. */
  readonly order: Uint32Array;
}

/**
 * Checks a zone held in a RecordTable. Errors reject the whole zone; warnings keep it. Each
 * RRset's TTL is set to its lowest (RFC 2181 §5.2) in `table.recTtl`; duplicates and out-of-zone
 * records are left out of `order`. Only per-owner typed arrays and the RRsets of one owner at a
 * time are allocated, so checking adds little to the table's memory. A zone with RRSIGs also gets
 * the signed-zone warnings of dnssec-check.ts, with signature times compared to `now` (seconds).
 */
export function checkTable(origin: Name, table: RecordTable, file = '', now = Math.floor(Date.now() / 1000)): TableCheck {
  const problems = new Problems();
  const n = table.count;
  const owners = table.ownerCount;
  const arena = table.ownerArena;
  const oOff = table.ownerOff;
  const oLen = table.ownerLen;
  const canonOf = table.ownerCanon;
  const ow = origin.wire;
  const L = ow.length;
  const rootZone = origin.isRoot();
  // Problems are collected with their record index and reported in file order.
  const found: { i: number; error: boolean; msg: string }[] = [];
  const err = (i: number, msg: string): void => void found.push({ i, error: true, msg });
  const warn = (i: number, msg: string): void => void found.push({ i, error: false, msg });
  const nameOf = (id: number): string => table.ownerName(id).toText();

  // 1. In zone or not, per owner spelling: the origin is a suffix starting at a label boundary.
  const inZone = new Uint8Array(owners);
  for (let id = 0; id < owners; id++) {
    const at = oOff[id]!;
    const len = oLen[id]!;
    if (rootZone) {
      inZone[id] = 1;
      continue;
    }
    if (len < L || !sameFolded(arena, at + len - L, ow, 0, L)) continue;
    let p = at;
    while (at + len - p > L) p += arena[p]! + 1;
    if (at + len - p === L) inZone[id] = 1;
  }
  // 2. Records grouped by canonical owner (counting sort, stable: file order within an owner).
  const start = new Uint32Array(owners + 1);
  for (let i = 0; i < n; i++) {
    const o = table.recOwner[i]!;
    if (inZone[o]) start[canonOf[o]! + 1]!++;
    else {
      const name = table.ownerName(o);
      warn(i, `${name.toText()} is out of zone ${origin.toText()}: record ignored`);
    }
  }
  for (let c = 0; c < owners; c++) start[c + 1]! += start[c]!;
  const grouped = new Uint32Array(start[owners]!);
  {
    const fill = start.slice(0, owners);
    for (let i = 0; i < n; i++) {
      const o = table.recOwner[i]!;
      if (inZone[o]) grouped[fill[canonOf[o]!]!++] = i;
    }
  }
  // 3. Type bits per owner.
  const flags = new Uint8Array(owners);
  const apex = table.findFolded(ow, 0, L);
  for (let c = 0; c < owners; c++) {
    let f = 0;
    for (let k = start[c]!; k < start[c + 1]!; k++) {
      const t = table.recType[grouped[k]!]!;
      f |= F_NODE;
      if (t === RRType.NS) f |= c === apex ? F_NS : F_NS | F_CUT;
      else if (t === RRType.DNAME) f |= F_DNAME;
      else if (t === RRType.CNAME) f |= F_CNAME;
      else if (t === RRType.A || t === RRType.AAAA) f |= F_ADDR;
    }
    flags[c] = f;
  }
  let anyCutOrDname = false;
  for (let c = 0; c < owners; c++) if (c !== apex && flags[c]! & (F_CUT | F_DNAME)) anyCutOrDname = true;

  /** The RRsets of one owner, in first-seen type order, duplicates merged (RFC 2181 §5). */
  const setsOf = (c: number): RRsetInfo[] => {
    const sets: RRsetInfo[] = [];
    for (let k = start[c]!; k < start[c + 1]!; k++) {
      const i = grouped[k]!;
      const type = table.recType[i]!;
      const ttl = table.recTtl[i]!;
      const covered = type === RRType.RRSIG && table.recLen[i]! >= 2 ? (table.rdArena[table.recOff[i]!]! << 8) | table.rdArena[table.recOff[i]! + 1]! : 0;
      const set = getSet(sets, type, covered);
      if (!set) {
        sets.push({ type, idx: [i], keys: null, ttl, ttlDiffers: -1, covered });
        continue;
      }
      if (ttl !== set.ttl) {
        if (set.ttlDiffers < 0) set.ttlDiffers = i;
        if (ttl < set.ttl) set.ttl = ttl;
      }
      set.keys ??= new Set([canonicalKey(type, table.rdata(set.idx[0]!))]);
      const key = canonicalKey(type, table.rdata(i));
      if (set.keys.has(key)) continue;
      set.keys.add(key);
      set.idx.push(i);
    }
    return sets;
  };

  // Apex: exactly one SOA (RFC 1035 §5.2) and an NS RRset (RFC 1034 §4.2.1).
  const apexSets = apex >= 0 && flags[apex]! & F_NODE ? setsOf(apex) : [];
  const soa = getSet(apexSets, RRType.SOA);
  const originText = origin.toText();
  if (!soa) err(-1, `no SOA record at the zone apex ${originText}: expected exactly one`);
  else if (soa.idx.length > 1) err(soa.idx[1]!, `more than one SOA record at the zone apex ${originText}: expected exactly one`);
  if (!getSet(apexSets, RRType.NS)) err(soa ? soa.idx[0]! : -1, `no NS records at the zone apex ${originText}`);
  const soaFirst = soa ? soa.idx[0]! : -1;

  // The nearest DNAME and the topmost zone cut strictly between an owner and the apex.
  let below = -1;
  let dnameAbove = -1;
  const walkAncestors = (c: number): void => {
    below = -1;
    dnameAbove = -1;
    // Most zones have no cuts or DNAMEs below the apex: nothing to walk then.
    if (!anyCutOrDname) return;
    const at = oOff[c]!;
    const end = at + oLen[c]!;
    for (let p = at + arena[at]! + 1; end - p > L; p += arena[p]! + 1) {
      const a = table.findFolded(arena, p, end - p);
      if (a < 0) continue;
      const fa = flags[a]!;
      if (dnameAbove < 0 && fa & F_DNAME) dnameAbove = a;
      if (fa & F_CUT) below = a;
    }
  };

  // A signed zone (its apex SOA has an RRSIG, as the lookup decides too) gets the signed-zone
  // checks; then every owner takes the full path below. A stray RRSIG elsewhere does not count.
  let sec: SignedZoneCheck | null = null;
  if (apex >= 0) {
    for (let k = start[apex]!; k < start[apex + 1]!; k++) {
      const i = grouped[k]!;
      const o = table.recOff[i]!;
      if (table.recType[i] === RRType.RRSIG && table.recLen[i]! >= 2 && ((table.rdArena[o]! << 8) | table.rdArena[o + 1]!) === RRType.SOA) {
        sec = new SignedZoneCheck(origin, table, warn, now);
        break;
      }
    }
  }
  const order = new Uint32Array(grouped.length);
  let out = 0;
  for (let c = 0; c < owners; c++) {
    if (!(flags[c]! & F_NODE)) continue;
    if (c !== apex && sec === null && start[c + 1]! - start[c]! === 1) {
      const i = grouped[start[c]!]!;
      const type = table.recType[i]!;
      if (type !== RRType.SOA && type !== RRType.NS) {
        // Most owners have one record: then only the ancestor rules below can apply; the same checks without RRset objects.
        walkAncestors(c);
        if (dnameAbove >= 0) {
          err(i, `${nameOf(c)} is below the DNAME at ${nameOf(dnameAbove)}: names below a DNAME cannot have data (RFC 6672 §2.3)`);
        } else if (below >= 0 && type !== RRType.A && type !== RRType.AAAA) {
          warn(i, `${nameOf(c)} ${typeToText(type)} is below the delegation at ${nameOf(below)}: occluded, never served`);
        }
        order[out++] = i;
        continue;
      }
    }
    const sets = setsOf(c);
    const nameText = (): string => nameOf(c);
    for (const set of sets) {
      if (set.ttlDiffers >= 0) {
        warn(set.ttlDiffers, `TTLs differ in the ${nameText()} ${typeToText(set.type)} RRset: using the lowest, ${set.ttl} (RFC 2181 §5.2)`);
      }
    }
    if (c !== apex) {
      const s = getSet(sets, RRType.SOA);
      if (s) err(s.idx[0]!, `SOA record at ${nameText()}: expected it only at the zone apex ${originText}`);
    }
    const cname = getSet(sets, RRType.CNAME);
    if (cname) {
      if (cname.idx.length > 1) err(cname.idx[1]!, `more than one CNAME record at ${nameText()} (RFC 2181 §10.1)`);
      for (const set of sets) {
        if (!CNAME_COMPANIONS.has(set.type)) {
          // Reported where the conflict arises: at whichever of the two records was written later.
          err(Math.max(set.idx[0]!, cname.idx[0]!), `CNAME and other data at ${nameText()}: ${typeToText(set.type)} cannot share a name with a CNAME (RFC 2181 §10.1)`);
        }
      }
    }
    const dname = getSet(sets, RRType.DNAME);
    if (dname && dname.idx.length > 1) err(dname.idx[1]!, `more than one DNAME record at ${nameText()} (RFC 6672 §2.4)`);

    // Ancestors between this name and the apex: DNAMEs and zone cuts above it.
    if (c !== apex) {
      walkAncestors(c);
      const firstIdx = sets[0]!.idx[0]!;
      if (dnameAbove >= 0) {
        err(firstIdx, `${nameText()} is below the DNAME at ${nameOf(dnameAbove)}: names below a DNAME cannot have data (RFC 6672 §2.3)`);
      } else if (below >= 0) {
        const nonGlue = sets.filter((t) => t.type !== RRType.A && t.type !== RRType.AAAA);
        if (nonGlue.length > 0) {
          warn(nonGlue[0]!.idx[0]!, `${nameText()} ${nonGlue.map((t) => typeToText(t.type)).join(' ')} is below the delegation at ${nameOf(below)}: occluded, never served`);
        }
      } else if (flags[c]! & F_NS) {
        const other = sets.filter((t) => !AT_CUT.has(t.type));
        if (other.length > 0) {
          warn(other[0]!.idx[0]!, `${nameText()} ${other.map((t) => typeToText(t.type)).join(' ')} at the delegation point: occluded by the NS records, never served`);
        }
      }
    }

    if (sec !== null) sec.owner(c, c === apex, sets, c === apex ? 'auth' : dnameAbove >= 0 || below >= 0 ? 'occluded' : flags[c]! & F_NS ? 'cut' : 'auth');

    // Name servers that live inside this zone need addresses: glue below a cut, or authoritative A/AAAA.
    const ns = getSet(sets, RRType.NS);
    if (ns) {
      const rd = table.rdArena;
      for (const i of ns.idx) {
        const tAt = table.recOff[i]!;
        const tLen = table.recLen[i]!;
        if (tLen < L || !sameFolded(rd, tAt + tLen - L, ow, 0, L)) continue;
        let cut = -1;
        let dn = false;
        const end = tAt + tLen;
        let p = tAt;
        for (; end - p > L; p += rd[p]! + 1) {
          const a = table.findFolded(rd, p, end - p);
          if (a < 0) continue;
          if (flags[a]! & F_CUT) cut = a;
          if (p !== tAt && flags[a]! & F_DNAME) dn = true;
        }
        // The suffix match alone is not a label boundary (a label may contain the octet 0x07): the walk must land on the apex.
        if (end - p !== L) continue;
        if (dn) continue;
        const target = table.findFolded(rd, tAt, tLen);
        const tf = target >= 0 ? flags[target]! : 0;
        const tText = (): string => (target >= 0 && tf & F_NODE ? nameOf(target) : wireText(rd, tAt, tLen));
        if (tf & F_CNAME) {
          err(i, `NS target ${tText()} is a CNAME: expected a name with address records (RFC 2181 §10.3)`);
        } else if (!(tf & F_ADDR)) {
          if (cut >= 0) err(i, `missing glue: NS target ${tText()} is below the delegation at ${nameOf(cut)} but has no A or AAAA record`);
          else err(i, `NS target ${tText()} is in this zone but has no A or AAAA record`);
        }
      }
    }
    for (const set of sets) {
      for (const i of set.idx) {
        table.recTtl[i] = set.ttl;
        order[out++] = i;
      }
    }
  }

  sec?.finish();
  // Per-owner scratch arrays: freed now rather than at the next full collection.
  for (const a of [inZone, start, grouped, flags]) freeBuffer(a);
  found.sort((a, b) => a.i - b.i);
  for (const f of found) {
    const p = table.position(f.i);
    if (f.error) problems.error(p ? p.file : file, p ? p.line : 0, p ? p.col : 0, f.msg);
    else problems.warning(p ? p.file : file, p ? p.line : 0, p ? p.col : 0, f.msg);
  }
  const { errors, warnings } = problems.finish(file);
  if (errors.length > 0) return { errors, warnings, serial: null, order: new Uint32Array(0) };
  const soaRdata = table.rdata(soaFirst);
  const sl = soaRdata.length;
  const serial = readU32(soaRdata, sl - 20);
  return { errors, warnings, serial, order: order.subarray(0, out) };
}

/**
 * Checks a parsed zone and returns the records to serve. Errors reject the whole zone (records
 * empty); warnings keep it. Positions (from the parser) give each problem its file:line:col.
 */
export function checkZone(origin: Name, records: readonly ResourceRecord[], positions?: Positions, file = ''): ZoneLoadResult {
  const table = RecordTable.fromRecords(records, positions ? (i) => positions.get(i) : undefined, file);
  const r = checkTable(origin, table, file);
  if (r.errors.length > 0) return { origin, records: [], errors: r.errors, warnings: r.warnings, serial: null };
  return { origin, records: table.toRecords(r.order), errors: r.errors, warnings: r.warnings, serial: r.serial };
}

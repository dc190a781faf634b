// Owns changes to a zone version: the update transaction, its invariants, the new version it commits and the changeset between versions.
import { RRType, typeToText } from '../wire/constants.ts';
import { Name } from '../wire/name.ts';
import type { ResourceRecord } from '../wire/record.ts';
import { canonicalKey } from '../zone/canonical.ts';
import { compareWire, isBelowOrAt, wireSortKey } from './canonical.ts';
import { columnsFromNodes, coveredOf, NodeFlag, setOrder, Snap, typeFlags } from './columns.ts';
import type { NodeData, SetData } from './columns.ts';
import { keyBytes, keyOf, Zone } from './zone.ts';
import type { ZoneNode } from './zone.ts';

/**
 * What changed from one version to the next, as IXFR carries it (RFC 1995 §4): the old and the
 * new SOA, then the records removed and the records added (SOA excluded from both lists). An
 * RRset whose TTL changed appears as all its old records removed and all its new ones added.
 */
export interface Changeset {
  readonly origin: Name;
  readonly serialFrom: number;
  readonly serialTo: number;
  readonly soaFrom: ResourceRecord | null;
  readonly soaTo: ResourceRecord | null;
  readonly removed: readonly ResourceRecord[];
  readonly added: readonly ResourceRecord[];
}

/** A commit that would break an invariant of the zone; nothing was applied. */
export class ZoneUpdateError extends Error {
  readonly problems: readonly string[];

  constructor(origin: Name, problems: readonly string[]) {
    super(`${origin.toText()}: ${problems[0] ?? 'invalid update'}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}`);
    this.name = 'ZoneUpdateError';
    this.problems = problems;
  }
}

export interface CommitResult {
  readonly zone: Zone;
  readonly changeset: Changeset;
}

export interface CommitOptions {
  /** Reject NS RRsets whose in-zone targets have no address records (as zone files are checked). Default true. */
  readonly checkGlue?: boolean;
}

interface EditSet {
  type: number;
  ttl: number;
  rdatas: Uint8Array[];
  keys: string[];
}

interface Edit {
  readonly owner: Name;
  readonly sets: Map<number, EditSet>;
}

/** RFC 1982 serial arithmetic: the serial after `s`. */
export function nextSerial(s: number): number {
  return (s + 1) >>> 0;
}

/** A copy of SOA RDATA with another SERIAL (the five 32-bit fields end the RDATA, RFC 1035 §3.3.13). */
export function soaWithSerial(rdata: Uint8Array, serial: number): Uint8Array {
  const out = Uint8Array.from(rdata);
  const at = out.length - 20;
  out[at] = serial >>> 24;
  out[at + 1] = (serial >>> 16) & 0xff;
  out[at + 2] = (serial >>> 8) & 0xff;
  out[at + 3] = serial & 0xff;
  return out;
}

const CNAME_COMPANIONS = new Set<number>([RRType.CNAME, RRType.RRSIG, RRType.NSEC]);
const SINGLETONS = new Set<number>([RRType.SOA, RRType.CNAME, RRType.DNAME]);

export function recordsOf(owner: Name, sets: readonly SetData[]): ResourceRecord[] {
  const out: ResourceRecord[] = [];
  for (const s of sets) for (const r of s.rdatas) if (s.type !== RRType.SOA) out.push({ name: owner, type: s.type, class: 1, ttl: s.ttl, rdata: Uint8Array.from(r) });
  return out;
}

function recordKey(type: number, ttl: number, rdata: Uint8Array): string {
  return `${type}/${ttl}/${canonicalKey(type, rdata)}`;
}

/** Records of `a` not in `b` (by type, TTL and canonical RDATA), SOA excluded. */
function minus(owner: Name, a: readonly SetData[], b: readonly SetData[]): ResourceRecord[] {
  const have = new Set<string>();
  for (const s of b) for (const r of s.rdatas) have.add(recordKey(s.type, s.ttl, r));
  const out: ResourceRecord[] = [];
  for (const s of a) {
    if (s.type === RRType.SOA) continue;
    for (const r of s.rdatas) if (!have.has(recordKey(s.type, s.ttl, r))) out.push({ name: owner, type: s.type, class: 1, ttl: s.ttl, rdata: Uint8Array.from(r) });
  }
  return out;
}

function soaRecord(zone: Zone): ResourceRecord | null {
  const soa = zone.soa;
  return soa ? { name: zone.origin, type: RRType.SOA, class: 1, ttl: soa.ttl, rdata: Uint8Array.from(soa.first()) } : null;
}

/**
 * One change to a zone version: add, remove and replace records, then commit() a new immutable
 * version that shares every unchanged node with this one. The checks that zone files get
 * (zone/check.ts) hold for every commit: one SOA at the apex and only there, apex NS, CNAME and
 * other data (RFC 1034 §3.6.2, RFC 2181 §10.1), singleton CNAME/DNAME, no data below a DNAME
 * (RFC 6672 §2.4), names inside the zone, and glue for in-zone NS targets; a failing commit
 * throws ZoneUpdateError and changes nothing.
 */
export class ZoneUpdate {
  readonly #zone: Zone;
  readonly #edits = new Map<string, Edit>();

  constructor(zone: Zone) {
    this.#zone = zone;
  }

  get zone(): Zone {
    return this.#zone;
  }

  /** True when nothing was changed yet. */
  get empty(): boolean {
    return this.#edits.size === 0;
  }

  #edit(owner: Name): Edit {
    const key = owner.key;
    let e = this.#edits.get(key);
    if (e) return e;
    const node = this.#zone.node(key);
    const sets = new Map<number, EditSet>();
    if (node) {
      for (const s of node.data().sets) {
        const rdatas = [...s.rdatas];
        sets.set(setOrder(s.type, coveredOf(s.type, rdatas[0] ?? new Uint8Array(0))), { type: s.type, ttl: s.ttl, rdatas, keys: rdatas.map((r) => canonicalKey(s.type, r)) });
      }
    }
    e = { owner: node ? node.owner : owner, sets };
    this.#edits.set(key, e);
    return e;
  }

  /**
   * Adds a record. A duplicate (same canonical RDATA) is ignored; a record whose TTL differs from
   * its RRset's sets the TTL of the whole RRset (an RRset has one TTL, RFC 2181 §5.2).
   */
  add(rr: ResourceRecord): this {
    const e = this.#edit(rr.name);
    const k = setOrder(rr.type, coveredOf(rr.type, rr.rdata));
    let s = e.sets.get(k);
    if (!s) {
      s = { type: rr.type, ttl: rr.ttl, rdatas: [], keys: [] };
      e.sets.set(k, s);
    }
    s.ttl = rr.ttl;
    const key = canonicalKey(rr.type, rr.rdata);
    if (!s.keys.includes(key)) {
      s.rdatas.push(Uint8Array.from(rr.rdata));
      s.keys.push(key);
    }
    return this;
  }

  /** Removes one record (matched by canonical RDATA; the TTL is ignored). Absent records are ignored. */
  remove(rr: ResourceRecord): this {
    const e = this.#edit(rr.name);
    const k = setOrder(rr.type, coveredOf(rr.type, rr.rdata));
    const s = e.sets.get(k);
    if (!s) return this;
    const i = s.keys.indexOf(canonicalKey(rr.type, rr.rdata));
    if (i >= 0) {
      s.keys.splice(i, 1);
      s.rdatas.splice(i, 1);
    }
    if (s.rdatas.length === 0) e.sets.delete(k);
    return this;
  }

  /** Removes the RRset of `type` at `owner` (for RRSIG: every signature there). */
  removeRRset(owner: Name, type: number): this {
    const e = this.#edit(owner);
    for (const [k, s] of e.sets) if (s.type === type) e.sets.delete(k);
    return this;
  }

  /** Replaces the RRset of `type` at `owner` (empty `rdatas` removes it). */
  replaceRRset(owner: Name, type: number, ttl: number, rdatas: readonly Uint8Array[]): this {
    this.removeRRset(owner, type);
    for (const rdata of rdatas) this.add({ name: owner, type, class: 1, ttl, rdata });
    return this;
  }

  /** Removes every RRset at `owner`. */
  removeName(owner: Name): this {
    this.#edit(owner).sets.clear();
    return this;
  }

  /** Sets the SOA SERIAL (keeping the rest of the SOA); throws when the zone has no SOA. */
  setSerial(serial: number): this {
    const e = this.#edit(this.#zone.origin);
    const s = e.sets.get(setOrder(RRType.SOA, 0));
    const first = s?.rdatas[0];
    if (!s || !first) throw new ZoneUpdateError(this.#zone.origin, ['no SOA record at the zone apex']);
    const rdata = soaWithSerial(first, serial);
    s.rdatas = [rdata];
    s.keys = [canonicalKey(RRType.SOA, rdata)];
    return this;
  }

  /** The SOA SERIAL as this update would commit it. */
  get serial(): number {
    const first = this.#edits.get(this.#zone.origin.key)?.sets.get(setOrder(RRType.SOA, 0))?.rdatas[0];
    if (!first || first.length < 20) return this.#zone.serial;
    const at = first.length - 20;
    return ((first[at]! << 24) | (first[at + 1]! << 16) | (first[at + 2]! << 8) | first[at + 3]!) >>> 0;
  }

  /** Applies the changes: a new version and the changeset, or ZoneUpdateError with every broken rule. */
  commit(opts: CommitOptions = {}): CommitResult {
    const zone = this.#zone;
    const origin = zone.origin;
    const problems: string[] = [];
    /** key -> new content (null: the name is gone in the new version). */
    const pending = new Map<string, NodeData | null>();
    const text = (n: Name): string => n.toText();

    for (const [key, e] of this.#edits) {
      if (!e.owner.isSubdomainOf(origin)) {
        problems.push(`${text(e.owner)} is outside the zone ${text(origin)}`);
        continue;
      }
      const sets = [...e.sets.entries()].sort((a, b) => a[0] - b[0]).map(([, s]) => ({ type: s.type, ttl: s.ttl, rdatas: s.rdatas }));
      const apex = key === origin.key;
      const types = new Set(sets.map((s) => s.type));
      for (const s of sets) {
        if (SINGLETONS.has(s.type) && s.rdatas.length > 1) problems.push(`more than one ${typeToText(s.type)} record at ${text(e.owner)}`);
        if (s.type === RRType.SOA && !apex) problems.push(`SOA record at ${text(e.owner)}: only the zone apex may have one`);
      }
      if (apex && !types.has(RRType.SOA)) problems.push(`no SOA record at the zone apex ${text(origin)}`);
      if (apex && !types.has(RRType.NS)) problems.push(`no NS records at the zone apex ${text(origin)}`);
      if (types.has(RRType.CNAME)) {
        const other = [...types].find((t) => !CNAME_COMPANIONS.has(t));
        if (other !== undefined) problems.push(`${text(e.owner)} has a CNAME and other data (${typeToText(other)}) (RFC 1034 §3.6.2)`);
        if (apex) problems.push(`CNAME at the zone apex ${text(origin)}`);
      }
      let flags = apex ? NodeFlag.APEX : 0;
      for (const s of sets) flags |= typeFlags(s.type, apex);
      if (sets.length === 0) flags |= NodeFlag.ENT;
      pending.set(key, { owner: e.owner.wire, flags, sets });
    }
    if (problems.length > 0) throw new ZoneUpdateError(origin, problems);

    const current = (key: string): NodeData | null => {
      if (pending.has(key)) return pending.get(key)!;
      const n = zone.node(key);
      return n ? n.data() : null;
    };
    const hasDescendant = (w: Uint8Array): boolean => {
      // The first live name after w in the new version is a descendant iff any is (canonical order, RFC 4034 §6.1).
      let first: Uint8Array | null = null;
      let probe: ZoneNode | undefined = zone.successor(Name.fromWire(w));
      while (probe) {
        const pw = probe.snap.ownerWire(probe.index);
        if (pending.get(keyOf(pw)) !== null) {
          first = pw;
          break;
        }
        probe = zone.successor(Name.fromWire(pw));
      }
      for (const [, d] of pending) {
        if (d === null || compareWire(d.owner, 0, d.owner.length, w, 0, w.length) <= 0) continue;
        if (first === null || compareWire(d.owner, 0, d.owner.length, first, 0, first.length) < 0) first = d.owner;
      }
      return first !== null && isBelowOrAt(first, w);
    };

    // Empty non-terminals for new names (RFC 4592 §2.2.2), and names that lost their last RRset.
    const edited = [...pending.entries()].sort((a, b) => b[0].length - a[0].length);
    for (const [key, d] of edited) {
      if (d === null) continue;
      const owner = Name.fromWire(d.owner);
      if (d.sets.length > 0) {
        if (owner.labelCount <= origin.labelCount) continue;
        for (let anc = owner.parent(); anc.labelCount > origin.labelCount; anc = anc.parent()) {
          if (current(anc.key) === null) pending.set(anc.key, { owner: anc.wire, flags: NodeFlag.ENT, sets: [] });
        }
        continue;
      }
      if (key === origin.key) continue;
      // Emptied: an empty non-terminal while it has descendants, otherwise gone, and so on upwards.
      let at: Name = owner;
      while (at.labelCount > origin.labelCount) {
        const c = current(at.key);
        if (c === null || c.sets.length > 0) break;
        if (hasDescendant(at.wire)) {
          pending.set(at.key, { owner: c.owner, flags: NodeFlag.ENT, sets: [] });
          break;
        }
        pending.set(at.key, null);
        at = at.parent();
      }
    }

    // Rules across names: nothing below a DNAME, glue for in-zone NS targets.
    const below = (key: string, wire: Uint8Array): { dname: string | null; cut: Name | null } => {
      let dname: string | null = null;
      let cut: Name | null = null;
      const self = Name.fromWire(wire);
      for (let up = 1; self.labelCount - up >= origin.labelCount; up++) {
        const anc = self.parent(up);
        const c = current(anc.key);
        if (!c || anc.key === key) continue;
        if (c.flags & NodeFlag.DNAME) dname = anc.toText();
        if (c.flags & NodeFlag.DELEGATION) cut = anc;
      }
      return { dname, cut };
    };
    const cutsToCheck = new Map<string, Name>();
    for (const [key, d] of pending) {
      if (d === null || d.sets.length === 0) {
        // A name that lost its data may have been glue: the cut above it is checked again.
        const cut = below(key, d ? d.owner : keyBytes(key)).cut;
        if (cut) cutsToCheck.set(cut.key, cut);
        continue;
      }
      const { dname, cut } = below(key, d.owner);
      if (dname !== null) problems.push(`${text(Name.fromWire(d.owner))} is below the DNAME at ${dname} (RFC 6672 §2.4)`);
      if (d.flags & NodeFlag.DNAME && hasDescendant(d.owner)) problems.push(`${text(Name.fromWire(d.owner))} has a DNAME and names below it (RFC 6672 §2.4)`);
      if (d.sets.some((s) => s.type === RRType.NS)) cutsToCheck.set(key, Name.fromWire(d.owner));
      if (cut) cutsToCheck.set(cut.key, cut);
    }
    if (opts.checkGlue !== false) {
      for (const [key, cut] of cutsToCheck) {
        const ns = current(key)?.sets.find((s) => s.type === RRType.NS);
        if (!ns) continue;
        const atApex = key === origin.key;
        for (const r of ns.rdatas) {
          const target = Name.fromWire(r);
          if (!target.isSubdomainOf(origin)) continue;
          const t = current(target.key);
          const types = new Set(t?.sets.map((s) => s.type) ?? []);
          if (types.has(RRType.CNAME)) problems.push(`NS target ${text(target)} is a CNAME: expected a name with address records (RFC 2181 §10.3)`);
          else if (!types.has(RRType.A) && !types.has(RRType.AAAA)) {
            if (!atApex && target.isSubdomainOf(cut)) problems.push(`missing glue: NS target ${text(target)} is below the delegation at ${text(cut)} but has no A or AAAA record`);
            else if (atApex) problems.push(`NS target ${text(target)} is in this zone but has no A or AAAA record`);
          }
        }
      }
    }
    if (problems.length > 0) throw new ZoneUpdateError(origin, problems);

    // The changeset: per edited name, records removed and added.
    const removed: ResourceRecord[] = [];
    const added: ResourceRecord[] = [];
    let recordDelta = 0;
    for (const [key, d] of pending) {
      const old = zone.node(key);
      const oldSets = old ? old.data().sets : [];
      const newSets = d ? d.sets : [];
      const owner = d ? Name.fromWire(d.owner) : old ? old.owner : Name.fromWire(new Uint8Array([0]));
      const r = minus(owner, oldSets, newSets);
      const a = minus(owner, newSets, oldSets);
      removed.push(...r);
      added.push(...a);
      recordDelta += a.length - r.length;
    }

    // The new change layer: the old one with the pending nodes laid over it.
    const layer = new Map<string, NodeData>();
    const d0 = zone.delta;
    if (d0) for (let j = 0; j < d0.rows; j++) layer.set(keyOf(d0.ownerWire(j)), d0.nodeData(j));
    for (const [key, d] of pending) {
      if (d !== null) layer.set(key, d);
      else if (zone.base.find(key) >= 0) layer.set(key, { owner: layer.get(key)?.owner ?? zone.base.ownerWire(zone.base.find(key)), flags: NodeFlag.GONE, sets: [] });
      else layer.delete(key);
    }
    const rows = [...layer.values()].map((n) => ({ n, k: wireSortKey(n.owner, 0, n.owner.length) }));
    rows.sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0));
    const seed = zone.base.seed;
    const delta = new Snap(columnsFromNodes(rows.map((r) => r.n), seed), seed);
    const next = Zone.fromParts(origin, zone.base, delta, zone.recordCount + recordDelta);
    const changeset: Changeset = {
      origin,
      serialFrom: zone.serial,
      serialTo: next.serial,
      soaFrom: soaRecord(zone),
      soaTo: soaRecord(next),
      removed,
      added,
    };
    return { zone: next, changeset };
  }
}

/**
 * The changeset that turns version `a` into version `b` of the same zone (a reload's IXFR). When
 * both share a base only the names of their change layers are compared; otherwise both are walked
 * once in canonical order (O(zone); run it off the query path).
 */
export function diffZones(a: Zone, b: Zone): Changeset;
export function diffZones(a: Zone, b: Zone, maxRecords: number): Changeset | null;
export function diffZones(a: Zone, b: Zone, maxRecords = Infinity): Changeset | null {
  const removed: ResourceRecord[] = [];
  const added: ResourceRecord[] = [];
  // Past maxRecords the walk stops: a history that cannot keep the changeset should not pay for it.
  let over = false;
  const compare = (owner: Name, x: readonly SetData[], y: readonly SetData[]): void => {
    if (over) return;
    removed.push(...minus(owner, x, y));
    added.push(...minus(owner, y, x));
    if (removed.length + added.length > maxRecords) over = true;
  };
  if (a.base === b.base || a.base.c === b.base.c) {
    const keys = new Set<string>();
    for (const z of [a, b]) {
      const d = z.delta;
      if (d) for (let j = 0; j < d.rows; j++) keys.add(keyOf(d.ownerWire(j)));
    }
    const sorted = [...keys].map((k) => ({ k, s: wireSortKey(Uint8Array.from(k, (c) => c.charCodeAt(0)), 0, k.length) })).sort((x, y) => (x.s < y.s ? -1 : x.s > y.s ? 1 : 0));
    for (const { k } of sorted) {
      if (over) break;
      const x = a.node(k);
      const y = b.node(k);
      const owner = (y ?? x)?.owner;
      if (owner) compare(owner, x ? x.data().sets : [], y ? y.data().sets : []);
    }
  } else {
    const ia = a.nodes();
    const ib = b.nodes();
    let x = ia.next();
    let y = ib.next();
    while ((!x.done || !y.done) && !over) {
      let cmp: number;
      if (x.done) cmp = 1;
      else if (y.done) cmp = -1;
      else {
        const xw = x.value.snap.ownerWire(x.value.index);
        const yw = y.value.snap.ownerWire(y.value.index);
        cmp = compareWire(xw, 0, xw.length, yw, 0, yw.length);
      }
      if (cmp < 0 && !x.done) {
        compare(x.value.owner, x.value.data().sets, []);
        x = ia.next();
      } else if (cmp > 0 && !y.done) {
        compare(y.value.owner, [], y.value.data().sets);
        y = ib.next();
      } else if (!x.done && !y.done) {
        compare(y.value.owner, x.value.data().sets, y.value.data().sets);
        x = ia.next();
        y = ib.next();
      }
    }
  }
  if (over) return null;
  return { origin: b.origin, serialFrom: a.serial, serialTo: b.serial, soaFrom: soaRecord(a), soaTo: soaRecord(b), removed, added };
}

/** Starts an update of `zone`. */
export function updateZone(zone: Zone): ZoneUpdate {
  return new ZoneUpdate(zone);
}

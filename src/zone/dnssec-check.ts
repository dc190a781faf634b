// Owns the signed-zone checks (warnings): RRSIGs for authoritative RRsets and their validity window, the NSEC/NSEC3 chain complete and ordered, NSEC3PARAM at the apex.
import { RRType, typeToText } from '../wire/constants.ts';
import { Name } from '../wire/name.ts';
import { base32hex, nsec3Hash } from '../wire/nsec3hash.ts';
import type { RecordTable } from './table.ts';

/** The part of an owner's RRset the checks need (check.ts's RRsetInfo). */
export interface SetView {
  readonly type: number;
  readonly idx: readonly number[];
  readonly covered: number;
}

/** Where an owner stands: authoritative data, a zone cut (only DS and NSEC are signed there, RFC 4035 §2.2), or occluded/glue. */
export type OwnerState = 'auth' | 'cut' | 'occluded';

interface OwnerFact {
  readonly name: Name;
  readonly first: number;
  readonly nsec: number; // record index of the NSEC, -1 when none
  readonly cutWithoutDs: boolean;
  readonly onlyNsec3: boolean;
}

function u32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

/** YYYYMMDDHHmmSS of an RRSIG time (RFC 4034 §3.2). */
function timeText(t: number): string {
  return new Date(t * 1000).toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

/** RFC 4034 §3.1.5: signature times compare in serial number arithmetic (RFC 1982). */
function before(a: number, b: number): boolean {
  const d = (b - a) >>> 0;
  return d !== 0 && d < 0x80000000;
}

/**
 * Collects facts owner by owner while check.ts walks the zone, then checks the chains. Only made
 * for zones that carry DNSSEC records, so unsigned zones pay nothing. Every finding is a warning:
 * a validator will reject the data, but serving it is still what the operator asked for.
 */
export class SignedZoneCheck {
  readonly #origin: Name;
  readonly #table: RecordTable;
  readonly #warn: (i: number, msg: string) => void;
  readonly #now: number;
  readonly #owners: OwnerFact[] = [];
  readonly #nsec3: { hash: string; next: string; i: number; optOut: boolean }[] = [];
  #nsec3param: Uint8Array | null = null;
  #apexFirst = -1;

  constructor(origin: Name, table: RecordTable, warn: (i: number, msg: string) => void, now: number) {
    this.#origin = origin;
    this.#table = table;
    this.#warn = warn;
    this.#now = now >>> 0;
  }

  owner(c: number, apex: boolean, sets: readonly SetView[], state: OwnerState): void {
    const t = this.#table;
    const name = t.ownerName(c);
    if (apex) {
      this.#apexFirst = sets[0]?.idx[0] ?? -1;
      const p = sets.find((s) => s.type === RRType.NSEC3PARAM);
      if (p) this.#nsec3param = t.rdata(p.idx[0]!);
    }
    if (state === 'occluded') return;
    const text = name.toText();
    for (const s of sets) {
      if (s.type === RRType.RRSIG) {
        for (const i of s.idx) {
          const r = t.rdata(i);
          if (r.length < 18) continue;
          const exp = u32(r, 8);
          const inc = u32(r, 12);
          if (before(exp, this.#now)) this.#warn(i, `${text} RRSIG ${typeToText(s.covered)} expired at ${timeText(exp)} (RFC 4034 §3.1.5): validators will reject it`);
          else if (before(this.#now, inc)) this.#warn(i, `${text} RRSIG ${typeToText(s.covered)} is not valid before ${timeText(inc)} (RFC 4034 §3.1.5): validators will reject it`);
        }
        continue;
      }
      // At a cut only DS and NSEC belong to the parent and are signed (RFC 4035 §2.2).
      if (state === 'cut' && s.type !== RRType.DS && s.type !== RRType.NSEC) continue;
      if (!sets.some((x) => x.type === RRType.RRSIG && x.covered === s.type)) this.#warn(s.idx[0]!, `${text} ${typeToText(s.type)} has no RRSIG in a signed zone (RFC 4035 §2.2)`);
    }
    const nsec = sets.find((s) => s.type === RRType.NSEC);
    const nsec3 = sets.find((s) => s.type === RRType.NSEC3);
    if (nsec3 && name.labelCount === this.#origin.labelCount + 1) {
      for (const i of nsec3.idx) {
        const r = t.rdata(i);
        const saltLen = r[4] ?? 0;
        const hashLen = r[5 + saltLen] ?? 0;
        const next = r.subarray(6 + saltLen, 6 + saltLen + hashLen);
        this.#nsec3.push({ hash: new TextDecoder('latin1').decode(name.label(0)).toLowerCase(), next: base32hex(next), i, optOut: ((r[1] ?? 0) & 1) === 1 });
      }
    }
    const onlyNsec3 = sets.every((s) => s.type === RRType.NSEC3 || s.type === RRType.RRSIG);
    this.#owners.push({ name, first: sets[0]?.idx[0] ?? -1, nsec: nsec ? nsec.idx[0]! : -1, cutWithoutDs: state === 'cut' && !sets.some((s) => s.type === RRType.DS), onlyNsec3 });
  }

  finish(): void {
    const owners = this.#owners;
    const hasNsec = owners.some((o) => o.nsec >= 0);
    if (this.#nsec3.length > 0) this.#finishNsec3();
    else if (hasNsec) this.#finishNsec();
    else this.#warn(this.#apexFirst, `${this.#origin.toText()} is signed but has no NSEC or NSEC3 chain: validators cannot accept any negative answer (RFC 4035 §2.3)`);
  }

  /** RFC 4034 §4.1.1: every authoritative name and delegation has an NSEC naming the next one in canonical order; the last names the apex. */
  #finishNsec(): void {
    const t = this.#table;
    const owners = this.#owners.slice().sort((a, b) => Name.compare(a.name, b.name));
    const chain = owners.filter((o) => o.nsec >= 0);
    for (const o of owners) if (o.nsec < 0) this.#warn(o.first, `${o.name.toText()} has no NSEC: the NSEC chain is incomplete (RFC 4035 §2.3)`);
    for (let k = 0; k < chain.length; k++) {
      const o = chain[k]!;
      const want = k + 1 < chain.length ? chain[k + 1]!.name : this.#origin;
      let next: Name;
      try {
        next = Name.fromWire(nameWire(t.rdata(o.nsec)));
      } catch {
        continue;
      }
      if (next.key !== want.key) this.#warn(o.nsec, `${o.name.toText()} NSEC points to ${next.toText()}, but the next name in canonical order is ${want.toText()} (RFC 4034 §4.1.1)`);
    }
  }

  /** RFC 5155 §7.1: NSEC3PARAM at the apex, the hashed owners in one ordered cycle, and an NSEC3 for every name that needs one. */
  #finishNsec3(): void {
    const p = this.#nsec3param;
    if (!p) {
      this.#warn(this.#nsec3[0]!.i, `${this.#origin.toText()} has NSEC3 records but no NSEC3PARAM at the apex (RFC 5155 §7.1)`);
      return;
    }
    const salt = p.subarray(5, 5 + (p[4] ?? 0));
    const iterations = ((p[2] ?? 0) << 8) | (p[3] ?? 0);
    const chain = this.#nsec3.slice().sort((a, b) => (a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0));
    for (let k = 0; k < chain.length; k++) {
      const want = chain[(k + 1) % chain.length]!.hash;
      if (chain[k]!.next !== want) this.#warn(chain[k]!.i, `NSEC3 ${chain[k]!.hash} points to ${chain[k]!.next}, but the next hash in the chain is ${want} (RFC 5155 §3.1.7)`);
    }
    const hashes = new Set(chain.map((c) => c.hash));
    const optOut = chain.some((c) => c.optOut);
    for (const o of this.#owners) {
      if (o.onlyNsec3 || (optOut && o.cutWithoutDs)) continue;
      if (!hashes.has(base32hex(nsec3Hash(o.name, salt, iterations)))) this.#warn(o.first, `${o.name.toText()} has no NSEC3: the NSEC3 chain is incomplete (RFC 5155 §7.1)`);
    }
  }
}

/** The uncompressed name at the start of RDATA (NSEC next domain name, RFC 4034 §4.1.1). */
function nameWire(r: Uint8Array): Uint8Array {
  let p = 0;
  while (p < r.length && r[p] !== 0) p += r[p]! + 1;
  return r.subarray(0, p + 1);
}

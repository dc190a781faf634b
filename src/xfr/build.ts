// Owns turning the messages of a received transfer into a zone version (AXFR: the whole zone through the zone-file checks; IXFR: the changes applied to the served version) and the master file text of a version.
import { diffZones, HISTORY_DEFAULTS, loadZoneIntoStore, updateZone, ZoneUpdateError } from '../store/index.ts';
import type { Changeset, Zone } from '../store/index.ts';
import { RRType } from '../wire/constants.ts';
import { decodeMessage } from '../wire/message.ts';
import type { Name } from '../wire/name.ts';
import type { ResourceRecord } from '../wire/record.ts';
import { recordToText } from '../wire/registry.ts';
import { formatProblem } from '../zone/index.ts';

/** The messages of a zone transfer as received (client.ts checked them), for the loader thread to build. */
export interface TransferData {
  readonly kind: 'axfr' | 'ixfr';
  readonly messages: readonly Uint8Array[];
  readonly maxRecords: number;
  /** Where the transfer came from, for problem messages. */
  readonly source: string;
}

export interface TransferBuild {
  readonly zone: Zone;
  /** From the previous version to this one; null without a previous version or when too large to keep. */
  readonly changeset: Changeset | null;
  readonly warnings: readonly string[];
  /** AXFR: the zone as master-file text (what was parsed), to persist as is; null for IXFR. */
  readonly text: string | null;
}

const MAX_PROBLEMS = 100;

function soaSerial(rdata: Uint8Array): number {
  const at = rdata.length - 20;
  return ((rdata[at]! << 24) | (rdata[at + 1]! << 16) | (rdata[at + 2]! << 8) | rdata[at + 3]!) >>> 0;
}

function answers(messages: readonly Uint8Array[]): ResourceRecord[] {
  const out: ResourceRecord[] = [];
  for (const m of messages) for (const rr of decodeMessage(m).answers) out.push(rr);
  return out;
}

/**
 * AXFR (RFC 5936 §2.2: the SOA first and last, the last the same record again): the records as
 * master-file text, parsed by the zone-file path (the same checks as a zone file, and its compact
 * table rather than one object per record); the text is what the copy on disk holds.
 */
function buildAxfr(origin: Name, messages: readonly Uint8Array[], previous: Zone | null, maxRecords: number, source: string): TransferBuild {
  const parts: string[] = [`; ${origin.toText()} transferred by dunlin (${source})\n`];
  let count = 0;
  let first: ResourceRecord | null = null;
  let last: ResourceRecord | null = null;
  for (let m = 0; m < messages.length; m++) {
    const rrs = decodeMessage(messages[m]!).answers;
    let chunk = '';
    for (let i = 0; i < rrs.length; i++) {
      const rr = rrs[i]!;
      first ??= rr;
      last = rr;
      // The closing SOA repeats the first: not part of the zone.
      if (m === messages.length - 1 && i === rrs.length - 1) break;
      chunk += recordToText(rr) + '\n';
      if (++count > maxRecords) throw new Error(`zone has more than xfr.max_records (${maxRecords}) records`);
    }
    parts.push(chunk);
  }
  const isSoa = (rr: ResourceRecord | null): boolean => rr !== null && rr.type === RRType.SOA && rr.name.equals(origin);
  if (count < 1 || !isSoa(first) || !isSoa(last)) throw new Error('transfer does not begin and end with the SOA');
  const text = parts.join('');
  const r = loadZoneIntoStore(source, origin, { readFile: () => text });
  if (r.zone === null) throw new Error(r.errors.slice(0, 1).map(formatProblem)[0] ?? 'the transferred zone does not pass the zone checks');
  const changeset = previous ? diffZones(previous, r.zone, HISTORY_DEFAULTS.maxRecords) : null;
  return { zone: r.zone, changeset, warnings: r.warnings.slice(0, MAX_PROBLEMS).map(formatProblem), text };
}

/**
 * Builds the version a transfer describes, or throws an Error naming the problem (the served
 * version is never touched: a failed build is simply dropped).
 */
export function buildTransfer(origin: Name, kind: 'axfr' | 'ixfr', messages: readonly Uint8Array[], previous: Zone | null, maxRecords: number, source: string): TransferBuild {
  if (kind === 'axfr') return buildAxfr(origin, messages, previous, maxRecords, source);
  const rrs = answers(messages);
  const isSoa = (rr: ResourceRecord): boolean => rr.type === RRType.SOA && rr.name.equals(origin);
  if (rrs.length < 2 || !isSoa(rrs[0]!) || !isSoa(rrs.at(-1)!)) throw new Error('transfer does not begin and end with the SOA');
  if (previous === null) throw new Error('incremental transfer without a version to apply it to');
  // RFC 1995 §4: SOA(new), then per change: SOA(old) removed... SOA(new) added..., and SOA(new) last.
  const newSoa = rrs[0]!;
  const newSerial = soaSerial(newSoa.rdata);
  const u = updateZone(previous);
  let expect = previous.serial;
  let section: 'del' | 'add' | null = null;
  for (let i = 1; i < rrs.length - 1; i++) {
    const rr = rrs[i]!;
    if (isSoa(rr)) {
      const s = soaSerial(rr.rdata);
      if (section === null || section === 'add') {
        // The start of a change: its old serial continues the chain (RFC 1995 §4).
        if (s !== expect) throw new Error(`IXFR change from serial ${s} does not continue serial ${expect}`);
        section = 'del';
      } else {
        expect = s;
        section = 'add';
      }
      continue;
    }
    if (section === 'del') u.remove(rr);
    else if (section === 'add') u.add(rr);
    else throw new Error('IXFR record outside a change');
  }
  if (section !== 'add' || expect !== newSerial) throw new Error(`IXFR ends at serial ${expect}, not at ${newSerial}`);
  u.replaceRRset(origin, RRType.SOA, newSoa.ttl, [newSoa.rdata]);
  try {
    const { zone, changeset } = u.commit();
    if (zone.recordCount > maxRecords) throw new Error(`zone has ${zone.recordCount} records, over xfr.max_records (${maxRecords})`);
    return { zone, changeset, warnings: [], text: null };
  } catch (err) {
    if (err instanceof ZoneUpdateError) throw new Error(`IXFR result fails the zone checks: ${err.message}`);
    throw err;
  }
}

/** The version as master-file lines (RFC 1035 §5), SOA first, absolute names, in chunks of about `chunk` characters. */
export function* zoneText(zone: Zone, chunk = 1 << 20): Generator<string> {
  let out = `; ${zone.origin.toText()} serial ${zone.serial}, written by dunlin after a zone transfer\n`;
  const soa = zone.soa;
  if (soa) out += recordToText({ name: zone.origin, type: RRType.SOA, class: 1, ttl: soa.ttl, rdata: soa.first() }) + '\n';
  for (const rr of zone.records()) {
    if (rr.type === RRType.SOA && rr.name.equals(zone.origin)) continue;
    out += recordToText(rr) + '\n';
    if (out.length >= chunk) {
      yield out;
      out = '';
    }
  }
  if (out.length > 0) yield out;
}

// Owns the canonical presentation of a zone: one absolute record per line, RFC 4034 §6.1 order, SOA first.
import { RRType } from '../wire/constants.ts';
import type { Name } from '../wire/name.ts';
import type { ResourceRecord } from '../wire/record.ts';
import { recordToText } from '../wire/registry.ts';
import { canonicalKey, nameSortKey } from './canonical.ts';

/**
 * Records in canonical order: owner by canonical name order (RFC 4034 §6.1), the SOA first at the
 * apex, then type number, then canonical RDATA octets (RFC 4034 §6.3). Returns a new array.
 */
export function sortRecords(records: readonly ResourceRecord[], origin?: Name): ResourceRecord[] {
  const keyed = records.map((rr) => ({
    rr,
    owner: nameSortKey(rr.name.key),
    // SOA sorts before every type at the apex only; elsewhere an SOA is an error caught by checkZone.
    type: rr.type === RRType.SOA && (!origin || rr.name.key === origin.key) ? -1 : rr.type,
    rdata: canonicalKey(rr.type, rr.rdata),
  }));
  keyed.sort((a, b) => {
    if (a.owner !== b.owner) return a.owner < b.owner ? -1 : 1;
    if (a.type !== b.type) return a.type - b.type;
    return a.rdata < b.rdata ? -1 : a.rdata > b.rdata ? 1 : 0;
  });
  return keyed.map((k) => k.rr);
}

/** The zone as text, one `owner TTL class type rdata` line per record, in canonical order. */
export function printZone(records: readonly ResourceRecord[], origin?: Name): string {
  const sorted = sortRecords(records, origin);
  const lines: string[] = new Array<string>(sorted.length);
  for (let i = 0; i < sorted.length; i++) lines[i] = recordToText(sorted[i]!);
  return lines.length ? lines.join('\n') + '\n' : '';
}

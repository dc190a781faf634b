// Owns building test zones from inline master-file text through the real zone parser (src/zone).
import { Name } from '../../src/wire/name.ts';
import type { ResourceRecord } from '../../src/wire/record.ts';
import { parseZoneText } from '../../src/zone/index.ts';
import { buildZone } from '../../src/store/zone.ts';
import type { Zone } from '../../src/store/zone.ts';

/** Parses master-file text; throws with the parser's messages on any error. */
export function recordsFromText(text: string, originText: string): ResourceRecord[] {
  const origin = Name.fromText(originText);
  const withTtl = /^\$TTL/m.test(text) ? text : `$TTL 3600\n${text}`;
  const r = parseZoneText(withTtl, { origin, file: `<${originText}>` });
  if (r.errors.length > 0) throw new Error(r.errors.map((e) => `${e.line}:${e.col}: ${e.message}`).join('\n'));
  return r.records;
}

export function zoneFromText(text: string, origin: string): Zone {
  return buildZone(Name.fromText(origin), recordsFromText(text, origin));
}

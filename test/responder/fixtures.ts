// Owns loading the shared lookup fixtures (test/fixtures/diff) through the real zone loader for responder tests.
import { join } from 'node:path';
import { loadZoneFile } from '../../src/zone/index.ts';
import { Name } from '../../src/wire/name.ts';
import { buildZone, ZoneSet } from '../../src/store/index.ts';
import type { Zone } from '../../src/store/index.ts';

export const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'diff');

export function loadFixture(origin: string): Zone {
  const o = Name.fromText(origin.endsWith('.') ? origin : `${origin}.`);
  const r = loadZoneFile(join(FIXTURES, `${origin.replace(/\.$/, '')}.zone`), o);
  if (r.errors.length > 0) throw new Error(`fixture ${origin}: ${r.errors.map((e) => e.message).join('; ')}`);
  return buildZone(o, r.records);
}

/** example.com, its child sub.example.com, and other.test. */
export function fixtureZones(): ZoneSet {
  return new ZoneSet(['example.com', 'sub.example.com', 'other.test'].map(loadFixture));
}

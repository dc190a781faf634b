// Owns the property test of the answer cache: for any query mix, cached responses are byte-identical to fresh ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createResponder, fixedContext } from '../../src/responder/index.ts';
import { buildQuery } from './dns-helpers.ts';
import { fixtureZones } from './fixtures.ts';

const zones = fixtureZones();
const NAMES = ['example.com', 'www.example.com', 'foo.wild.example.com', 'chain1.example.com', 'x.dnin.example.com', 'deleg.example.com',
  'a.b.deleg.example.com', 'sub.example.com', 'host.sub.example.com', 'nope.example.com', 'big.example.com', 'manya.example.com',
  'y.ent.example.com', 'www.example.org', 'anyorder.other.test', '_sip._udp.example.com', 'loop1.example.com'];
const TYPES = ['A', 'AAAA', 'MX', 'TXT', 'NS', 'ANY', 'CNAME', 'DS', 'SRV', 'SOA'];

const query = fc.record({
  name: fc.constantFrom(...NAMES),
  caseMask: fc.integer({ min: 0, max: 0xffff }),
  type: fc.constantFrom(...TYPES),
  id: fc.integer({ min: 0, max: 0xffff }),
  rd: fc.boolean(),
  cd: fc.boolean(),
  edns: fc.boolean(),
  do: fc.boolean(),
  udpSize: fc.constantFrom(0, 512, 1232, 1400, 4096),
  tcp: fc.boolean(),
});

test('cached responses equal freshly encoded ones for any sequence of queries', () => {
  fc.assert(fc.property(fc.array(query, { minLength: 1, maxLength: 60 }), (qs) => {
    // A small ring by entries and one by octets (it wraps around every few answers).
    const cached = [createResponder({ zones: () => zones, cacheEntries: 16 }), createResponder({ zones: () => zones, cacheEntries: 64, cacheBytes: 3000 })];
    const fresh = createResponder({ zones: () => zones, cacheEntries: 0 });
    for (const q of qs) {
      const name = Array.from({ length: q.name.length }, (_, i) => ((q.caseMask >> (i % 16)) & 1 ? q.name.charAt(i).toUpperCase() : q.name.charAt(i))).join('');
      const bytes = buildQuery(name, q.type, { id: q.id, rd: q.rd, cd: q.cd, edns: q.edns, do: q.do, udpSize: q.udpSize });
      const ctx = fixedContext(q.tcp ? 'tcp' : 'udp');
      const b = Uint8Array.from(fresh(bytes, ctx)!);
      // Three times: a miss, a miss that stores the answer, a hit (or a miss if it was evicted since).
      for (let k = 0; k < 3; k++) for (const r of cached) assert.deepEqual(Uint8Array.from(r(bytes, ctx)!), b);
    }
  }), { numRuns: 150 });
});

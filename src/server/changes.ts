// Owns moving a zone changeset between threads: records as plain wire data and back.
import type { Changeset } from '../store/index.ts';
import type { ResourceRecord } from '../wire/record.ts';
import { Name } from '../wire/name.ts';
import type { WireChangeset, WireRecord } from './ipc.ts';

function toWire(r: ResourceRecord): WireRecord {
  return { owner: r.name.wire, type: r.type, class: r.class, ttl: r.ttl, rdata: r.rdata };
}

function fromWire(r: WireRecord): ResourceRecord {
  return { name: Name.fromWire(r.owner), type: r.type, class: r.class, ttl: r.ttl, rdata: r.rdata };
}

export function encodeChangeset(cs: Changeset): WireChangeset {
  return {
    serialFrom: cs.serialFrom, serialTo: cs.serialTo,
    soaFrom: cs.soaFrom && toWire(cs.soaFrom), soaTo: cs.soaTo && toWire(cs.soaTo),
    removed: cs.removed.map(toWire), added: cs.added.map(toWire),
  };
}

export function decodeChangeset(origin: Name, w: WireChangeset): Changeset {
  return {
    origin, serialFrom: w.serialFrom, serialTo: w.serialTo,
    soaFrom: w.soaFrom && fromWire(w.soaFrom), soaTo: w.soaTo && fromWire(w.soaTo),
    removed: w.removed.map(fromWire), added: w.added.map(fromWire),
  };
}

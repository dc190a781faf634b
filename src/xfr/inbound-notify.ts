// Owns NOTIFY in (RFC 1996) in a serving worker: which zone, whether the sender may notify it (ACL, TSIG), the answer, and the message to the main thread that checks the primaries.
import type { Config } from '../config/load.ts';
import type { Answer, QueryRouter, Request } from '../responder/index.ts';
import { Flag, Opcode, Rcode, RRClass, RRType } from '../wire/constants.ts';
import { Keyring, verifyRequest } from '../tsig/index.ts';
import { encodeMessage } from '../wire/message.ts';
import type { Message } from '../wire/message.ts';
import { AccessControl } from './acl.ts';

/** What the handler needs from the worker: the secondary zones, the checks, and the way to the main thread. */
export interface NotifyDeps {
  /** Lowercase names with a trailing dot of the zones this server is secondary for. */
  readonly secondaryZones: () => ReadonlySet<string>;
  /**
   * TSIG (RFC 8945) of the request: `unsigned`, `ok` with the key's configured name and a signer
   * for the answer, or `error` with the complete error answer to send.
   */
  readonly verify: (req: Request) => { kind: 'unsigned' } | { kind: 'ok'; key: string; sign: (answer: Uint8Array) => Uint8Array } | { kind: 'error'; answer: Uint8Array };
  /** ACL: may `peer` (signed with verified `key`, or null) notify `zone`? */
  readonly allows: (zone: string, peer: string, key: string | null) => boolean;
  /** Forwards an accepted NOTIFY to the main thread. */
  readonly forward: (zone: string, serial: number | null, peer: string) => void;
  /** Our EDNS UDP payload size, advertised when the NOTIFY had an OPT (default 1232). */
  readonly payload?: number;
}

function answer(q: Message, rcode: number, aa: boolean, payload: number): Uint8Array {
  // RFC 1996 §4.7: the response echoes the question, with QR (and AA when we are authoritative); RD as the query had it, and OPT when the query had one (RFC 6891 §6.1.1), as Knot does.
  return encodeMessage({
    id: q.id, flags: Flag.QR | (aa ? Flag.AA : 0) | (q.flags & Flag.RD), opcode: Opcode.NOTIFY, rcode,
    questions: q.questions.slice(0, 1), answers: [], authority: [], additional: [],
    edns: q.edns ? { udpSize: payload, extendedRcode: 0, version: 0, dnssecOk: false, flags: 0, options: [] } : null,
  });
}

/** Handles one NOTIFY request; exported for tests. */
export function handleNotify(req: Request, deps: NotifyDeps): Answer {
  const q = req.message;
  const question = q.questions[0];
  const payload = deps.payload ?? 1232;
  // RFC 1996 §3.7: QDCOUNT is 1 for a zone change notification.
  if (q.questions.length !== 1 || !question) return answer(q, Rcode.FORMERR, false, payload);
  const zone = question.name.toText().toLowerCase();
  const v = deps.verify(req);
  if (v.kind === 'error') return v.answer;
  const sign = v.kind === 'ok' ? v.sign : (a: Uint8Array): Uint8Array => a;
  // Not a zone we are secondary for: NOTAUTH, as Knot answers (a NOTIFY is for a secondary, RFC 1996 §3.10).
  if (!deps.secondaryZones().has(zone)) return sign(answer(q, Rcode.NOTAUTH, false, payload));
  const peer = req.ctx.peerAddress;
  // No ACL allows it: NOTAUTH, which is what Knot answers (measured with knotd 3.2: a NOTIFY no acl allows, like one for an unknown zone, gets NOTAUTH).
  if (!deps.allows(zone, peer, v.kind === 'ok' ? v.key : null)) return sign(answer(q, Rcode.NOTAUTH, false, payload));
  // RFC 1996 §3.7: QTYPE SOA, class IN (checked after the zone and the ACL, as Knot orders it).
  if (question.type !== RRType.SOA || question.class !== RRClass.IN) return sign(answer(q, Rcode.FORMERR, false, payload));
  // RFC 1996 §3.7: an SOA in the answer section is a hint of the new serial (not trusted: the primary's SOA is queried).
  const soa = q.answers.find((r) => r.type === RRType.SOA && r.name.equals(question.name));
  let serial: number | null = null;
  if (soa && soa.rdata.length >= 20) {
    const at = soa.rdata.length - 20;
    serial = ((soa.rdata[at]! << 24) | (soa.rdata[at + 1]! << 16) | (soa.rdata[at + 2]! << 8) | soa.rdata[at + 3]!) >>> 0;
  }
  deps.forward(zone, serial, peer);
  return sign(answer(q, Rcode.NOERROR, true, payload));
}

/** Registers the NOTIFY handler on the worker's router. */
export function registerNotifyHandler(router: QueryRouter, deps: NotifyDeps): void {
  router.onOpcode(Opcode.NOTIFY, (req) => Promise.resolve(handleNotify(req, deps)));
}

/** The worker's NOTIFY dependencies from its configuration; `forward` posts to the main thread. */
export function workerNotifyDeps(config: Config, forward: NotifyDeps['forward']): NotifyDeps {
  const secondaries = new Set(config.zones.filter((z) => z.role === 'secondary').map((z) => z.name));
  const keyring = new Keyring(config.keys);
  const acl = new AccessControl(config);
  return {
    secondaryZones: () => secondaries,
    verify: (req) => {
      const v = verifyRequest(req.bytes, req.message, req.spans, keyring, Date.now() / 1000);
      if (v.kind === 'unsigned') return v;
      if (v.kind === 'error') return { kind: 'error', answer: v.answer };
      return { kind: 'ok', key: v.key.configName, sign: (a) => v.signer.sign(a) };
    },
    allows: (zone, peer, key) => acl.allows(zone, 'notify', peer, key),
    forward,
    payload: config.udp.payloadSize,
  };
}

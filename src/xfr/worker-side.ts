// Owns the setup of a serving thread's primary side: the transfer handlers on the query router and their history questions to the main thread.
import type { Logger } from 'pino';
import type { Config } from '../config/load.ts';
import type { QueryRouter } from '../responder/router.ts';
import type { Changeset, ZoneSet } from '../store/index.ts';
import type { Request, SignedQueryHandler } from '../responder/router.ts';
import { Keyring, tsigSpace, verifyRequest } from '../tsig/index.ts';
import { Rcode } from '../wire/constants.ts';
import diagnostics from 'node:diagnostics_channel';
import { tsigErrorText } from '../tsig/index.ts';
import { AccessControl } from './acl.ts';
import { TSIG_FAILURE_CHANNEL } from './events.ts';
import type { TsigFailureEvent } from './events.ts';
import { HistoryClient } from './history-client.ts';
import { plainAnswer, TransfersOut } from './outbound.ts';
import type { Gate } from './outbound.ts';

export interface WorkerSideDeps {
  readonly config: Config;
  readonly zones: () => ZoneSet;
  readonly log: Logger;
  /** Posts a history question to the main thread (answered through `answer`). */
  readonly ask: (id: number, zone: string, serial: number) => void;
}

export interface WorkerSide {
  readonly transfers: TransfersOut;
  answer(id: number, changesets: Changeset[] | null): void;
  close(): void;
}

const tsigFailures = diagnostics.channel(TSIG_FAILURE_CHANNEL);

function tsigFailed(tsigError: number): void {
  if (!tsigFailures.hasSubscribers) return;
  const ev: TsigFailureEvent = { error: tsigError === 0 ? 'FORMERR' : tsigErrorText(tsigError) };
  tsigFailures.publish(ev);
}

/**
 * TSIG first (RFC 8945 §5.2: a bad signature is answered with its TSIG error whatever the ACL),
 * then the zone's acl for `transfer` with the verified key's name. A refusal of a signed request
 * is signed too (§5.3).
 */
export function transferGate(keyring: Keyring, acl: AccessControl, payload = 1232): (req: Request, zone: string) => Gate {
  return (req, zone) => {
    const v = verifyRequest(req.bytes, req.message, req.spans, keyring, Date.now() / 1000);
    if (v.kind === 'error') {
      tsigFailed(v.tsigError);
      return { kind: 'deny', answer: v.answer, why: 'tsig' };
    }
    const signed = v.kind === 'ok' ? v : null;
    if (!acl.allows(zone, 'transfer', req.ctx.peerAddress, signed?.key.configName ?? null)) {
      const refused = plainAnswer(req, Rcode.REFUSED, false, payload);
      return { kind: 'deny', answer: signed ? signed.signer.sign(refused) : refused, why: 'refused' };
    }
    if (signed === null) return { kind: 'ok', sign: null, reserve: 0 };
    return { kind: 'ok', sign: (m) => signed.signer.sign(m), reserve: tsigSpace(signed.key) };
  };
}

/**
 * A signed plain query (a secondary's SOA check): answered as the responder answers it unsigned,
 * then signed with the request's key (RFC 8945 §5.3); a bad signature gets its TSIG error answer.
 */
export function signedQueries(keyring: Keyring): SignedQueryHandler {
  return (req, plain) => {
    const v = verifyRequest(req.bytes, req.message, req.spans, keyring, Date.now() / 1000);
    if (v.kind === 'error') {
      tsigFailed(v.tsigError);
      return v.answer;
    }
    const span = req.spans.additional.at(-1);
    if (v.kind === 'unsigned' || span === undefined) return plain(req.bytes);
    // The request without its TSIG record: ARCOUNT one less, the bytes before the record (§4.3.3 order: TSIG is last).
    const q = req.bytes.slice(0, span.start);
    const ar = ((q[10]! << 8) | q[11]!) - 1;
    q[10] = ar >>> 8;
    q[11] = ar & 0xff;
    const a = plain(q);
    return a === null ? null : v.signer.sign(a);
  };
}

/** Registers AXFR/IXFR (TCP) and IXFR (UDP) on `router`. */
export function registerTransferHandlers(router: QueryRouter, deps: WorkerSideDeps): WorkerSide {
  const history = new HistoryClient(deps.ask);
  const keyring = new Keyring(deps.config.keys);
  router.onSignedQuery(signedQueries(keyring));
  const transfers = new TransfersOut({
    zones: deps.zones,
    changes: (zone, serial, signal) => history.ask(zone, serial, signal),
    authorize: transferGate(keyring, new AccessControl(deps.config), deps.config.udp.payloadSize),
    maxTransfers: deps.config.xfr.maxTransfersOut,
    udpPayloadSize: deps.config.udp.payloadSize,
    log: deps.log,
  });
  transfers.register(router);
  return {
    transfers,
    answer: (id, cs) => history.answer(id, cs),
    close: () => history.close(),
  };
}

// Owns the setup of a serving thread's primary side: the transfer handlers on the query router and their history questions to the main thread.
import type { Logger } from 'pino';
import type { Config } from '../config/load.ts';
import type { QueryRouter } from '../responder/router.ts';
import type { Changeset, ZoneSet } from '../store/index.ts';
import { HistoryClient } from './history-client.ts';
import { TransfersOut } from './outbound.ts';
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

const OPEN: Gate = { kind: 'ok', sign: null, reserve: 0 };

/** Registers AXFR/IXFR (TCP) and IXFR (UDP) on `router`. */
export function registerTransferHandlers(router: QueryRouter, deps: WorkerSideDeps): WorkerSide {
  const history = new HistoryClient(deps.ask);
  const transfers = new TransfersOut({
    zones: deps.zones,
    changes: (zone, serial, signal) => history.ask(zone, serial, signal),
    authorize: () => OPEN,
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

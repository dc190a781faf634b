// Owns the glue between the zone writer and the secondary-zone scheduler (src/xfr/secondary.ts): transfers published through the writer, NOTIFY from workers, status fields.
import diagnostics from 'node:diagnostics_channel';
import type { Logger } from 'pino';
import type { Config } from '../config/load.ts';
import type { ZoneStatus } from '../control/types.ts';
import { signRequest, tsigKey } from '../tsig/index.ts';
import type { RequestSigner } from '../xfr/client.ts';
import { NOTIFY_IN_CHANNEL } from '../xfr/secondary-events.ts';
import type { NotifyInEvent } from '../xfr/secondary-events.ts';
import { SecondaryScheduler } from '../xfr/secondary.ts';
import type { ZoneWriter } from './zone-writer.ts';

const notifyIn = diagnostics.channel(NOTIFY_IN_CHANNEL);

export interface Secondaries {
  notify(zone: string, serial: number | null, peer: string): void;
  /** Starts a refresh of a secondary zone now (no-op for other zones). */
  refresh(zone: string): void;
  reconfigure(config: Config): void;
  /** Adds the role and, for a secondary zone, its refresh state to a zone's status. */
  decorate(z: ZoneStatus): ZoneStatus;
  close(): Promise<void>;
}

/** TSIG for what we send to a remote that has a key (RFC 8945): each request signed, each answer message verified. */
function signerFor(config: Config, remote: string): RequestSigner | null {
  const keyName = config.remotes.find((r) => r.name === remote)?.key ?? null;
  if (keyName === null) return null;
  const spec = config.keys.find((k) => k.name === keyName);
  if (!spec) return null;
  const key = tsigKey(spec);
  return {
    sign: (request) => {
      const { bytes, verifier } = signRequest(request, key, Date.now() / 1000);
      return {
        bytes,
        verify: (b, m, spans) => {
          const r = verifier.verify(b, m, spans);
          return typeof r === 'string' ? r : r.error;
        },
      };
    },
  };
}

export function startSecondaries(config: Config, writer: ZoneWriter, log: Logger): Secondaries {
  let current = config;
  const scheduler = new SecondaryScheduler(config, {
    applyTransfer: async (zone, transfer) => {
      const r = await writer.applyTransfer(zone, transfer);
      if (r === null) return null;
      if (r.status === 'loaded') return { ok: true, serial: r.serial, records: r.records };
      return { ok: false, error: r.status === 'failed' ? (r.problems[0] ?? 'build failed') : `not applied (${r.status})` };
    },
    setExpired: (zone, expired) => writer.setExpired(zone, expired),
    soa: (zone) => writer.soa(zone),
  }, log, (remote) => signerFor(current, remote));
  scheduler.start();
  const isSecondary = (zone: string): boolean => current.zones.some((z) => z.name === zone.toLowerCase().replace(/\.?$/, '.') && z.role === 'secondary');
  return {
    notify(zone, serial, peer) {
      if (scheduler.notify(zone, serial, peer) && notifyIn.hasSubscribers) notifyIn.publish({ zone } satisfies NotifyInEvent);
    },
    refresh(zone) {
      if (isSecondary(zone)) void scheduler.refreshNow(zone);
    },
    reconfigure(c) {
      current = c;
      scheduler.reconfigure(c);
    },
    decorate(z) {
      const st = scheduler.status(z.zone);
      return st ? { ...z, role: 'secondary', secondary: st } : { ...z, role: 'primary' };
    },
    close: () => scheduler.close(),
  };
}

// Owns the serial policies of a primary zone (Knot's serial-policy): the serial a changed zone gets when its file kept the served serial.
import type { SerialPolicy } from '../config/schema.ts';
import { serialAdd, serialGt } from '../wire/serial.ts';

/**
 * The serial to publish instead of `fileSerial` when the file's content changed but its serial is
 * not greater than `served` (RFC 1982 §3.2): null for `keep` (the new content is refused: two
 * contents under one serial would leave secondaries with different zones). Every other policy
 * yields a serial greater than `served`.
 */
export function bumpedSerial(policy: SerialPolicy, served: number, now: Date = new Date()): number | null {
  const next = serialAdd(served, 1);
  switch (policy) {
    case 'keep':
      return null;
    case 'increment':
      return next;
    case 'unixtime': {
      const t = Math.floor(now.getTime() / 1000) >>> 0;
      return serialGt(t, served) ? t : next;
    }
    case 'dateserial': {
      // YYYYMMDDnn (RFC 1912 §2.2): today's first serial, or the next one after what is served.
      const d = now.getUTCFullYear() * 10000 + (now.getUTCMonth() + 1) * 100 + now.getUTCDate();
      const first = (d * 100) >>> 0;
      return serialGt(first, served) ? first : next;
    }
  }
}

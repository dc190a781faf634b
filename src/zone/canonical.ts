// Owns the RDATA comparison key used to merge duplicates and order records (RFC 4034 §6.2/§6.3).
import { canonicalRdata } from '../wire/registry.ts';

/** Latin1 string of the canonical RDATA octets: equal keys mean duplicate records, string order is octet order. */
export function canonicalKey(type: number, rdata: Uint8Array): string {
  const c = canonicalRdata(type, rdata);
  return Buffer.from(c.buffer, c.byteOffset, c.byteLength).toString('latin1');
}

/**
 * Sort key for canonical name order (RFC 4034 §6.1): labels right to left, each compared as
 * lower-cased octets, a shorter label first. Each octet is shifted up by one so that the
 * separator 0 sorts before any octet, making plain string comparison the canonical order.
 */
export function nameSortKey(wireKey: string): string {
  const starts: number[] = [];
  let p = 0;
  while (p < wireKey.length && wireKey.charCodeAt(p) !== 0) {
    starts.push(p);
    p += wireKey.charCodeAt(p) + 1;
  }
  let s = '';
  for (let i = starts.length - 1; i >= 0; i--) {
    const st = starts[i]!;
    const len = wireKey.charCodeAt(st);
    for (let j = st + 1; j <= st + len; j++) s += String.fromCharCode(wireKey.charCodeAt(j) + 1);
    s += '\u0000';
  }
  return s;
}

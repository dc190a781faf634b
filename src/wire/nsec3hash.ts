// Owns NSEC3 owner hashing (RFC 5155 §5, SHA-1 through node:crypto) and base32hex (RFC 4648 §7), shared by the zone checks and the lookup.
import { createHash } from 'node:crypto';
import type { Name } from './name.ts';

const B32HEX = '0123456789abcdefghijklmnopqrstuv';

/** Base32hex without padding, lower case (RFC 5155 §3.3). Order-preserving: sorting the text sorts the hashes. */
export function base32hex(b: Uint8Array): string {
  let out = '';
  let acc = 0;
  let bits = 0;
  for (const x of b) {
    acc = (acc << 8) | x;
    bits += 8;
    while (bits >= 5) {
      out += B32HEX[(acc >>> (bits - 5)) & 31]!;
      bits -= 5;
    }
    acc &= (1 << bits) - 1;
  }
  if (bits > 0) out += B32HEX[(acc << (5 - bits)) & 31]!;
  return out;
}

/** IH(salt, x, k) of RFC 5155 §5: SHA-1 of the canonical (lower-case) wire name and salt, then `iterations` more rounds. */
export function nsec3Hash(name: Name, salt: Uint8Array, iterations: number): Uint8Array {
  let h: Uint8Array = createHash('sha1').update(name.toLowerCase().wire).update(salt).digest();
  for (let i = 0; i < iterations; i++) h = createHash('sha1').update(h).update(salt).digest();
  return h;
}

// Owns small helpers shared by the wire tests: a presentation tokenizer and hex helpers.
import type { TextToken } from '../../src/wire/rdata/codec.ts';

/** Splits RDATA text like a zone lexer would: quoted strings (quotes removed, escapes kept) and bare words. */
export function tokens(text: string): TextToken[] {
  const out: TextToken[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|((?:[^\s"\\]|\\.)+)/gs;
  for (const m of text.matchAll(re)) {
    if (m[1] !== undefined) out.push({ text: m[1], quoted: true });
    else out.push({ text: m[2]!, quoted: false });
  }
  return out;
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

export function fromHex(h: string): Uint8Array {
  return Uint8Array.from(Buffer.from(h.replace(/\s+/g, ''), 'hex'));
}

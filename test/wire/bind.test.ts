// Tests our presentation format against BIND: named-checkzone reads a zone of every case we print, and its canonical text parses back to our exact RDATA.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Name } from '../../src/wire/name.ts';
import { typeFromText, typeToText } from '../../src/wire/constants.ts';
import { rdataFromText, rdataToText } from '../../src/wire/registry.ts';
import { CASES } from './cases.ts';
import { hex, tokens } from './helpers.ts';

const origin = Name.fromText('example.com.');
const dir = mkdtempSync(join(tmpdir(), 'dunlin-bind-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Cases BIND 9.18 will not load, and why. */
function skip(type: string, text: string): string | null {
  if (type === 'MD' || type === 'MF') return 'BIND refuses obsolete types in zones';
  if (type === 'SIG' || type === 'KEY' || type === 'NXT') return 'BIND rejects "old style DNSSEC" zones';
  if (type === 'SOA') return 'one SOA per zone, at the apex';
  if (text.includes('ohttp')) return 'BIND 9.18 predates the ohttp SvcParamKey (RFC 9540)';
  if (type === 'IPSECKEY' && text.split(' ').length === 4) return 'BIND 9.18 requires the public key field';
  if (type === 'NSEC' && text.split(' ').length === 1) return 'BIND rejects an empty NSEC type bitmap';
  return null;
}

function run(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('named-checkzone', ['-k', 'ignore', '-i', 'none', '-D', '-o', '-', 'example.com', file], { timeout: 20000 }, (err, out, errOut) => {
      if (err) reject(new Error(`named-checkzone failed: ${err.message}\n${errOut}`));
      else resolve(out);
    });
  });
}

test('named-checkzone loads our text for every type and prints text that parses back to our RDATA', { timeout: 30000 }, async () => {
  const mine = new Map<string, { type: number; rdata: Uint8Array }>();
  const lines = ['$ORIGIN example.com.', '$TTL 300', '@ IN SOA ns1 hostmaster 1 3600 900 604800 300', '@ IN NS ns1', 'ns1 IN A 192.0.2.1'];
  let skipped = 0;
  CASES.forEach((c, i) => {
    if (skip(c.type, c.text)) {
      skipped++;
      return;
    }
    const type = typeFromText(c.type)!;
    const rdata = rdataFromText(type, tokens(c.text), origin);
    mine.set(`r${i}.example.com.`, { type, rdata });
    lines.push(`r${i} IN ${typeToText(type)} ${rdataToText(type, rdata)}`);
  });
  const file = join(dir, 'all.zone');
  writeFileSync(file, lines.join('\n') + '\n');
  const out = await run(file);
  let compared = 0;
  for (const line of out.split('\n')) {
    const m = /^(r\d+\.example\.com\.)\s+\d+\s+IN\s+(\S+)\s*(.*)$/.exec(line);
    if (!m) continue;
    const want = mine.get(m[1]!);
    assert.ok(want, `unexpected owner ${m[1]}`);
    assert.equal(typeFromText(m[2]!), want.type, line);
    const parsed = rdataFromText(want.type, tokens(m[3]!), Name.ROOT);
    assert.equal(hex(parsed), hex(want.rdata), `BIND printed "${line}"`);
    compared++;
  }
  assert.equal(compared, mine.size, 'every record came back');
  assert.ok(skipped < 12 && compared > 90);
});

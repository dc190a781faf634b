// Tests our encoder against a third implementation, dnspython: it parses a message holding every type, and its text parses back to our exact RDATA.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { Name } from '../../src/wire/name.ts';
import { typeFromText } from '../../src/wire/constants.ts';
import { rdataFromText } from '../../src/wire/registry.ts';
import { encodeMessage } from '../../src/wire/message.ts';
import type { ResourceRecord } from '../../src/wire/record.ts';
import { CASES } from './cases.ts';
import { hex, tokens } from './helpers.ts';

// The system python3 carries dnspython (the one on PATH may not).
const PYTHON = '/usr/bin/python3';
const SCRIPT = `
import sys, dns.message, dns.rdatatype
m = dns.message.from_wire(sys.stdin.buffer.read())
for rrset in m.answer:
    for rd in rrset:
        print(dns.rdatatype.to_text(rd.rdtype) + "\\t" + rd.to_text(relativize=False))
`;

const origin = Name.fromText('example.com.');
const answers: ResourceRecord[] = CASES.map((c, i) => ({
  name: Name.fromText(`r${i}.example.com.`), type: typeFromText(c.type)!, class: 1, ttl: 300,
  rdata: rdataFromText(typeFromText(c.type)!, tokens(c.text), origin),
}));

function runPython(input: Uint8Array): Promise<{ out: string; err: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, ['-c', SCRIPT], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 20000);
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ out, err, code });
    });
    child.stdin.end(input);
  });
}

test('dnspython parses every record we encode, and its text gives back our exact RDATA', { timeout: 30000 }, async () => {
  const bytes = encodeMessage({ id: 9, flags: 0x8400, opcode: 0, rcode: 0, questions: [{ name: origin, type: 255, class: 1 }], answers, authority: [], additional: [], edns: null });
  const { out, err, code } = await runPython(bytes);
  assert.equal(code, 0, err);
  const lines = out.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, answers.length);
  let compared = 0;
  lines.forEach((line, i) => {
    const mine = answers[i]!;
    const tab = line.indexOf('\t');
    const type = typeFromText(line.slice(0, tab));
    assert.equal(type, mine.type, line);
    const parsed = rdataFromText(mine.type, tokens(line.slice(tab + 1)), Name.ROOT);
    assert.equal(hex(parsed), hex(mine.rdata), `${CASES[i]!.type}: dnspython printed "${line.slice(tab + 1)}"`);
    compared++;
  });
  assert.equal(compared, CASES.length);
});

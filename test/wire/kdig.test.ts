// Tests our encoder against Knot's kdig: it must parse a response holding every type we encode, and its text must parse back to our exact RDATA.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { execFile } from 'node:child_process';
import { Name } from '../../src/wire/name.ts';
import { typeFromText, typeToText } from '../../src/wire/constants.ts';
import { rdataFromText } from '../../src/wire/registry.ts';
import { decodeMessage, encodeMessage } from '../../src/wire/message.ts';
import type { ResourceRecord } from '../../src/wire/record.ts';
import { CASES } from './cases.ts';
import { hex, tokens } from './helpers.ts';

const origin = Name.fromText('example.com.');
// Distinct owners (some mixed-case, some sharing suffixes) so compression is exercised.
const answers: ResourceRecord[] = CASES.map((c, i) => ({
  name: Name.fromText(i % 3 === 0 ? `R${i}.Sub.Example.COM.` : `r${i}.example.com.`),
  type: typeFromText(c.type)!, class: 1, ttl: 100 + i, rdata: rdataFromText(typeFromText(c.type)!, tokens(c.text), origin),
}));

let server: dgram.Socket | undefined;
let port = 0;

before(async () => {
  const s = dgram.createSocket('udp4');
  server = s;
  s.on('message', (m, rinfo) => {
    let q;
    try {
      q = decodeMessage(m);
    } catch {
      return;
    }
    const bytes = encodeMessage({ id: q.id, flags: 0x8400, opcode: 0, rcode: 0, questions: q.questions, answers, authority: [], additional: [], edns: null });
    s.send(bytes, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  port = s.address().port;
});

after(() => {
  server?.close();
});

function kdig(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    // execFile's timeout kills the child if it hangs.
    execFile('kdig', ['@127.0.0.1', '-p', String(port), '+retry=0', '+time=5', ...args], { timeout: 15000 }, (err, out) => {
      if (err) reject(new Error(`kdig failed: ${err.message}`));
      else resolve(out);
    });
  });
}

test('kdig reads every record we encode and prints text that parses to our exact RDATA', { timeout: 30000 }, async () => {
  const out = await kdig(['+noall', '+answer', '+bufsize=0', 'example.com', 'ANY']);
  const lines = out.split('\n').filter((l) => l.trim() !== '' && !l.startsWith(';'));
  assert.equal(lines.length, answers.length);
  lines.forEach((line, i) => {
    const mine = answers[i]!;
    const [owner, ttl, cls, type, ...rest] = line.split('\t');
    // Compression may point into the question's spelling, so compare case-insensitively (RFC 4343).
    assert.ok(Name.fromText(owner!.trim()).equals(mine.name), `${owner} vs ${mine.name.toText()}`);
    assert.equal(Number(ttl), mine.ttl);
    assert.equal(cls, 'IN');
    const t = typeFromText(type!)!;
    assert.equal(t, mine.type, `type ${type} vs ${typeToText(mine.type)}`);
    // kdig prints its own presentation (or \# for types it lacks); either must give back our octets.
    const parsed = rdataFromText(t, tokens(rest.join('\t')), Name.ROOT);
    assert.equal(hex(parsed), hex(mine.rdata), `${type}: kdig printed "${rest.join(' ')}"`);
  });
});

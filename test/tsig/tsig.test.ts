// Owns tests of TSIG (RFC 8945) against independent implementations: dnspython test vectors and answers, kdig as a client, the §5.2/§5.3 error answers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import dgram from 'node:dgram';
import { fileURLToPath } from 'node:url';
import { Keyring, signRequest, TSIG_ALGORITHM_IDS, TsigError, tsigKey, TsigSigner, tsigSpace, verifyRequest } from '../../src/tsig/index.ts';
import type { TsigAlgorithmId, TsigKeySpec } from '../../src/tsig/index.ts';
import { decodeMessage, newMessageSpans } from '../../src/wire/message.ts';
import { Rcode, RRType } from '../../src/wire/constants.ts';
import { lowerByte } from '../../src/wire/bytes.ts';

const HELPER = fileURLToPath(new URL('./dnspython_tsig.py', import.meta.url));
const PY = '/usr/bin/python3';
const hasPython = ((): boolean => {
  try {
    execFileSync(PY, ['-c', 'import dns.tsig'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const hasKdig = ((): boolean => {
  try {
    execFileSync('kdig', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

// Secrets of the hash's block-ish sizes, fixed so the MACs are test vectors.
const SECRETS: Record<TsigAlgorithmId, string> = {
  'hmac-md5': Buffer.alloc(16, 0x11).toString('base64'),
  'hmac-sha1': Buffer.alloc(20, 0x22).toString('base64'),
  'hmac-sha224': Buffer.alloc(28, 0x33).toString('base64'),
  'hmac-sha256': Buffer.alloc(32, 0x44).toString('base64'),
  'hmac-sha384': Buffer.alloc(48, 0x55).toString('base64'),
  'hmac-sha512': Buffer.alloc(64, 0x66).toString('base64'),
};
const spec = (alg: TsigAlgorithmId, name = 'xfr-key'): TsigKeySpec => ({ name, algorithm: alg, secret: SECRETS[alg] });
const T0 = 1_765_000_000;

function py(cases: unknown[]): Promise<Record<string, unknown>[]> {
  return new Promise((resolve, reject) => {
    const child = execFile(PY, [HELPER], { timeout: 20_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}\n${stderr}`));
      else resolve(JSON.parse(stdout) as Record<string, unknown>[]);
    });
    child.stdin!.end(JSON.stringify(cases));
  });
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const unhex = (s: unknown): Uint8Array => new Uint8Array(Buffer.from(s as string, 'hex'));

function verify(bytes: Uint8Array, keyring: Keyring, now: number) {
  const spans = newMessageSpans();
  return verifyRequest(bytes, decodeMessage(bytes, spans), spans, keyring, now);
}

/** A plain answer to `query`: the header with QR|AA, the question, plus `extra` octets of fake records (counted as none). */
function answerTo(query: Uint8Array): Uint8Array {
  const m = decodeMessage(query);
  const qEnd = 12 + m.questions[0]!.name.wire.length + 4;
  const out = new Uint8Array(qEnd);
  out.set(query.subarray(0, qEnd));
  out[2] = 0x84 | (query[2]! & 0x01);
  out[3] = 0;
  out.fill(0, 6, 12);
  return out;
}

test('signing a request gives the MAC dnspython gives, for every algorithm (fixed clock: test vectors)', { skip: !hasPython && 'needs /usr/bin/python3 with dnspython', timeout: 30_000 }, async () => {
  const cases = TSIG_ALGORITHM_IDS.map((alg, i) => ({ mode: 'sign-query', alg, keyname: 'xfr-key.', secret: SECRETS[alg], time: T0 + i, qname: 'example.com.', qtype: 'SOA', id: 0x1234 + i }));
  const res = await py(cases);
  TSIG_ALGORITHM_IDS.forEach((alg, i) => {
    const key = tsigKey(spec(alg));
    const ours = signRequest(unhex(res[i]!['unsigned']), key, T0 + i);
    // dnspython writes the hmac-md5 algorithm name in upper case; names compare case-insensitively and the MAC covers the lower-cased form.
    assert.equal(hex(ours.bytes.map(lowerByte)), hex(unhex(res[i]!['signed']).map(lowerByte)), `${alg}: our signed query differs from dnspython's`);
    assert.ok(hex(ours.bytes).includes(res[i]!['mac'] as string), `${alg}: MAC differs`);
    // And ours verifies theirs, within the fudge, and refuses it outside.
    const ring = new Keyring([spec(alg)]);
    assert.equal(verify(unhex(res[i]!['signed']), ring, T0 + i + 299).kind, 'ok', alg);
    const late = verify(unhex(res[i]!['signed']), ring, T0 + i + 301);
    assert.equal(late.kind, 'error');
    if (late.kind === 'error') {
      assert.equal(late.tsigError, TsigError.BADTIME);
      assert.equal(late.rcode, Rcode.NOTAUTH);
    }
  });
});

test('answers we sign (single and multi-message) verify in dnspython; its answers verify in ours', { skip: !hasPython && 'needs /usr/bin/python3 with dnspython', timeout: 30_000 }, async () => {
  const now = Math.floor(Date.now() / 1000);
  const q = await py(TSIG_ALGORITHM_IDS.map((alg) => ({ mode: 'sign-query', alg, keyname: 'xfr-key.', secret: SECRETS[alg], time: now, qname: 'example.com.', qtype: 'AXFR', id: 7 })));
  const verifyCases: unknown[] = [];
  const answerCases: unknown[] = [];
  const ourRequests: { bytes: Uint8Array; verifier: ReturnType<typeof signRequest>['verifier'] }[] = [];
  TSIG_ALGORITHM_IDS.forEach((alg, i) => {
    const ring = new Keyring([spec(alg)]);
    const request = unhex(q[i]!['signed']);
    const v = verify(request, ring, now);
    assert.equal(v.kind, 'ok', alg);
    if (v.kind !== 'ok') return;
    const answers = [0, 1, 2].map(() => hex(v.signer.sign(answerTo(request))));
    verifyCases.push({ mode: 'verify-answer', alg, keyname: 'xfr-key.', secret: SECRETS[alg], request: q[i]!['signed'], answers: [answers[0]], qname: 'example.com.' });
    verifyCases.push({ mode: 'verify-answer', alg, keyname: 'xfr-key.', secret: SECRETS[alg], request: q[i]!['signed'], answers, qname: 'example.com.', xfr: true });
    const mine = signRequest(unhex(q[i]!['unsigned']), tsigKey(spec(alg)), now);
    ourRequests.push(mine);
    answerCases.push({ mode: 'answer-query', alg, keyname: 'xfr-key.', secret: SECRETS[alg], request: hex(mine.bytes), count: 3 });
  });
  const vr = await py(verifyCases);
  for (const r of vr) assert.ok((r['results'] as string[]).every((x) => x === 'ok'), JSON.stringify(r));
  const ar = await py(answerCases);
  ar.forEach((r, i) => {
    assert.equal(r['error'], undefined, `dnspython refused our signed request: ${String(r['error'])}`);
    const verifier = ourRequests[i]!.verifier;
    for (const h of r['answers'] as string[]) {
      const b = unhex(h);
      const spans = newMessageSpans();
      assert.equal(verifier.verify(b, decodeMessage(b, spans), spans), 'ok', TSIG_ALGORITHM_IDS[i]);
    }
    assert.equal(verifier.finish(), null);
  });
});

test('refusals: unknown key BADKEY and wrong secret BADSIG answered unsigned; malformed TSIG FORMERR; truncated MACs per §5.2.2.1', () => {
  const alg: TsigAlgorithmId = 'hmac-sha256';
  const query = new Uint8Array(Buffer.from('abcd00000001000000000000076578616d706c6503636f6d0000060001', 'hex'));
  const signed = signRequest(query, tsigKey(spec(alg)), T0).bytes;
  const unknown = verify(signed, new Keyring([spec(alg, 'other-key')]), T0);
  assert.equal(unknown.kind, 'error');
  if (unknown.kind === 'error') {
    assert.equal(unknown.tsigError, TsigError.BADKEY);
    const m = decodeMessage(unknown.answer);
    assert.equal(m.rcode, Rcode.NOTAUTH);
    assert.equal(m.id, 0xabcd);
    const t = m.additional.at(-1)!;
    assert.equal(t.type, RRType.TSIG);
    // Unsigned: MAC size 0 (after the algorithm name, 6 octets of time and 2 of fudge).
    const algLen = tsigKey(spec(alg)).algorithm.wire.length;
    assert.equal((t.rdata[algLen + 8]! << 8) | t.rdata[algLen + 9]!, 0);
  }
  const wrong = verify(signed, new Keyring([{ name: 'xfr-key', algorithm: alg, secret: Buffer.alloc(32, 1).toString('base64') }]), T0);
  assert.ok(wrong.kind === 'error' && wrong.tsigError === TsigError.BADSIG && wrong.rcode === Rcode.NOTAUTH);
  const otherAlg = verify(signed, new Keyring([spec('hmac-sha512')]), T0);
  assert.ok(otherAlg.kind === 'error' && otherAlg.tsigError === TsigError.BADKEY);
  // One flipped octet anywhere in the signed part is BADSIG.
  const flipped = Uint8Array.from(signed);
  flipped[14]! ^= 1;
  const bad = verify(flipped, new Keyring([spec(alg)]), T0);
  assert.ok(bad.kind === 'error' && bad.tsigError === TsigError.BADSIG);
  assert.equal(verify(query, new Keyring([spec(alg)]), T0).kind, 'unsigned');

  // Truncation: rebuild the TSIG RR with the leftmost n octets of the MAC.
  const truncated = (n: number): Uint8Array => {
    const m = decodeMessage(signed, newMessageSpans());
    const rd = m.additional.at(-1)!.rdata;
    const algLen = tsigKey(spec(alg)).algorithm.wire.length;
    const macSize = (rd[algLen + 8]! << 8) | rd[algLen + 9]!;
    const rdNew = Buffer.concat([rd.subarray(0, algLen + 8), Buffer.from([n >> 8, n & 0xff]), rd.subarray(algLen + 10, algLen + 10 + n), rd.subarray(algLen + 10 + macSize)]);
    const rrStart = signed.length - (rd.length + 10 + tsigKey(spec(alg)).name.wire.length);
    const head = Buffer.from(signed.subarray(0, rrStart + tsigKey(spec(alg)).name.wire.length + 8));
    return new Uint8Array(Buffer.concat([head, Buffer.from([rdNew.length >> 8, rdNew.length & 0xff]), rdNew]));
  };
  assert.equal(verify(truncated(16), new Keyring([spec(alg)]), T0).kind, 'ok', 'half of SHA-256 is allowed');
  const short = verify(truncated(15), new Keyring([spec(alg)]), T0);
  assert.ok(short.kind === 'error' && short.rcode === Rcode.FORMERR, 'below half the hash is FORMERR');
  const s = tsigKey(spec(alg));
  assert.ok(tsigSpace(s) >= signed.length - query.length, 'tsigSpace covers a signed TSIG RR');
});

test('a BADTIME answer is signed with the request MAC and carries our time (RFC 8945 §5.2.3); dnspython reads it as BADTIME', { skip: !hasPython && 'needs /usr/bin/python3 with dnspython', timeout: 30_000 }, async () => {
  const alg: TsigAlgorithmId = 'hmac-sha1';
  const [q] = await py([{ mode: 'sign-query', alg, keyname: 'xfr-key.', secret: SECRETS[alg], time: T0, qname: 'example.com.', qtype: 'SOA', id: 99 }]);
  const v = verify(unhex(q!['signed']), new Keyring([spec(alg)]), T0 + 3600);
  assert.ok(v.kind === 'error' && v.tsigError === TsigError.BADTIME);
  if (v.kind !== 'error') return;
  const [r] = await py([{ mode: 'verify-answer', alg, keyname: 'xfr-key.', secret: SECRETS[alg], request: q!['signed'], answers: [hex(v.answer)], qname: 'example.com.', time: T0 }]);
  // dnspython checks the peer's TSIG error before anything else: a correctly built BADTIME answer raises PeerBadTime.
  assert.deepEqual(r!['results'], ['error: PeerBadTime']);
});

test('kdig signs with every algorithm and verifies what we sign', { skip: !hasKdig && 'needs kdig', timeout: 30_000 }, async (t) => {
  const socket = dgram.createSocket('udp4');
  t.after(() => socket.close());
  const ring = new Keyring(TSIG_ALGORITHM_IDS.map((alg) => spec(alg, `key-${alg}`)));
  const seen: string[] = [];
  socket.on('message', (msg, rinfo) => {
    const bytes = new Uint8Array(msg);
    const v = verify(bytes, ring, Date.now() / 1000);
    seen.push(v.kind === 'ok' ? v.key.algorithmId : v.kind);
    const out = v.kind === 'ok' ? v.signer.sign(answerTo(bytes)) : v.kind === 'error' ? v.answer : answerTo(bytes);
    socket.send(out, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const port = socket.address().port;
  for (const alg of TSIG_ALGORITHM_IDS) {
    const out = await new Promise<string>((resolve, reject) => {
      execFile('kdig', ['-y', `${alg}:key-${alg}:${SECRETS[alg]}`, '@127.0.0.1', '-p', String(port), '+notcp', '+retry=0', '+time=3', 'example.com.', 'SOA'], { timeout: 10_000 }, (err, stdout, stderr) => {
        if (err && stdout === '') reject(new Error(`${err.message}\n${stderr}`));
        else resolve(stdout + stderr);
      });
    });
    assert.match(out, /status: NOERROR/, `${alg}: ${out}`);
    assert.match(out, /TSIG PSEUDOSECTION/, `${alg}: ${out}`);
    assert.doesNotMatch(out, /WARNING|failed|BADSIG|BADKEY|BADTIME/i, `${alg}: ${out}`);
  }
  assert.deepEqual(seen, [...TSIG_ALGORITHM_IDS]);
  // kdig with a key we do not know: BADKEY, which kdig reports.
  const bad = await new Promise<string>((resolve) => {
    execFile('kdig', ['-y', `hmac-sha256:nobody:${SECRETS['hmac-sha256']}`, '@127.0.0.1', '-p', String(port), '+notcp', '+retry=0', '+time=3', 'example.com.', 'SOA'], { timeout: 10_000 }, (_err, stdout, stderr) => resolve(stdout + stderr));
  });
  assert.match(bad, /NOTAUTH|BADKEY/, bad);
});

test('TsigSigner chains MACs: each later message depends on the one before (RFC 8945 §5.3.1)', () => {
  const key = tsigKey(spec('hmac-sha256'));
  const msg = new Uint8Array(Buffer.from('abcd84000001000000000000076578616d706c6503636f6d0000fc0001', 'hex'));
  const a = new TsigSigner(key, new Uint8Array(32), () => T0);
  const b = new TsigSigner(key, new Uint8Array(32), () => T0);
  assert.equal(hex(a.sign(msg)), hex(b.sign(msg)));
  const a2 = a.sign(msg);
  b.sign(Uint8Array.from(msg, (x, i) => (i === 1 ? x ^ 1 : x)));
  assert.notEqual(hex(a2), hex(b.sign(msg)), 'the second MAC covers the first message');
});

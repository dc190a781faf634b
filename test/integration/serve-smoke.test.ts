// Owns the smoke test of `dunlin serve`: start on port 0, answer over UDP and TCP, stop cleanly.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { answersOf, decodeResponse, encodeQuery, queryTcp, queryUdp, rcodeOf, sampleZone, startServer } from '../helpers/harness.ts';
import type { DunlinServer } from '../helpers/harness.ts';

let srv: DunlinServer;
before(async () => {
  srv = await startServer({ zones: { 'example.test.': sampleZone() } });
});
after(async () => {
  await srv.stop();
});

test('answers A over UDP and TCP on the port from the ready line', async () => {
  assert.equal(srv.workers, 1);
  assert.ok(srv.port > 0);
  const u = decodeResponse(await queryUdp(srv.udp4, encodeQuery('example.test', 'A')));
  assert.equal(rcodeOf(u), 'NOERROR');
  assert.deepEqual(answersOf(u).map((a) => a.data), ['192.0.2.1']);
  const [t] = await queryTcp(srv.tcp4, [encodeQuery('www.example.test', 'A')]);
  const p = decodeResponse(t!);
  assert.equal(answersOf(p)[0]?.type, 'CNAME');
});

test('SIGTERM exits 0', async () => {
  const r = await srv.stop();
  assert.equal(r.code, 0);
});

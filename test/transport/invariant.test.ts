// Owns the property test of the connection invariant: whatever a peer does, its connection is closed and unregistered within idle + read timeout.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { TcpTransport } from '../../src/transport/tcp.ts';
import { ConnectionRegistry } from '../../src/transport/registry.ts';
import type { QueryContext } from '../../src/responder/types.ts';
import { TcpClient, frame, sleep, waitFor } from '../helpers/harness.ts';

const IDLE = 150;
const READ = 100;
const SLACK = 250; // timer and scheduling granularity on a loaded 2-core machine

const out = Buffer.alloc(65535);
function respond(q: Uint8Array, _ctx: QueryContext): Uint8Array | null {
  if (q.length < 12 || (q[2]! & 0x80) !== 0) return null;
  const size = q[12] === 0xff ? 30_000 : q.length;
  out.set(q.subarray(0, Math.min(size, q.length)));
  out[2] = out[2]! | 0x80;
  return out.subarray(0, size);
}

type Action =
  | { kind: 'bytes'; data: Uint8Array }
  | { kind: 'query'; big: boolean; split: number }
  | { kind: 'pause' }
  | { kind: 'resume' }
  | { kind: 'end' }
  | { kind: 'reset' }
  | { kind: 'wait'; ms: number };

const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({ kind: fc.constant('bytes' as const), data: fc.uint8Array({ minLength: 1, maxLength: 40 }) }),
  fc.record({ kind: fc.constant('query' as const), big: fc.boolean(), split: fc.integer({ min: 0, max: 20 }) }),
  fc.constant({ kind: 'pause' as const }),
  fc.constant({ kind: 'resume' as const }),
  fc.constant({ kind: 'end' as const }),
  fc.constant({ kind: 'reset' as const }),
  fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 120 }) }),
);

const reg = new ConnectionRegistry();
const transport = new TcpTransport({ respond, registry: reg, limits: { idleTimeoutMs: IDLE, readTimeoutMs: READ, writeBufferBytes: 8192, shutdownTimeoutMs: 500 } });
const addr = await transport.listen({ host: '127.0.0.1', port: 0 });
after(async () => {
  await transport.close();
  assert.equal(reg.size, 0);
});

async function play(actions: Action[]): Promise<void> {
  const c = await TcpClient.connect({ host: addr.host, port: addr.port });
  let sentFin = false;
  try {
    for (const a of actions) {
      if (c.isEnded) break;
      switch (a.kind) {
        case 'bytes':
          await c.write(a.data).catch(() => undefined);
          break;
        case 'query': {
          const q = Buffer.alloc(14);
          q[12] = a.big ? 0xff : 1;
          const f = frame(q);
          const at = Math.min(a.split, f.length);
          await c.write(f.subarray(0, at)).catch(() => undefined);
          if (at < f.length) await c.write(f.subarray(at)).catch(() => undefined);
          break;
        }
        case 'pause':
          c.socket.pause();
          break;
        case 'resume':
          c.socket.resume();
          break;
        case 'end':
          c.end();
          sentFin = true;
          break;
        case 'reset':
          // RST after our own FIN makes libuv spin in this (client) process (uv_tcp_close_reset after
          // uv_shutdown); a peer that already sent FIN just closes.
          if (sentFin) c.destroy();
          else c.socket.resetAndDestroy();
          return;
        case 'wait':
          await sleep(a.ms);
          break;
      }
    }
  } finally {
    // The peer goes quiet but never closes: the server must close on its own.
    const lastActivity = Date.now();
    await waitFor(() => reg.size === 0, IDLE + READ + SLACK + 2000, 10).catch(() => undefined);
    const ms = Date.now() - lastActivity;
    c.destroy();
    assert.equal(reg.size, 0, `connection still registered after ${ms} ms: ${JSON.stringify(reg.snapshot().open)}`);
    assert.ok(ms <= IDLE + READ + SLACK, `closed ${ms} ms after the peer's last action`);
  }
}

test('property: any sequence of peer actions ends with the connection closed within idle + read timeout', { timeout: 60_000 }, async () => {
  await fc.assert(fc.asyncProperty(fc.array(action, { minLength: 0, maxLength: 12 }), play), { numRuns: 25 });
  const closed = reg.snapshot().closedByReason;
  assert.ok(reg.accepted >= 25);
  assert.equal(Object.values(closed).reduce((a, b) => a + b, 0), reg.accepted, 'every accepted connection was counted closed once');
});

// Owns the Node connection-churn load generator (same CLI and output as churn.c): connect, one query, read, close; N in flight.
import { connect } from 'node:net';
import { readFileSync } from 'node:fs';

function splitFramed(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let off = 0; off + 2 <= buf.length;) {
    const len = buf.readUInt16BE(off);
    if (off + 2 + len > buf.length) break;
    out.push(buf.subarray(off, off + 2 + len));
    off += 2 + len;
  }
  return out;
}

/** Runs the churn load and resolves with the same numbers churn.c prints. */
export function churn(host: string, port: number, concurrency: number, seconds: number, queries: readonly Buffer[]): Promise<{ completed: number; errors: number; seconds: number; latencyUs: number }> {
  if (queries.length === 0) throw new RangeError('no queries');
  let completed = 0;
  let errors = 0;
  let latency = 0;
  let next = 0;
  let active = 0;
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  return new Promise((resolve) => {
    const one = (): void => {
      if (performance.now() >= end) {
        if (active === 0) resolve({ completed, errors, seconds: (performance.now() - t0) / 1000, latencyUs: completed ? (latency / completed) * 1000 : 0 });
        return;
      }
      active++;
      const started = performance.now();
      const q = queries[next]!;
      next = (next + 1) % queries.length;
      let got: Buffer = Buffer.alloc(0);
      let done = false;
      const sock = connect({ host, port, noDelay: true });
      const finish = (ok: boolean): void => {
        if (done) return;
        done = true;
        if (ok) {
          completed++;
          latency += performance.now() - started;
        } else {
          errors++;
        }
        sock.destroy();
        active--;
        one();
      };
      sock.on('connect', () => sock.write(q));
      sock.on('data', (d: Buffer) => {
        got = got.length === 0 ? d : Buffer.concat([got, d]);
        if (got.length >= 2 && got.length >= 2 + got.readUInt16BE(0)) finish(true);
      });
      sock.on('error', () => finish(false));
      sock.on('close', () => finish(false));
    };
    for (let i = 0; i < concurrency; i++) one();
  });
}

if (import.meta.main) {
  const [host, port, conc, secs, file] = process.argv.slice(2);
  if (host === undefined || port === undefined || conc === undefined || secs === undefined || file === undefined) {
    process.stderr.write('usage: node bench/churn.ts HOST PORT CONCURRENCY SECONDS QUERYFILE\n');
    process.exit(2);
  }
  const r = await churn(host, Number(port), Number(conc), Number(secs), splitFramed(readFileSync(file)));
  process.stdout.write(`completed=${r.completed} errors=${r.errors} seconds=${r.seconds.toFixed(3)} conns_per_sec=${(r.completed / r.seconds).toFixed(1)} avg_latency_us=${r.latencyUs.toFixed(1)}\n`);
}

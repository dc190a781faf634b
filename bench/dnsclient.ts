// Owns the bench's independent DNS client (dns-packet, not Dunlin's codec): readiness probes and the answer-equality check.
import { createSocket } from 'node:dgram';
import dnsPacket from 'dns-packet';
import type { Answer, Packet, RecordType } from 'dns-packet';
import type { BenchQuery } from './gen.ts';

export interface Reply {
  rcode: string;
  aa: boolean;
  answer: string[];
  authority: string[];
}

function rrKey(rr: Answer): string {
  const data: unknown = 'data' in rr ? rr.data : undefined;
  const norm = JSON.stringify(data, (_k, v: unknown) => {
    if (typeof v === 'string') return v.toLowerCase();
    if (v && typeof v === 'object' && (v as { type?: unknown }).type === 'Buffer') {
      return Buffer.from((v as { data: number[] }).data).toString('hex');
    }
    return v;
  });
  const ttl = 'ttl' in rr ? rr.ttl : 0;
  return `${rr.name.toLowerCase()} ${ttl} ${rr.type} ${norm}`;
}

function toReply(p: Packet): Reply {
  return {
    rcode: (p as Packet & { rcode?: string }).rcode ?? 'NOERROR',
    aa: ((p.flags ?? 0) & dnsPacket.AUTHORITATIVE_ANSWER) !== 0,
    answer: (p.answers ?? []).map(rrKey).sort(),
    authority: (p.authorities ?? []).map(rrKey).sort(),
  };
}

/** Sends UDP queries (no EDNS, RD clear, like dnsperf's datafile queries) to one port, matching replies by id. */
export class UdpClient {
  #sock = createSocket('udp4');
  #pending = new Map<number, { resolve: (r: Reply | undefined) => void; timer: NodeJS.Timeout }>();
  #nextId = 1;
  readonly #port: number;
  readonly #host: string;

  constructor(host: string, port: number) {
    this.#host = host;
    this.#port = port;
    this.#sock.on('message', (msg) => {
      let p: Packet;
      try {
        p = dnsPacket.decode(msg);
      } catch {
        return;
      }
      const id = p.id ?? -1;
      const w = this.#pending.get(id);
      if (!w) return;
      this.#pending.delete(id);
      clearTimeout(w.timer);
      w.resolve(toReply(p));
    });
    this.#sock.on('error', () => undefined);
    this.#sock.unref();
  }

  query(name: string, type: string, timeoutMs = 1000): Promise<Reply | undefined> {
    const id = this.#nextId;
    this.#nextId = (this.#nextId % 0xfffe) + 1;
    const msg = dnsPacket.encode({ type: 'query', id, flags: 0, questions: [{ name: name.replace(/\.$/, ''), type: type as RecordType, class: 'IN' }] });
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        resolve(undefined);
      }, timeoutMs);
      this.#pending.set(id, { resolve, timer });
      this.#sock.send(msg, this.#port, this.#host, (err) => {
        if (err) {
          this.#pending.delete(id);
          clearTimeout(timer);
          resolve(undefined);
        }
      });
    });
  }

  close(): void {
    for (const w of this.#pending.values()) {
      clearTimeout(w.timer);
      w.resolve(undefined);
    }
    this.#pending.clear();
    this.#sock.close();
  }
}

/** True once the server answers the zone's SOA authoritatively. */
export async function answersSoa(port: number, origin: string, timeoutMs = 200): Promise<boolean> {
  const c = new UdpClient('127.0.0.1', port);
  try {
    const r = await c.query(origin, 'SOA', timeoutMs);
    return r !== undefined && r.rcode === 'NOERROR' && r.answer.some((a) => a.includes(' SOA '));
  } finally {
    c.close();
  }
}

export interface Mismatch {
  query: BenchQuery;
  server: string;
  field: 'rcode' | 'answer' | 'authority' | 'timeout';
  expected: string;
  got: string;
}

/** Asks every server the same queries and compares rcode and answer RRsets as sets (authority differences reported separately). */
export async function compareAnswers(
  ports: ReadonlyMap<string, number>,
  reference: string,
  queries: readonly BenchQuery[],
): Promise<{ compared: number; mismatches: Mismatch[]; authorityDiffs: Mismatch[] }> {
  const clients = new Map([...ports].map(([id, port]) => [id, new UdpClient('127.0.0.1', port)] as const));
  const mismatches: Mismatch[] = [];
  const authorityDiffs: Mismatch[] = [];
  try {
    for (const q of queries) {
      const replies = new Map<string, Reply | undefined>();
      for (const [id, c] of clients) replies.set(id, await c.query(q.name, q.type));
      const ref = replies.get(reference);
      for (const [id, r] of replies) {
        if (id === reference) continue;
        if (!ref || !r) {
          if (ref !== r) mismatches.push({ query: q, server: id, field: 'timeout', expected: ref ? 'reply' : 'timeout', got: r ? 'reply' : 'timeout' });
          continue;
        }
        if (ref.rcode !== r.rcode) mismatches.push({ query: q, server: id, field: 'rcode', expected: ref.rcode, got: r.rcode });
        else if (ref.answer.join('\n') !== r.answer.join('\n')) {
          mismatches.push({ query: q, server: id, field: 'answer', expected: ref.answer.join(' | '), got: r.answer.join(' | ') });
        } else if (ref.authority.join('\n') !== r.authority.join('\n')) {
          authorityDiffs.push({ query: q, server: id, field: 'authority', expected: ref.authority.join(' | '), got: r.authority.join(' | ') });
        }
      }
    }
  } finally {
    for (const c of clients.values()) c.close();
  }
  return { compared: queries.length, mismatches, authorityDiffs };
}

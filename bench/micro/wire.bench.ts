// Owns the wire codec micro-benchmark: decode/encode throughput of a typical authoritative response (run: node bench/micro/wire.bench.ts).
import { Name } from '../../src/wire/name.ts';
import { typeFromText } from '../../src/wire/constants.ts';
import { rdataFromText, writeRdata } from '../../src/wire/registry.ts';
import { decodeMessage, encodeMessage, type Message } from '../../src/wire/message.ts';
import { Writer } from '../../src/wire/writer.ts';
import type { ResourceRecord } from '../../src/wire/record.ts';

const origin = Name.fromText('example.com.');
const tok = (s: string) => s.split(' ').map((text) => ({ text, quoted: false }));
const rr = (owner: string, type: string, text: string): ResourceRecord => ({
  name: Name.fromText(owner, origin), type: typeFromText(type)!, class: 1, ttl: 3600, rdata: rdataFromText(typeFromText(type)!, tok(text), origin),
});

// www A with two addresses, two NS in authority, glue A/AAAA for both, EDNS with DO: about 200 octets.
const msg: Message = {
  id: 0x1234, flags: 0x8400, opcode: 0, rcode: 0,
  questions: [{ name: Name.fromText('www.example.com.'), type: 1, class: 1 }],
  answers: [rr('www', 'A', '192.0.2.10'), rr('www', 'A', '192.0.2.11')],
  authority: [rr('@', 'NS', 'ns1'), rr('@', 'NS', 'ns2')],
  additional: [rr('ns1', 'A', '192.0.2.1'), rr('ns1', 'AAAA', '2001:db8::1'), rr('ns2', 'A', '192.0.2.2'), rr('ns2', 'AAAA', '2001:db8::2')],
  edns: { udpSize: 1232, extendedRcode: 0, version: 0, dnssecOk: true, flags: 0x8000, options: [] },
};
const bytes = encodeMessage(msg);

function bench(label: string, fn: () => void, ms = Number(process.env['BENCH_MS'] ?? '2000')): number {
  for (let i = 0; i < 20000; i++) fn(); // warm up the JIT
  let n = 0;
  const start = performance.now();
  const cpu0 = process.cpuUsage();
  let now = start;
  while (now - start < ms) {
    for (let i = 0; i < 1000; i++) fn();
    n += 1000;
    now = performance.now();
  }
  const cpu = process.cpuUsage(cpu0);
  const rate = n / ((now - start) / 1000);
  // Ops per CPU-second as well: on a shared machine wall-clock rates drop with other load.
  const cpuRate = n / ((cpu.user + cpu.system) / 1e6);
  const f = (x: number): string => Math.round(x).toLocaleString('en-US').padStart(10);
  console.log(`${label.padEnd(40)} ${f(rate)} ops/s wall  ${f(cpuRate)} ops/CPU-s  ${(1e6 / cpuRate).toFixed(2)} µs CPU/op`);
  return rate;
}

console.log(`typical response: ${bytes.length} octets, ${msg.answers.length}/${msg.authority.length}/${msg.additional.length} records + OPT; node ${process.version}`);
bench('decodeMessage', () => {
  decodeMessage(bytes);
});
bench('encodeMessage (compression on)', () => {
  encodeMessage(msg);
});
// The responder's path: one reused Writer, header + records written directly.
const w = new Writer(1232);
const all = [...msg.answers, ...msg.authority, ...msg.additional];
bench('Writer + writeRdata (responder-style)', () => {
  w.rollback(0);
  w.bytes(bytes.subarray(0, 12));
  w.name(msg.questions[0]!.name, true);
  w.u16(1);
  w.u16(1);
  for (const r of all) {
    w.name(r.name, true);
    w.u16(r.type);
    w.u16(r.class);
    w.u32(r.ttl);
    const at = w.pos;
    w.u16(0);
    writeRdata(w, r.type, r.rdata);
    w.setU16(at, w.pos - at - 2);
  }
});

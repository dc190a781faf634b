// Owns `dunlin status`: a running server's version, uptime, serving threads and zone counts, through the control socket.
import type { StatusResult } from '../control/protocol.ts';
import { exitCodes, fmtMs, parseControlArgs, request, socketOptionsHelp } from './control-cli.ts';

const usage = (): string => `usage: dunlin status [--config FILE | --socket PATH] [--json]

Shows a running server's version, pid, uptime, serving threads, and how many of its configured
zones are loaded and how many failed (not served, or their last load failed: see dunlin zone status).

${socketOptionsHelp()}

${exitCodes()}`;

export async function main(args: string[]): Promise<number> {
  const a = await parseControlArgs('status', usage(), args, 0);
  if (typeof a === 'number') return a;
  const r = await request('status', a.socket, 'status');
  if (r === 1) return 1;
  const s = r as StatusResult;
  if (a.json) {
    process.stdout.write(JSON.stringify(s) + '\n');
    return 0;
  }
  const z = s.zones;
  process.stdout.write([
    `dunlin ${s.version}: running, pid ${s.primary}, up ${fmtMs(s.uptimeMs)} (since ${s.startedAt})`,
    `workers: ${s.threads.length} (${s.threads.map((t) => `${t.worker}: thread ${t.threadId}`).join(', ')})`,
    `zones: ${z.configured} configured, ${z.loaded} loaded, ${z.failed} failed`,
  ].join('\n') + '\n');
  return 0;
}

// Owns `dunlin zone status [ZONE]`: each configured zone's serial, source file, load time and last load result, through the control socket.
import type { ZoneStatus } from '../control/types.ts';
import { exitCodes, parseControlArgs, request, socketOptionsHelp } from './control-cli.ts';

const usage = (): string => `usage: dunlin zone status [ZONE] [--config FILE | --socket PATH] [--json]

Shows every configured zone (or ZONE): the serial served, the source file, when that version was
loaded, and the result of the last load or reload, with its problems as file:line:col. A secondary
zone also shows its last and next refresh, its expiry and its last transfer.

${socketOptionsHelp()}

${exitCodes('a zone shown is not served (or its last load failed) or ZONE is not configured')}`;

const norm = (name: string): string => name.toLowerCase().replace(/\.$/, '');

function failing(z: ZoneStatus): boolean {
  return z.loadedAt === null || z.last?.status === 'failed' || z.secondary?.expired === true;
}

function render(z: ZoneStatus): string {
  const lines = [z.zone, `  serial:    ${z.serial ?? '-'}${z.loadedAt === null ? ' (not served)' : ''}`, `  file:      ${z.file}`, `  loaded at: ${z.loadedAt ?? '-'}`];
  const last = z.last;
  if (last === null) lines.push('  last:      -');
  else if (last.status === 'failed') {
    lines.push(`  last:      failed (${last.errorCount} error${last.errorCount === 1 ? '' : 's'}${last.servingSerial !== null ? `; serving serial ${last.servingSerial}` : ''})`);
    for (const p of last.problems) lines.push(`    ${p}`);
  } else if (last.status === 'unchanged' && last.stillFailing !== null) {
    lines.push(`  last:      unchanged, still failing: ${last.stillFailing}`);
  } else lines.push(`  last:      ${last.status}`);
  if (z.journal) lines.push(`  journal:   ${z.journal.depth} changeset${z.journal.depth === 1 ? '' : 's'}, ${z.journal.bytes} bytes`);
  for (const n of z.notified ?? []) lines.push(`  notified:  ${n.remote} ${n.address} serial ${n.serial}: ${n.result}${n.detail ? ` (${n.detail})` : ''} at ${n.at}`);
  if (z.role !== undefined) lines.push(`  role:      ${z.role}`);
  const sec = z.secondary;
  if (sec !== undefined) {
    lines.push(`  refreshed: ${sec.lastRefresh ?? '-'}`, `  next:      ${sec.nextRefresh ?? '-'}`, `  expires:   ${sec.expiresAt ?? '-'}${sec.expired ? ' (EXPIRED: answered SERVFAIL)' : ''}`);
    if (sec.lastError !== null) lines.push(`  refresh error: ${sec.lastError}`);
    const t = sec.lastTransfer;
    if (t !== null) lines.push(`  transfer:  ${t.kind} from ${t.from} at ${t.at}: ${t.result}, ${t.records} records, ${t.bytes} bytes, ${t.durationMs} ms${t.error !== null ? ` (${t.error})` : ''}`);
  }
  return lines.join('\n');
}

export async function main(args: string[]): Promise<number> {
  const a = await parseControlArgs('zone', usage(), args, 2);
  if (typeof a === 'number') return a;
  const [sub, zone] = a.positionals;
  if (sub !== 'status') {
    process.stderr.write(`dunlin zone: ${sub === undefined ? 'missing subcommand' : `unknown subcommand "${sub}"`}\n${usage()}\n`);
    return 2;
  }
  const r = await request('zone', a.socket, 'zones');
  if (r === 1) return 1;
  let zones = (r as { zones: ZoneStatus[] }).zones;
  if (zone !== undefined) {
    zones = zones.filter((z) => norm(z.zone) === norm(zone));
    if (zones.length === 0) {
      process.stderr.write(`dunlin zone: zone ${zone} is not configured\n`);
      return 1;
    }
  }
  if (a.json) process.stdout.write(JSON.stringify({ zones }) + '\n');
  else process.stdout.write(zones.length === 0 ? 'no zone is configured\n' : zones.map(render).join('\n') + '\n');
  return zones.some(failing) ? 1 : 0;
}

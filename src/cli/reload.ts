// Owns `dunlin reload [ZONE]`: reloads a running server's configuration and zones (or one zone) through the control socket.
import type { ReloadResult } from '../control/protocol.ts';
import { exitCodes, parseControlArgs, request, socketOptionsHelp } from './control-cli.ts';

const usage = (): string => `usage: dunlin reload [ZONE] [--config FILE | --socket PATH] [--json]

Without ZONE: the server reads its configuration file again and reloads every zone whose file (or
an $INCLUDEd file) changed, as SIGHUP does. With ZONE: only that configured zone's file is read
again. A zone that fails (or whose unchanged file still has errors) keeps serving its previous version; its problems are printed as
file:line:col: severity: message.

${socketOptionsHelp()}

${exitCodes('a zone failed to load (or still fails) or ZONE is not configured')}`;

export async function main(args: string[]): Promise<number> {
  const a = await parseControlArgs('reload', usage(), args, 1);
  if (typeof a === 'number') return a;
  const zone = a.positionals[0];
  // A reload parses zone files: allow far longer than a status request.
  const r = await request('reload', a.socket, 'reload', zone !== undefined ? { zone } : undefined, 600_000);
  if (r === 1) return 1;
  const res = r as ReloadResult;
  // A zone whose file did not change but still has errors is as failed as one that just failed.
  const failed = res.results.filter((x) => x.status === 'failed' || (x.status === 'unchanged' && x.stillFailing !== null));
  if (a.json) {
    process.stdout.write(JSON.stringify(res) + '\n');
  } else {
    const lines = res.summary.length > 0 ? [...res.summary] : ['nothing to reload'];
    for (const f of failed) if (f.status === 'failed') for (const p of f.problems) lines.push(`  ${p}`);
    process.stdout.write(lines.join('\n') + '\n');
  }
  return failed.length > 0 ? 1 : 0;
}

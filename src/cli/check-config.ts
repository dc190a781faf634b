// Owns `dunlin check-config`: validates a config file and every zone file it names, serving nothing.
import { parseArgs } from 'node:util';
import type { Config } from '../config/load.ts';
import { Name } from '../wire/name.ts';
import { formatProblem, loadZoneFile } from '../zone/index.ts';

const usage = `usage: dunlin check-config --config FILE [--json]
       dunlin check-config FILE [--json]

Validates the configuration file (problems name the key path, e.g. zones[1].file) and then
every zone file it names (problems as file:line:col: severity: message). Nothing is bound or
served; a running server is not contacted.

  --config FILE   the configuration file
  --json          print one JSON object: { ok, config, problems, zones: [...] }
  -h, --help      this text

exit codes: 0 valid (warnings allowed), 1 the config or a zone file has errors, 2 usage`;

interface ZoneCheck {
  readonly zone: string;
  readonly file: string;
  readonly ok: boolean;
  readonly serial: number | null;
  readonly records: number;
  readonly errors: readonly string[];
  readonly warnings: readonly string[];
}

function checkZone(name: string, file: string): ZoneCheck {
  const r = loadZoneFile(file, Name.fromText(name));
  return {
    zone: name, file, ok: r.errors.length === 0, serial: r.serial ?? null, records: r.records.length,
    errors: r.errors.map(formatProblem), warnings: r.warnings.map(formatProblem),
  };
}

function renderZone(z: ZoneCheck): string {
  const head = z.ok
    ? `zone ${z.zone}: ok, serial ${z.serial ?? '-'}, ${z.records} records${z.warnings.length > 0 ? `, ${z.warnings.length} warning(s)` : ''}`
    : `zone ${z.zone}: ${z.errors.length} error(s) in ${z.file}`;
  return [head, ...z.errors.map((p) => `  ${p}`), ...z.warnings.map((p) => `  ${p}`)].join('\n');
}

export async function main(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, strict: true, options: { config: { type: 'string' }, json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } } });
  } catch (err) {
    process.stderr.write(`dunlin check-config: ${err instanceof Error ? err.message : String(err)}\n${usage}\n`);
    return 2;
  }
  if (parsed.values.help) {
    process.stdout.write(usage + '\n');
    return 0;
  }
  const files = [...(parsed.values.config !== undefined ? [parsed.values.config] : []), ...parsed.positionals];
  if (files.length !== 1) {
    process.stderr.write(`dunlin check-config: ${files.length === 0 ? 'which config file? (--config FILE)' : 'one config file at a time'}\n${usage}\n`);
    return 2;
  }
  const file = files[0]!;
  const { ConfigError, loadConfig } = await import('../config/load.ts');
  let config: Config;
  try {
    config = loadConfig({ file });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    if (parsed.values.json) process.stdout.write(JSON.stringify({ ok: false, config: file, problems: [{ key: err.key, message: err.message }], zones: [] }) + '\n');
    else process.stdout.write(`${err.message}\n`);
    return 1;
  }
  const zones = config.zones.map((z) => checkZone(z.name, z.file));
  const ok = zones.every((z) => z.ok);
  if (parsed.values.json) {
    process.stdout.write(JSON.stringify({ ok, config: config.configFile, problems: [], zones }) + '\n');
  } else {
    const failed = zones.filter((z) => !z.ok).length;
    const lines = [`config ${config.configFile ?? file}: ok, ${zones.length} zone(s)`, ...zones.map(renderZone)];
    if (zones.length === 0) lines.push('warning: no zone is configured: the server would answer REFUSED to every query');
    lines.push(ok ? 'ok' : `${failed} of ${zones.length} zone(s) have errors`);
    process.stdout.write(lines.join('\n') + '\n');
  }
  return ok ? 0 : 1;
}

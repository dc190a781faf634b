#!/usr/bin/env node
// Owns `dunlin <command>` dispatch and the process exit code; the only place that exits.
import { packageVersion } from '../control/version.ts';

const usage = `usage: dunlin <command> [options]
       dunlin --version

commands:
  serve         serve zones over UDP and TCP (dunlin serve --help)
  check-zone    validate a zone file and print it in canonical form
  sockstat      show a running server's connections, fds and socket states
  status        show a running server's version, uptime, workers and zone counts
  reload        reload a running server's configuration and zones, or one zone
  zone status   show a running server's zones: serial, file, last load result
  check-config  validate a config file and every zone file it names

dunlin help <command> (or dunlin <command> --help) prints a command's options.

exit codes: 0 ok, 1 failure, 2 usage`;

type CommandMain = (args: string[]) => Promise<number>;

const commands: Record<string, () => Promise<CommandMain>> = {
  serve: async () => (await import('./serve.ts')).main,
  'check-zone': async () => (await import('./check-zone.ts')).main,
  sockstat: async () => (await import('./sockstat.ts')).main,
  status: async () => (await import('./status.ts')).main,
  reload: async () => (await import('./reload.ts')).main,
  zone: async () => (await import('./zone.ts')).main,
  'check-config': async () => (await import('./check-config.ts')).main,
};

async function run(argv: string[]): Promise<number> {
  if (argv[0] === '--version' || argv[0] === '-V') return version();
  const [cmd, ...rest] = argv;
  // `dunlin help reload` is `dunlin reload --help`.
  const helpOf = cmd === 'help' && rest[0] !== undefined ? commands[rest[0]] : undefined;
  if (helpOf) return (await helpOf())(['--help']);
  if (cmd === undefined || cmd === '-h' || cmd === '--help' || cmd === 'help') {
    process.stdout.write(usage + '\n');
    return cmd === undefined ? 2 : 0;
  }
  const load = commands[cmd];
  if (!load) {
    process.stderr.write(`dunlin: unknown command "${cmd}"\n${usage}\n`);
    return 2;
  }
  const main = await load();
  return main(rest);
}

function version(): number {
  process.stdout.write(`dunlin ${packageVersion()}\n`);
  return 0;
}

try {
  process.exitCode = await run(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`dunlin: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
}

// Owns `dunlin serve`: flags and config file into one Config, then the main thread (which starts the serving threads).
import { ConfigError, loadConfig } from '../config/load.ts';
import type { Config, ConfigOverrides } from '../config/load.ts';
import { createLogger } from '../log/index.ts';

const usage = `usage: dunlin serve [--config FILE] [options]

Serves the configured zones over UDP and TCP with one worker thread per CPU,
sharing one copy of every zone. Prints one line to stdout when every worker listens:
  dunlin ready udp=ADDR[,ADDR] tcp=ADDR[,ADDR] workers=N pid=PID
Logs (JSON) go to stderr. Flags override the config file (docs/configuration.md).

options:
  --config FILE          YAML config file
  --listen IP:PORT       listen address, UDP and TCP (repeatable; IPv6 as [::1]:5300; port 0 = any free port)
  --zone NAME=FILE       serve zone NAME from FILE (repeatable; replaces the file's zones)
  --workers N            serving threads (default: number of CPUs)
  --control PATH         control socket for dunlin sockstat
  --metrics IP:PORT      Prometheus metrics on a loopback address
  --log-level LEVEL      fatal, error, warn, info, debug, trace, silent
  -h, --help             this help

signals: SIGTERM/SIGINT stop gracefully, SIGHUP reloads changed zones.
exit codes: 0 stopped cleanly, 1 failure (config, bind, startup), 2 usage`;

class UsageError extends Error {}

interface ServeArgs {
  help: boolean;
  config: string | null;
  overrides: {
    listen: string[];
    zones: string[];
    workers?: string;
    control?: string;
    metrics?: string;
    logLevel?: string;
  };
}

export function parseServeArgs(args: readonly string[]): ServeArgs {
  const out: ServeArgs = { help: false, config: null, overrides: { listen: [], zones: [] } };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '-h' || arg === '--help') {
      out.help = true;
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    const value = (): string => {
      if (arg.startsWith('--') && eq > 0) return arg.slice(eq + 1);
      const v = args[++i];
      if (v === undefined) throw new UsageError(`${name} needs a value`);
      return v;
    };
    switch (name) {
      case '--config':
        out.config = value();
        break;
      case '--listen':
        out.overrides.listen.push(value());
        break;
      case '--zone':
        out.overrides.zones.push(value());
        break;
      case '--workers':
        out.overrides.workers = value();
        break;
      case '--control':
        out.overrides.control = value();
        break;
      case '--metrics':
        out.overrides.metrics = value();
        break;
      case '--log-level':
        out.overrides.logLevel = value();
        break;
      default:
        throw new UsageError(`unknown option ${JSON.stringify(arg)}`);
    }
  }
  return out;
}

export async function main(args: string[]): Promise<number> {
  let parsed: ServeArgs;
  try {
    parsed = parseServeArgs(args);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`dunlin serve: ${err.message}\n${usage}\n`);
    return 2;
  }
  if (parsed.help) {
    process.stdout.write(usage + '\n');
    return 0;
  }
  let config: Config;
  try {
    const overrides: ConfigOverrides = parsed.overrides;
    config = loadConfig({ file: parsed.config, overrides });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      return 1;
    }
    throw err;
  }
  const log = createLogger({ level: config.log.level, name: 'dunlin', base: { role: 'primary' } });
  log.info({ config: config.configFile, listen: config.listen.length, workers: config.workers, zones: config.zones.map((z) => z.name) }, 'dunlin starting');
  const { runPrimary } = await import('../server/primary.ts');
  return runPrimary({ config, log, out: process.stdout });
}

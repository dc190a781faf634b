// Owns `dunlin serve`: flags and config file into one Config, then the main thread (which starts the serving threads).
// The config loader and the usage text are imported only on the paths that use them.
import { FLAGS } from '../config/flags.ts';
import type { ConfigOverrides } from '../config/flags.ts';
import type { Config } from '../config/load.ts';
import { createLogger } from '../log/index.ts';
import { guardSigusr1 } from '../server/signals.ts';

class UsageError extends Error {}

interface ServeArgs {
  help: boolean;
  config: string | null;
  overrides: ConfigOverrides;
}

export function parseServeArgs(args: readonly string[]): ServeArgs {
  let help = false;
  let config: string | null = null;
  const overrides: Record<string, string | string[]> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '-h' || arg === '--help') {
      help = true;
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
    if (name === '--config') {
      config = value();
      continue;
    }
    const f = FLAGS.find((x) => x.flag === name);
    if (f === undefined) throw new UsageError(`unknown option ${JSON.stringify(arg)}`);
    const prev = overrides[f.option];
    overrides[f.option] = f.repeatable ? [...(Array.isArray(prev) ? prev : []), value()] : value();
  }
  return { help, config, overrides };
}

export async function main(args: string[]): Promise<number> {
  guardSigusr1();
  let parsed: ServeArgs;
  try {
    parsed = parseServeArgs(args);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    const { serveUsage } = await import('./serve-usage.ts');
    process.stderr.write(`dunlin serve: ${err.message}\n${serveUsage()}\n`);
    return 2;
  }
  if (parsed.help) {
    const { serveUsage } = await import('./serve-usage.ts');
    process.stdout.write(serveUsage() + '\n');
    return 0;
  }
  const { ConfigError, loadConfig } = await import('../config/load.ts');
  let config: Config;
  try {
    config = udpIoFromEnv(loadConfig({ file: parsed.config, overrides: parsed.overrides }));
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      return 1;
    }
    throw err;
  }
  const log = createLogger({ level: config.log.level, format: config.log.format, name: 'dunlin', base: { role: 'primary' } });
  log.info({ config: config.configFile, listen: config.listen.length, workers: config.workers, zones: config.zones.map((z) => z.name) }, 'dunlin starting');
  const { runPrimary } = await import('../server/primary.ts');
  // SIGHUP and `reload` read the file again with the same flags on top.
  const file = parsed.config;
  const reread = file === null ? undefined : (): Config => udpIoFromEnv(loadConfig({ file, overrides: parsed.overrides }));
  return runPrimary({ config, log, out: process.stdout, ...(reread ? { reread } : {}) });
}

/**
 * DUNLIN_UDP_IO=auto|batched|dgram replaces udp.io: the test suite runs the UDP tests once per
 * path with it, and an operator can rule the addon out without editing the config.
 */
function udpIoFromEnv(config: Config): Config {
  const io = process.env['DUNLIN_UDP_IO'];
  if (io !== 'auto' && io !== 'batched' && io !== 'dgram') return config;
  return { ...config, udp: { ...config.udp, io } };
}

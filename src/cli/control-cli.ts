// Owns what the control commands (status, reload, zone status, sockstat) share: --config/--socket/--json/--help, finding the control socket, one request, exit codes.
import { parseArgs } from 'node:util';
import { controlRequest, ControlClientError } from '../control/client.ts';
import { defaultControlSocketPath } from '../control/paths.ts';
import type { Command, ControlArgs } from '../control/protocol.ts';

/** The options every control command takes, for its usage text. */
export function socketOptionsHelp(): string {
  return `  --config FILE   find the control socket from this config file's control.socket
  --socket PATH   control socket (default ${defaultControlSocketPath()})
  --json          print the server's answer as one JSON object
  -h, --help      this text`;
}

/** The exit code line of a control command's usage; `also` lists its failures besides an unreachable server. */
export function exitCodes(also?: string): string {
  return `exit codes: 0 ok, 1 the server is not reachable${also !== undefined ? ` or ${also}` : ''}, 2 usage`;
}

export interface ControlCliArgs {
  readonly socket: string;
  readonly json: boolean;
  readonly positionals: readonly string[];
}

/**
 * Parses a control command's arguments; returns an exit code when done (help printed: 0, usage
 * error: 2, unreadable config: 1). The socket is --socket, else the config's control.socket, else
 * the default path.
 */
export async function parseControlArgs(name: string, usage: string, args: readonly string[], maxPositionals: number): Promise<ControlCliArgs | number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args], allowPositionals: true, strict: true,
      options: {
        config: { type: 'string' }, socket: { type: 'string' }, json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    process.stderr.write(`dunlin ${name}: ${err instanceof Error ? err.message : String(err)}\n${usage}\n`);
    return 2;
  }
  const v = parsed.values;
  if (v.help) {
    process.stdout.write(usage + '\n');
    return 0;
  }
  if (parsed.positionals.length > maxPositionals) {
    process.stderr.write(`dunlin ${name}: unexpected argument "${parsed.positionals[maxPositionals]!}"\n${usage}\n`);
    return 2;
  }
  const socket = await findSocket(name, v.socket, v.config);
  if (socket === 1) return 1;
  return { socket, json: v.json, positionals: parsed.positionals };
}

/** --socket, else the config file's control.socket, else the default path; 1 (printed) when the config file is invalid. */
export async function findSocket(name: string, socket: string | undefined, configFile: string | undefined): Promise<string | 1> {
  if (socket !== undefined) return socket;
  if (configFile === undefined) return defaultControlSocketPath();
  const { ConfigError, loadConfig } = await import('../config/load.ts');
  try {
    return loadConfig({ file: configFile }).control.socket ?? defaultControlSocketPath();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`dunlin ${name}: ${err.message}\n`);
    return 1;
  }
}

/** One control request; on failure prints why (server unreachable, refused) and returns exit code 1. */
export async function request(name: string, socket: string, command: Command, args?: ControlArgs, timeoutMs = 10_000): Promise<object | 1> {
  try {
    return await controlRequest(socket, command, { timeoutMs, ...(args ? { args } : {}) });
  } catch (err) {
    process.stderr.write(`dunlin ${name}: ${err instanceof ControlClientError ? err.message : String(err)}\n`);
    return 1;
  }
}

/** A duration for humans: 850ms, 4.2s, 3m7s, 2h5m. */
export function fmtMs(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${Math.floor(s % 60)}s`;
  return `${Math.floor(m / 60)}h${m % 60}m`;
}

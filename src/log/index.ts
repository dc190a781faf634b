// Owns the pino logger factory: structured JSON (or pino-pretty) logs on stderr (stdout carries only the ready line).
import pino from 'pino';
import type { DestinationStream, Logger } from 'pino';
import pinoPretty from 'pino-pretty';

export type { Logger } from 'pino';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type LogFormat = 'json' | 'pretty';

export interface LoggerOptions {
  readonly level: LogLevel;
  readonly name: string;
  /** Extra fields on every line (e.g. {worker: 2}). */
  readonly base?: Readonly<Record<string, string | number>>;
  /** Default json. */
  readonly format?: LogFormat;
}

// Synchronous writes to fd 2: a crash or exit must not lose the last lines, and log volume is low
// (no per-query logging), so the sonic-boom buffer buys nothing here.
const stderrDestination = pino.destination({ fd: 2, sync: true });
let prettyDestination: DestinationStream | null = null;

/**
 * pino-pretty as an in-thread stream, writing synchronously to fd 2 like the JSON destination: a
 * transport would add a thread per logger (one per serving thread) and could lose the last lines.
 */
function pretty(): DestinationStream {
  prettyDestination ??= pinoPretty({ destination: 2, sync: true, colorize: false, singleLine: true, translateTime: 'SYS:standard', ignore: 'hostname' });
  return prettyDestination;
}

export function createLogger(opts: LoggerOptions): Logger {
  return pino(
    {
      level: opts.level,
      name: opts.name,
      // base keys are unique per line: pid (the process), role, and worker/threadId for a serving thread.
      base: { pid: process.pid, ...opts.base },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Never log secrets: the metrics token and anything named like a credential is censored.
      redact: { paths: ['token', '*.token', 'metrics.token', 'password', 'secret'], censor: '[redacted]' },
    },
    opts.format === 'pretty' ? pretty() : stderrDestination,
  );
}

/** A rate limiter for log lines on hot paths (UDP send errors): at most `perInterval` lines per interval. */
export class LogRateLimiter {
  #windowStart = 0;
  #count = 0;
  #suppressed = 0;
  readonly #intervalMs: number;
  readonly #perInterval: number;

  constructor(intervalMs = 10_000, perInterval = 5) {
    this.#intervalMs = intervalMs;
    this.#perInterval = perInterval;
  }

  /** Returns -1 when the line must be dropped, else how many lines were suppressed before it. */
  take(now = Date.now()): number {
    if (now - this.#windowStart >= this.#intervalMs) {
      this.#windowStart = now;
      this.#count = 0;
    }
    if (this.#count >= this.#perInterval) {
      this.#suppressed++;
      return -1;
    }
    this.#count++;
    const s = this.#suppressed;
    this.#suppressed = 0;
    return s;
  }
}

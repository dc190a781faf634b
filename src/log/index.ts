// Owns the pino logger factory: structured JSON logs on stderr (stdout carries only the ready line).
import pino from 'pino';
import type { Logger } from 'pino';

export type { Logger } from 'pino';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface LoggerOptions {
  readonly level: LogLevel;
  readonly name: string;
  /** Extra fields on every line (e.g. {worker: 2}). */
  readonly base?: Readonly<Record<string, string | number>>;
}

// Synchronous writes to fd 2: a crash or exit must not lose the last lines, and log volume is low
// (no per-query logging), so the sonic-boom buffer buys nothing here.
const stderrDestination = pino.destination({ fd: 2, sync: true });

export function createLogger(opts: LoggerOptions): Logger {
  return pino(
    {
      level: opts.level,
      name: opts.name,
      base: { pid: process.pid, ...opts.base },
      // Never log secrets: the metrics token and anything named like a credential is censored.
      redact: { paths: ['token', '*.token', 'metrics.token', 'password', 'secret'], censor: '[redacted]' },
    },
    stderrDestination,
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

// Owns the package tests' process helpers: a bounded command run, the Node minimum from package.json, and finding an older Node.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../helpers/harness.ts';

export interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly cwd?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly timeoutMs?: number;
}

/** Runs a command to completion; SIGKILLs it (by PID) after `timeoutMs` and says so in stderr. */
export function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd ?? ROOT, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      stderr += `\n[killed after ${timeoutMs} ms]`;
      if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
    }, timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** PATH with this test's Node first, so `#!/usr/bin/env node` scripts run on it. */
export function pathWithThisNode(): string {
  return `${join(process.execPath, '..')}:${process.env['PATH'] ?? ''}`;
}

/** [major, minor] of the lowest Node the package's `engines` accepts (its first range). */
export function engineMinimum(): [number, number] {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } };
  const m = /(\d+)\.(\d+)/.exec(pkg.engines.node);
  if (!m) throw new Error(`cannot read engines.node ${pkg.engines.node}`);
  return [Number(m[1]), Number(m[2])];
}

/** A `node` on PATH (`which -a node`) older than the minimum, or null when the machine has none. */
export function findOldNode(): { path: string; version: string } | null {
  let list: string[];
  try {
    list = execFileSync('which', ['-a', 'node'], { encoding: 'utf8' }).split('\n').filter((l) => l !== '');
  } catch {
    return null;
  }
  const [major, minor] = engineMinimum();
  for (const path of list) {
    let version: string;
    try {
      version = execFileSync(path, ['-p', 'process.versions.node'], { encoding: 'utf8', timeout: 10_000 }).trim();
    } catch {
      continue;
    }
    const [a = 0, b = 0] = version.split('.').map(Number);
    if (a < major || (a === major && b < minor)) return { path, version };
  }
  return null;
}

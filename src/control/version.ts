// Owns the package version as the CLI and the control channel report it (read once from package.json).
import { readFileSync } from 'node:fs';

let cached: string | null = null;

/** package.json sits two levels up from src/control and from dist/control; 'unknown' when it cannot be read. */
export function packageVersion(): string {
  if (cached !== null) return cached;
  try {
    const pkg: unknown = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    const v = (pkg as { version?: unknown } | null)?.version;
    cached = typeof v === 'string' ? v : 'unknown';
  } catch {
    cached = 'unknown';
  }
  return cached;
}

// Owns zone file fingerprints: a hash of a zone file and every file it $INCLUDEs, to reload only what changed.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

const MAX_DEPTH = 16;

/** $INCLUDE <file> [origin] (RFC 1035 §5.1); the file name may be quoted. */
const INCLUDE = /^\$INCLUDE[ \t]+(?:"((?:[^"\\]|\\.)*)"|(\S+))/gim;

/**
 * SHA-256 over the bytes of `file` and, recursively, of each file named by an $INCLUDE line
 * (relative names resolved against the including file's directory, then the working directory).
 * An unreadable file contributes its error code, so fixing it later changes the fingerprint too.
 * With `keep`, the bytes read are kept by absolute path, so the parse reads exactly what was hashed
 * (and reads nothing twice).
 */
export function zoneFingerprint(file: string, keep?: Map<string, Buffer>): string {
  const h = createHash('sha256');
  const seen = new Set<string>();
  const visit = (path: string, depth: number): void => {
    h.update(path + '\0');
    if (seen.has(path) || depth > MAX_DEPTH) return;
    seen.add(path);
    let text: Buffer;
    try {
      text = readFileSync(path);
    } catch (err) {
      h.update(`error:${(err as NodeJS.ErrnoException).code ?? 'unknown'}\0`);
      return;
    }
    h.update(text);
    keep?.set(path, text);
    // Buffer.indexOf is a native search: no 50 MB string for a file without $INCLUDE.
    if (text.indexOf('$INCLUDE') < 0 && text.indexOf('$include') < 0) return;
    const s = text.toString('latin1');
    for (const m of s.matchAll(INCLUDE)) {
      const name = m[1] ?? m[2];
      if (name === undefined) continue;
      const local = resolve(dirname(path), name);
      visit(local, depth + 1);
      const cwdPath = resolve(name);
      if (cwdPath !== local) visit(cwdPath, depth + 1);
    }
  };
  visit(resolve(file), 0);
  return h.digest('hex');
}

// Owns signing the DNSSEC test zones at test time (dnssec-signzone with the fixture keys): NSEC, NSEC3 and NSEC3 opt-out variants of one template.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const DNSSEC_FIX = join(import.meta.dirname, '..', 'fixtures', 'dnssec');

export interface SignedZone {
  readonly origin: string; // without trailing dot
  readonly file: string; // absolute path of the signed zone
  /** The zone's DNSKEY record as text (the trust anchor). */
  readonly dnskey: string;
  readonly mode: 'nsec' | 'nsec3' | 'optout';
}

/** The three variants of test/fixtures/dnssec/signed.zone.in and how dnssec-signzone is told to sign them. */
export const VARIANTS = [
  { origin: 'nsec.test', mode: 'nsec', args: [] },
  // RFC 9276 §3.1: no extra iterations, no salt.
  { origin: 'nsec3.test', mode: 'nsec3', args: ['-3', '-', '-H', '0'] },
  // Opt-out (RFC 5155 §6) with a salt and one extra iteration, to exercise the hash parameters.
  { origin: 'optout.test', mode: 'optout', args: ['-3', 'cafe', '-H', '1', '-A'] },
] as const;

export function signerAvailable(): boolean {
  try {
    execFileSync('dnssec-signzone', ['-h'], { stdio: 'ignore' });
    return true;
  } catch (e) {
    // dnssec-signzone -h prints usage and exits non-zero; only a missing binary is ENOENT.
    return (e as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

/**
 * Signs every variant into a fresh temp dir and returns the zones. Signing happens now, so the
 * signatures are valid from an hour ago for 30 days (dnssec-signzone's defaults) whenever the
 * test runs; the keys are fixed, so the DNSKEYs (and trust anchors) never change.
 */
export function signZones(extra: Record<string, string> = {}): { dir: string; zones: SignedZone[] } {
  const dir = mkdtempSync(join(tmpdir(), 'dunlin-signed-'));
  const template = readFileSync(join(DNSSEC_FIX, 'signed.zone.in'), 'utf8');
  const files = readdirSync(DNSSEC_FIX);
  const zones: SignedZone[] = [];
  for (const v of VARIANTS) {
    const base = files.find((f) => f.startsWith(`K${v.origin}.+`) && f.endsWith('.key'))!.slice(0, -'.key'.length);
    for (const ext of ['.key', '.private']) copyFileSync(join(DNSSEC_FIX, base + ext), join(dir, base + ext));
    const keyText = readFileSync(join(DNSSEC_FIX, `${base}.key`), 'utf8');
    const input = join(dir, `${v.origin}.in`);
    writeFileSync(input, `${template}${extra[v.origin] ?? ''}\n${keyText}`);
    const out = join(dir, `${v.origin}.zone`);
    // -z: the one key signs every RRset (a combined signing key).
    execFileSync('dnssec-signzone', ['-q', '-K', dir, '-o', v.origin, '-z', ...v.args, '-f', out, '-d', dir, input, join(dir, base)], { stdio: ['ignore', 'ignore', 'pipe'] });
    const dnskey = keyText.split('\n').find((l) => /\sDNSKEY\s/.test(l) && !l.startsWith(';'))!.trim();
    zones.push({ origin: v.origin, file: out, dnskey, mode: v.mode });
  }
  return { dir, zones };
}

// Test helpers: parse Prometheus text exposition, lint metric names (promlint rules + dunlin_<subsystem>_<name>), read values.
import assert from 'node:assert/strict';

export interface Family { name: string; type: string; help: string; samples: { name: string; labels: Record<string, string>; value: number }[] }

/** Parses Prometheus text exposition (enough of it to lint and to read values). */
export function parseExposition(text: string): Map<string, Family> {
  const fams = new Map<string, Family>();
  const famOf = (n: string): Family => {
    let f = fams.get(n);
    if (!f) { f = { name: n, type: '', help: '', samples: [] }; fams.set(n, f); }
    return f;
  };
  for (const line of text.split('\n')) {
    if (line === '') continue;
    let m = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
    if (m) {
      const f = famOf(m[2]!);
      if (m[1] === 'HELP') f.help = m[3]!; else f.type = m[3]!;
      continue;
    }
    m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m, `unparseable exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const lm of (m[2] ?? '').matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g)) labels[lm[1]!] = lm[2]!;
    const base = m[1]!.replace(/_(bucket|sum|count)$/, '');
    const fam = fams.get(m[1]!) ?? fams.get(base);
    assert.ok(fam, `sample ${m[1]} has no # TYPE`);
    fam.samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return fams;
}

/** promlint's rules that apply to us, plus the project's `dunlin_<subsystem>_<name>` convention. */
export function lint(fams: Map<string, Family>): string[] {
  const problems: string[] = [];
  for (const f of fams.values()) {
    if (!f.name.startsWith('dunlin_')) continue;
    if (!/^dunlin_[a-z]+_[a-z0-9_]+$/.test(f.name)) problems.push(`${f.name}: not dunlin_<subsystem>_<name> in snake_case`);
    if (!f.help) problems.push(`${f.name}: no HELP`);
    if (f.type === 'counter' && !f.name.endsWith('_total')) problems.push(`${f.name}: counter without _total`);
    if (f.type !== 'counter' && f.name.endsWith('_total')) problems.push(`${f.name}: non-counter with _total`);
    if (/_(ms|milliseconds|kb|mb|percent|count)(_|$)/.test(f.name)) problems.push(`${f.name}: use base units (seconds, bytes)`);
    if (/(gauge|counter|histogram|summary)/.test(f.name)) problems.push(`${f.name}: type in name`);
    if (f.type === 'histogram' && !/_(seconds|bytes)$/.test(f.name)) problems.push(`${f.name}: histogram without unit suffix`);
    for (const s of f.samples) for (const k of Object.keys(s.labels)) if (!/^[a-z][a-z0-9_]*$/.test(k)) problems.push(`${f.name}: label ${k} not snake_case`);
  }
  return problems;
}

export function value(fams: Map<string, Family>, name: string, labels: Record<string, string> = {}): number | undefined {
  const fam = fams.get(name.replace(/_(bucket|sum|count)$/, '')) ?? fams.get(name);
  const s = fam?.samples.find((x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v));
  return s?.value;
}


// Owns the dunlin(1) man page: generated from the CLI's own help texts (`dunlin help`, `dunlin help COMMAND`) at pack time.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;

function dunlin(...args: string[]): string {
  return execFileSync(process.execPath, [join(root, 'bin/dunlin.js'), ...args], { encoding: 'utf8' });
}

/** Text as roff that prints it verbatim: backslashes doubled, hyphens literal, no line read as a request. */
function verbatim(text: string): string {
  return text.trimEnd().split('\n').map((l) => {
    const e = l.replace(/\\/g, '\\e').replace(/-/g, '\\-');
    return /^[.']/.test(e) ? `\\&${e}` : e;
  }).join('\n');
}

/** The command names listed under "commands:" in the general help. */
export function commandNames(general: string): string[] {
  const section = general.split(/^commands:$/m)[1] ?? '';
  const names: string[] = [];
  for (const line of section.split('\n')) {
    if (line.trim() === '') {
      if (names.length > 0) break;
      continue;
    }
    const m = /^ {2}([a-z][a-z-]*)\s/.exec(line);
    if (m) names.push(m[1]!);
  }
  return names;
}

export function manPage(): string {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string; description: string };
  const general = dunlin('help');
  const sections = commandNames(general).map((name) => `.SS ${name}\n.nf\n${verbatim(dunlin('help', name))}\n.fi`);
  return `.TH DUNLIN 1 "" "dunlin ${pkg.version}" "User Commands"
.SH NAME
dunlin \\- ${verbatim(pkg.description.replace(/^./, (c) => c.toLowerCase()))}
.SH SYNOPSIS
.nf
${verbatim(general)}
.fi
.SH COMMANDS
${sections.join('\n')}
.SH FILES
.TP
.I /etc/dunlin/dunlin.yaml
the config file of the systemd unit (docs/configuration.md)
.TP
.I /var/lib/dunlin
the service's state directory
.TP
.I /run/dunlin/control.sock
the control socket, when the config sets it there (docs/deployment.md)
.SH SEE ALSO
The documentation shipped with the package: docs/configuration.md, docs/deployment.md,
docs/operations.md, docs/zone\\-format.md.
`;
}

if (import.meta.filename === process.argv[1]) {
  const out = process.argv[2] ?? join(root, 'dist/dunlin.1');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, manPage());
}

// Owns the text of `dunlin serve --help`: one line per flag, taken from the description of the key it replaces.
import { catalogEntry } from '../config/catalog.ts';
import { FLAGS } from '../config/flags.ts';

/** First clause of a key's description, without markdown, for one line of --help. */
function helpLine(f: (typeof FLAGS)[number]): string {
  const e = catalogEntry(f.key);
  const first = (e?.description ?? '').split(/; |\. /)[0]!.replace(/`/g, '').replace(/\.$/, '');
  const notes = [e?.typeText.startsWith('one of') ? e.typeText : null, e?.defaultText != null ? `default: ${e.defaultText.replace(/`/g, '')}` : null, f.repeatable ? 'repeatable' : null];
  const extra = notes.filter((n) => n !== null).join('; ');
  return extra === '' ? first : `${first} (${extra})`;
}

export function serveUsage(): string {
  const rows: [string, string][] = [['--config FILE', 'YAML config file (docs/configuration.md)'], ...FLAGS.map((f): [string, string] => [`${f.flag} ${f.value}`, helpLine(f)]), ['-h, --help', 'this help']];
  const width = Math.max(...rows.map(([l]) => l.length)) + 2;
  return `usage: dunlin serve [--config FILE] [options]

Serves the configured zones over UDP and TCP with one worker thread per CPU,
sharing one copy of every zone. Prints one line to stdout when every worker listens:
  dunlin ready udp=ADDR[,ADDR] tcp=ADDR[,ADDR] workers=N pid=PID
Logs (JSON) go to stderr. Each flag replaces its key of the config file.

options:
${rows.map(([l, r]) => `  ${l.padEnd(width)}${r}`).join('\n')}

signals: SIGTERM/SIGINT stop gracefully, SIGHUP re-reads the config file and reloads changed zones.
exit codes: 0 stopped cleanly, 1 failure (config, bind, startup), 2 usage`;
}

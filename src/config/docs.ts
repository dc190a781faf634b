// Owns the generated user documentation of the configuration (docs/configuration.md) and the JSON Schema file for editors.
import { catalog, editorJsonSchema } from './catalog.ts';
import type { CatalogEntry } from './catalog.ts';
import { FLAGS } from './flags.ts';

export const CONFIG_DOC_PATH = 'docs/configuration.md';
export const JSON_SCHEMA_PATH = 'docs/dunlin.schema.json';

const INTRO = `# Configuration

<!-- Generated from src/config/schema.ts by \`npm run docs:config\`; edit the schema, not this page. -->

\`dunlin serve\` reads one YAML file (\`--config FILE\`) and command-line flags. Every key, its type,
default and range is defined once, in \`src/config/schema.ts\`; this page and the JSON Schema
[\`dunlin.schema.json\`](dunlin.schema.json) are generated from it. Editors that use
yaml-language-server (VS Code's YAML extension, for one) complete and check the file when it starts with
\`# yaml-language-server: $schema=<path to>/docs/dunlin.schema.json\`.

\`\`\`yaml
listen: ["127.0.0.1:5300", "[::1]:5300"]
workers: 4
udp: { payload_size: 1232 }
tcp: { idle_timeout_ms: 10000, read_timeout_ms: 5000, max_connections: 1000, max_queries_per_connection: 1000000, on_limit: close-idlest }
zones:
  - { name: example.com, file: example.com.zone }
control: { socket: /run/dunlin/control.sock }
metrics: { listen: "127.0.0.1:9153" }
log: { level: info }
\`\`\`

A complete example is \`examples/dunlin.yaml\` (\`npm start\` serves it on 127.0.0.1:5300 and [::1]:5300).

## Rules

- **Unknown keys and bad values stop startup** (exit code 1) with one line naming the key path and
  what was expected, e.g.
  \`config error: tcp.idle_timeout_ms: expected an integer from 100 to 3600000, got "ten"\`,
  \`config error: tcp.idel_timeout_ms: unknown key (did you mean tcp.idle_timeout_ms?)\` or
  \`config error: zones[2].acl[0]: unknown acl "xfr"\`.
  YAML syntax errors name \`file:line:col\`. Duplicate keys are errors. A key documented as a list
  must be written as a list (\`action: [transfer]\`, not \`action: transfer\`).
- **A key with no value** (\`tcp:\` alone) is the same as an absent key: its default applies.
- **Flags override the file**: ${FLAGS.map((f) => `\`${f.flag}\`${f.repeatable ? ' (repeatable)' : ''} replaces \`${f.key}\``).join(', ')}.
  A bad flag value is reported with the key and the flag:
  \`config error: workers (--workers): expected an integer from 1 to 256, got "many"\`.
- **Relative paths** (\`zones[].file\`, \`control.socket\`) in the file are relative to the file's
  directory; on the command line, relative to the working directory.
- **Without a file**, everything comes from flags and defaults:
  \`dunlin serve --listen 127.0.0.1:5300 --zone example.com=examples/example.com.zone --workers 2\`.
- **Zones that fail to load** at startup are logged with \`file:line:col\` and not served; the server
  starts and serves the others, as NSD and Knot do (an operator would rather lose one zone than all
  of them; each error is logged once). On SIGHUP, a zone whose file (or a
  file it \`$INCLUDE\`s) changed is reloaded; if the new version fails, the previous one keeps being
  served and the error is logged.
- **SIGHUP (and \`reload\` on the control socket) reads this file again**, with the command-line flags
  on top as at startup. Zones added to \`zones\` are loaded, zones removed stop being served, a zone
  whose settings changed is loaded again (its current version serves until the new one is built).
  \`log.level\`, \`keys\`, \`remotes\` and \`acls\` take effect at once; every other changed key needs a
  restart: it is logged as a warning naming the key (\`configuration: tcp.idle_timeout_ms: changing it
  needs a restart; keeping 10000\`) and the running value stays. A file that no longer validates
  changes nothing: the error is logged with the key path and the zones are reloaded as configured.
- **Finite defaults.** Every TCP limit has a finite default, close to Knot's and NSD's.

## Keys, remotes and ACLs

\`keys\` (TSIG), \`remotes\` and \`acls\` are named definitions, modelled on Knot's, that zones refer to by
name in \`acl\`, \`notify\` and \`primaries\`; they are what zone transfers, NOTIFY and dynamic updates
use. The running server has none of those three features: it answers queries (QUERY) only, and
serves every zone from its \`file\`, including a zone that lists \`primaries\`. The definitions and
every reference between them are checked at startup: a reference to a name that is not defined,
a duplicate name or a secret that is not base64 stops startup with the key path.

\`\`\`yaml
keys:
  - { name: xfr-key, algorithm: hmac-sha256, secret: "c2VjcmV0IGJ5dGVzIGZvciB0c2lnIQ==" }
remotes:
  - { name: knot-sec, address: "192.0.2.1:53", key: xfr-key }
acls:
  - { name: secondaries, address: [192.0.2.0/24, "2001:db8::/32"], key: xfr-key, action: [transfer, notify] }
zones:
  - { name: example.com, file: example.com.zone, notify: [knot-sec], acl: [secondaries] }
\`\`\`

## Every key
`;

function defaultLine(e: CatalogEntry): string | null {
  if (e.defaultText !== null) return `- default: ${e.defaultText}`;
  if (e.kind === 'group') return null;
  if (e.hasDefault) return `- default: \`${JSON.stringify(e.default)}\``;
  return e.required ? '- required' : '- optional';
}

function section(e: CatalogEntry): string {
  const lines = [`### \`${e.key}\``, ''];
  if (e.kind !== 'group') lines.push(`- type: ${e.typeText}`);
  const d = defaultLine(e);
  if (d !== null) lines.push(d);
  if (e.flag !== null) lines.push(`- flag: \`${e.flag}\``);
  if (lines.length > 2) lines.push('');
  if (e.description !== '') lines.push(e.description, '');
  return lines.join('\n');
}

/** docs/configuration.md, from the schema. */
export function renderConfigDocs(): string {
  return INTRO + '\n' + catalog().map(section).join('\n');
}

/** docs/dunlin.schema.json, from the schema. */
export function renderJsonSchema(): string {
  return JSON.stringify(editorJsonSchema(), null, 2) + '\n';
}

// Owns `dunlin check-zone`: validate one zone file, print it canonically on stdout, problems on stderr.
import { parseArgs } from 'node:util';
import { Name } from '../wire/name.ts';
import { formatProblem, guessOrigin, loadZoneFile, printZone, readZoneText } from '../zone/index.ts';

const usage = `usage: dunlin check-zone <file> [--origin NAME]

Validates a master file (RFC 1035 §5 with $ORIGIN, $TTL, $INCLUDE, $GENERATE) and prints it in
canonical form: one record per line, absolute names, explicit TTL and class, canonical order.
Problems go to stderr as file:line:col: severity: message.

  --origin NAME   zone origin; default: the file's absolute $ORIGIN or SOA owner, else the file
                  name without .zone/.db
  -h, --help      this text

exit codes: 0 valid (warnings allowed), 1 invalid zone, 2 usage`;

let pipeGuard = false;

/**
 * Writes and resolves once the data is handed to the OS (large zones must not be cut off). A
 * reader that goes away (`check-zone big.zone | head`) makes the write fail with EPIPE: the error
 * is absorbed so the exit code still tells whether the zone is valid.
 */
function write(stream: NodeJS.WriteStream, text: string): Promise<void> {
  if (!pipeGuard) {
    pipeGuard = true;
    process.stdout.on('error', () => undefined);
    process.stderr.on('error', () => undefined);
  }
  return new Promise((resolve) => {
    if (text.length === 0 || stream.destroyed) {
      resolve();
      return;
    }
    stream.write(text, () => resolve());
  });
}

export async function main(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, strict: true, options: { origin: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  } catch (err) {
    await write(process.stderr, `dunlin check-zone: ${err instanceof Error ? err.message : String(err)}\n${usage}\n`);
    return 2;
  }
  if (parsed.values.help) {
    await write(process.stdout, usage + '\n');
    return 0;
  }
  const [file, ...extra] = parsed.positionals;
  if (file === undefined || extra.length > 0) {
    await write(process.stderr, `dunlin check-zone: ${file === undefined ? 'missing zone file' : `unexpected argument "${extra[0]!}"`}\n${usage}\n`);
    return 2;
  }
  let origin: Name;
  try {
    if (parsed.values.origin !== undefined) {
      const o = parsed.values.origin;
      origin = Name.fromText(o.endsWith('.') ? o : o + '.');
    } else {
      let text = '';
      try {
        text = readZoneText(file);
      } catch {
        // loadZoneFile reports the unreadable file below.
      }
      origin = guessOrigin(text, file);
    }
  } catch (err) {
    await write(process.stderr, `dunlin check-zone: bad origin: ${err instanceof Error ? err.message : String(err)}\n`);
    return 2;
  }
  const result = loadZoneFile(file, origin);
  const problems = [...result.errors, ...result.warnings].map(formatProblem);
  if (problems.length > 0) await write(process.stderr, problems.join('\n') + '\n');
  if (result.errors.length > 0) {
    await write(process.stderr, `zone ${origin.toText()}: not loaded: ${result.errors.length} error(s)\n`);
    return 1;
  }
  await write(process.stdout, printZone(result.records, origin));
  await write(process.stderr, `zone ${origin.toText()}: ${result.records.length} records, serial ${result.serial ?? 0}, ${result.warnings.length} warning(s)\n`);
  return 0;
}

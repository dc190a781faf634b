// Owns loading a zone from disk: read (latin1: one character per octet), parse, check, one ZoneLoadResult.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { RRType, typeFromText } from '../wire/constants.ts';
import { Name } from '../wire/name.ts';
import { checkTable } from './check.ts';
import { Lexer } from './lexer.ts';
import { parseZoneToTable } from './parser.ts';
import { MAX_LISTED_ERRORS } from './problems.ts';
import type { RecordTable } from './table.ts';
import type { ZoneLoadResult, ZoneProblem } from './types.ts';

export interface LoadOptions {
  /** Errors listed before "and N more" (default 100). */
  readonly maxErrors?: number;
  /** Reads a zone file or an $INCLUDEd one as latin1 text (default: from disk). */
  readonly readFile?: (path: string) => string;
}

/**
 * Zone files are read as latin1 so every octet survives as one character: `\DDD` and raw octets
 * above 0x7F then mean the same bytes in names and character-strings (RFC 1035 §5.1 is octet-based).
 */
export function readZoneText(path: string): string {
  return readFileSync(path, 'latin1');
}

function cap(list: readonly ZoneProblem[], max: number, file: string, severity: 'error' | 'warning'): ZoneProblem[] {
  // A previous stage may already have appended its own "and N more"; recount from the raw lists.
  let extra = 0;
  const real: ZoneProblem[] = [];
  for (const p of list) {
    const m = p.line === 0 && /^and (\d+) more (errors|warnings)$/.exec(p.message);
    if (m) extra += Number(m[1]);
    else real.push(p);
  }
  const out = real.slice(0, max);
  extra += real.length - out.length;
  if (extra > 0) out.push({ severity, file, line: 0, col: 0, message: `and ${extra} more ${severity}s` });
  return out;
}

/** A loaded zone in compact form: the table plus which of its records to serve, in order. */
export interface TableLoadResult {
  readonly origin: Name;
  /** Null when errors exist. */
  readonly table: RecordTable | null;
  /** Record numbers to serve (duplicates and out-of-zone records left out); TTLs already unified in the table. */
  readonly order: Uint32Array;
  readonly errors: readonly ZoneProblem[];
  readonly warnings: readonly ZoneProblem[];
  readonly serial: number | null;
}

/**
 * Parses and checks a zone file into a RecordTable, never making an object per record: the
 * server's path (the store builds from the table). Never throws for bad zone content.
 */
export function loadZoneTable(path: string, origin: Name, opts: LoadOptions = {}): TableLoadResult {
  const max = opts.maxErrors ?? MAX_LISTED_ERRORS;
  const none = new Uint32Array(0);
  let text: string;
  try {
    text = (opts.readFile ?? readZoneText)(path);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const msg = `cannot read zone file${typeof code === 'string' ? ` (${code})` : ''}: ${err instanceof Error ? err.message : String(err)}`;
    return { origin, table: null, order: none, errors: [{ severity: 'error', file: path, line: 0, col: 0, message: msg }], warnings: [], serial: null };
  }
  const parsed = parseZoneToTable(text, { origin, file: path, readFile: opts.readFile ?? readZoneText, maxErrors: max });
  if (parsed.errors.length > 0) {
    return { origin, table: null, order: none, errors: parsed.errors, warnings: parsed.warnings, serial: null };
  }
  const checked = checkTable(origin, parsed.table, path);
  const errors = cap(checked.errors, max, path, 'error');
  return {
    origin,
    table: errors.length > 0 ? null : parsed.table,
    order: checked.order,
    errors,
    warnings: cap([...parsed.warnings, ...checked.warnings], max, path, 'warning'),
    serial: checked.serial,
  };
}

/** Parses and checks a zone file. Never throws for bad zone content; an unreadable file is an error result. */
export function loadZoneFile(path: string, origin: Name, opts: LoadOptions = {}): ZoneLoadResult {
  const r = loadZoneTable(path, origin, opts);
  return { origin, records: r.table ? r.table.toRecords(r.order) : [], errors: r.errors, warnings: r.warnings, serial: r.serial };
}

/**
 * The origin a file declares for itself, for `check-zone` without --origin: an absolute `$ORIGIN`
 * before the first record, else an absolute owner of an SOA that is the first record, else the
 * file name without a `.zone`/`.db` suffix (and without a `db.` prefix, the BIND habit).
 */
export function guessOrigin(text: string, file: string): Name {
  const lexer = new Lexer(text, () => undefined);
  for (let e = lexer.next(); e !== null; e = lexer.next()) {
    const t0 = e.tokens[0]!;
    if (!e.blankOwner && t0.text.toUpperCase() === '$ORIGIN') {
      const arg = e.tokens[1];
      if (arg && arg.text.endsWith('.') && !arg.text.endsWith('\\.')) {
        try {
          return Name.fromText(arg.text);
        } catch {
          break;
        }
      }
      break;
    }
    if (!e.blankOwner && t0.text.charCodeAt(0) === 0x24) continue; // $TTL and friends
    if (!e.blankOwner && t0.text.endsWith('.') && e.tokens.slice(1, 4).some((t) => typeFromText(t.text) === RRType.SOA)) {
      try {
        return Name.fromText(t0.text);
      } catch {
        break;
      }
    }
    break;
  }
  let base = basename(file);
  if (/\.(zone|db)$/i.test(base)) base = base.replace(/\.(zone|db)$/i, '');
  else if (/^db\./i.test(base)) base = base.slice(3);
  return Name.fromText(base.endsWith('.') ? base : base + '.');
}

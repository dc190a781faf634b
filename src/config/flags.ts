// Owns the list of `dunlin serve` flags and the keys they replace (kept apart from the schema so that worker processes never load it).

/** A command-line flag and the key it replaces; `serve --help` takes its text from the key's description. */
export interface FlagSpec {
  readonly flag: string;
  /** Field of ConfigOverrides. */
  readonly option: string;
  /** Dotted key path. */
  readonly key: string;
  readonly value: string;
  readonly repeatable: boolean;
}

// The one list of flags: serve's parser, --help, the docs and the loader's overrides all come from it.
export const FLAGS = [
  { flag: '--listen', option: 'listen', key: 'listen', value: 'IP:PORT', repeatable: true },
  { flag: '--zone', option: 'zones', key: 'zones', value: 'NAME=FILE', repeatable: true },
  { flag: '--workers', option: 'workers', key: 'workers', value: 'N', repeatable: false },
  { flag: '--control', option: 'control', key: 'control.socket', value: 'PATH', repeatable: false },
  { flag: '--metrics', option: 'metrics', key: 'metrics.listen', value: 'IP:PORT', repeatable: false },
  { flag: '--log-level', option: 'logLevel', key: 'log.level', value: 'LEVEL', repeatable: false },
  { flag: '--log-format', option: 'logFormat', key: 'log.format', value: 'json|pretty', repeatable: false },
] as const satisfies readonly FlagSpec[];

/** Command-line overrides, as typed by the user; each replaces the matching key of the file. */
export type ConfigOverrides = {
  readonly [F in (typeof FLAGS)[number] as F['option']]?: F['repeatable'] extends true ? readonly string[] : string;
};

// Owns the flat view of the schema: every key path with its type text, default and description, and the JSON Schema for editors.
import * as z from 'zod';
import { FLAGS } from './flags.ts';
import { configSchema } from './schema.ts';

export interface CatalogEntry {
  /** Dotted key path; items of a list of mappings are `zones[].name`. */
  readonly key: string;
  /** group: a mapping of keys; list: a list of mappings; leaf: a value. */
  readonly kind: 'group' | 'list' | 'leaf';
  readonly typeText: string;
  readonly description: string;
  /** True when the key has a default (`default` holds it, JSON). */
  readonly hasDefault: boolean;
  readonly default: unknown;
  readonly defaultText: string | null;
  /** An integer key: a flag's text is turned into a number. */
  readonly integer: boolean;
  readonly required: boolean;
  readonly flag: string | null;
}

type Node = Record<string, unknown> & { properties?: Record<string, Node>; items?: Node; required?: string[] };

// Metadata the docs use; not JSON Schema keywords, so the file for editors leaves it out.
const PRIVATE_META = ['typeText', 'defaultText'];

function rawJsonSchema(): Node {
  return z.toJSONSchema(configSchema, { io: 'input', target: 'draft-2020-12' }) as Node;
}

let cached: readonly CatalogEntry[] | null = null;

/** Every key of the schema, parents before children, in schema order. */
export function catalog(): readonly CatalogEntry[] {
  if (cached !== null) return cached;
  const out: CatalogEntry[] = [];
  const walk = (node: Node, prefix: string): void => {
    const required = new Set(node.required ?? []);
    for (const [name, child] of Object.entries(node.properties ?? {})) {
      const key = prefix + name;
      const items = child.items;
      const kind = child.properties !== undefined ? 'group' : items?.properties !== undefined ? 'list' : 'leaf';
      const str = (k: string): string | null => (typeof child[k] === 'string' ? child[k] : null);
      out.push({
        key,
        kind,
        typeText: str('typeText') ?? (kind === 'group' ? 'a mapping' : 'a value'),
        description: str('description') ?? '',
        hasDefault: 'default' in child,
        default: child['default'],
        defaultText: str('defaultText'),
        integer: child['type'] === 'integer',
        required: required.has(name),
        flag: FLAGS.find((f) => f.key === key)?.flag ?? null,
      });
      if (kind === 'group') walk(child, key + '.');
      if (kind === 'list') walk(items!, key + '[].');
    }
  };
  walk(rawJsonSchema(), '');
  cached = out;
  return out;
}

export function catalogEntry(key: string): CatalogEntry | undefined {
  return catalog().find((e) => e.key === key);
}

/** The JSON Schema of the YAML file, for editors (yaml-language-server, VS Code). */
export function editorJsonSchema(): Record<string, unknown> {
  const strip = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(strip);
    if (typeof v !== 'object' || v === null) return v;
    return Object.fromEntries(Object.entries(v).filter(([k]) => !PRIVATE_META.includes(k)).map(([k, x]) => [k, strip(x)]));
  };
  return { ...(strip(rawJsonSchema()) as Record<string, unknown>), title: 'Dunlin configuration', description: 'dunlin serve --config FILE (docs/configuration.md)' };
}

// Owns the check that docs/configuration.md and docs/dunlin.schema.json are what `npm run docs:config` generates from the schema.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { catalog } from '../../src/config/catalog.ts';
import { CONFIG_DOC_PATH, JSON_SCHEMA_PATH, renderConfigDocs, renderJsonSchema } from '../../src/config/docs.ts';
import { ROOT } from '../helpers/harness.ts';

test('docs/configuration.md is current (run `npm run docs:config` after changing the schema)', () => {
  assert.ok(readFileSync(join(ROOT, CONFIG_DOC_PATH), 'utf8') === renderConfigDocs(), `${CONFIG_DOC_PATH} is out of date: run npm run docs:config`);
});

test('docs/dunlin.schema.json is current and describes every key', () => {
  const text = readFileSync(join(ROOT, JSON_SCHEMA_PATH), 'utf8');
  assert.ok(text === renderJsonSchema(), `${JSON_SCHEMA_PATH} is out of date: run npm run docs:config`);
  const schema = JSON.parse(text) as { $schema: string; additionalProperties: boolean; properties: Record<string, { description?: string }> };
  assert.match(schema.$schema, /json-schema\.org/);
  assert.equal(schema.additionalProperties, false);
  const top = catalog().filter((e) => !/[.[]/.test(e.key)).map((e) => e.key);
  assert.deepEqual(Object.keys(schema.properties), top);
  for (const k of top) assert.ok((schema.properties[k]?.description ?? '') !== '', `${k} has a description`);
  assert.doesNotMatch(text, /typeText|defaultText/);
});

// Owns `npm run docs:config`: writes docs/configuration.md and docs/dunlin.schema.json from the schema.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_DOC_PATH, JSON_SCHEMA_PATH, renderConfigDocs, renderJsonSchema } from './docs.ts';

const root = new URL('../..', import.meta.url).pathname;
writeFileSync(join(root, CONFIG_DOC_PATH), renderConfigDocs());
writeFileSync(join(root, JSON_SCHEMA_PATH), renderJsonSchema());
process.stdout.write(`wrote ${CONFIG_DOC_PATH} and ${JSON_SCHEMA_PATH}\n`);

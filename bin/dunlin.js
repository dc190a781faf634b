#!/usr/bin/env node
// Entry point for `dunlin`: runs the TypeScript sources directly (Node >= 22.18 strips types), or dist/ when built.
import { existsSync } from 'node:fs';
const built = new URL('../dist/cli/main.js', import.meta.url);
await import(existsSync(built) ? built.href : new URL('../src/cli/main.ts', import.meta.url).href);

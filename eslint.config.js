// ESLint flat config: type-aware rules for a socket server, and the layer boundaries of docs/architecture.md.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { defineConfig } from 'eslint/config';

// The pure layers never touch sockets, files, processes or timers (DEVELOPERS.md, "Architecture").
const ioModules = ['net', 'dgram', 'fs', 'fs/promises', 'timers', 'timers/promises', 'child_process', 'cluster', 'worker_threads', 'tls', 'http', 'https', 'http2'];
const ioPatterns = ioModules.flatMap((m) => [m, `node:${m}`]);
const upward = (layers) => layers.map((l) => `**/${l}/**`);
const layerRule = (forbiddenLayers, io) => ({
  'no-restricted-imports': ['error', {
    paths: io ? ioPatterns.map((name) => ({ name, message: 'pure layer: no I/O imports' })) : [],
    patterns: forbiddenLayers.length ? [{ group: upward(forbiddenLayers), message: 'dependencies point one way: wire <- zone <- store <- lookup <- responder <- transport <- server <- cli' }] : [],
  }],
  'no-restricted-globals': io ? ['error', 'setTimeout', 'setInterval', 'setImmediate', 'process'] : 'off',
});
const above = ['zone', 'store', 'lookup', 'responder', 'transport', 'server', 'cli', 'control', 'metrics', 'tsig', 'xfr'];

export default defineConfig(
  { ignores: ['dist/**', 'node_modules/**', 'bin/**', 'eslint.config.js', 'test/fixtures/**'] },
  js.configs.recommended,
  tseslint.configs.strictTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unnecessary-condition': 'off',
      '@typescript-eslint/prefer-literal-enum-member': 'off',
      '@typescript-eslint/no-unnecessary-type-parameters': 'off',
      '@typescript-eslint/no-confusing-void-expression': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
      'no-control-regex': 'off',
      'no-process-exit': 'error',
    },
  },
  { files: ['src/wire/**'], rules: layerRule(above, true) },
  { files: ['src/zone/**'], rules: layerRule(above.slice(1), false) },
  { files: ['src/store/**'], rules: layerRule(above.slice(2), false) },
  { files: ['src/lookup/**'], rules: layerRule(above.slice(3), true) },
  { files: ['src/responder/**'], rules: layerRule(above.slice(4), true) },
  // The I/O layers: each imports only what lies below it, never what imports it.
  { files: ['src/transport/**'], rules: layerRule(['server', 'cli', 'control', 'metrics', 'config', 'tsig', 'xfr'], false) },
  // TSIG is pure (node:crypto only) and sits beside the responder: it reads wire, nothing above.
  { files: ['src/tsig/**'], rules: layerRule(['zone', 'store', 'lookup', 'responder', 'transport', 'server', 'cli', 'control', 'metrics', 'config', 'xfr'], true) },
  // Transfers, NOTIFY and their journal: I/O below the server (which wires them), above the core.
  { files: ['src/xfr/**'], rules: layerRule(['server', 'cli', 'control', 'metrics'], false) },
  { files: ['src/server/**'], rules: layerRule(['cli'], false) },
  { files: ['src/cli/**'], rules: layerRule([], false) }, // the top: it may use every layer
  // The edges: config is read by server and cli; control by server, cli and metrics; metrics by server.
  { files: ['src/config/**'], rules: layerRule(['server', 'cli', 'control', 'metrics', 'tsig', 'xfr'], false) },
  { files: ['src/control/**'], rules: layerRule(['server', 'cli', 'metrics', 'config'], false) },
  { files: ['src/metrics/**'], rules: layerRule(['server', 'cli', 'config'], false) },
  // log is a leaf every layer may use: it imports none of them.
  { files: ['src/log/**'], rules: layerRule(['wire', 'zone', 'store', 'lookup', 'responder', 'transport', 'server', 'cli', 'control', 'metrics', 'config', 'tsig', 'xfr'], false) },
  { files: ['src/cli/**', 'test/**', 'bench/**'], rules: { 'no-process-exit': 'off' } },
  { files: ['test/**', 'bench/**'], rules: {
    '@typescript-eslint/no-floating-promises': 'off',
    '@typescript-eslint/no-non-null-assertion': 'off',
    '@typescript-eslint/no-unsafe-assignment': 'off',
    '@typescript-eslint/no-unsafe-member-access': 'off',
    '@typescript-eslint/no-unsafe-argument': 'off',
    '@typescript-eslint/no-unsafe-call': 'off',
  } },
);

// Owns the optional build of the batched-UDP addon at install time: node-gyp with the running Node's headers, never failing the install.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const skip = (why) => {
  // One line, exit 0: without the addon Dunlin serves UDP through dgram (docs/udp-batching.md).
  console.log(`dunlin: batched UDP addon not built (${why}); UDP will use node:dgram`);
  process.exit(0);
};

if (process.platform !== 'linux') skip(`${process.platform} is not Linux`);
if (process.env.DUNLIN_SKIP_NATIVE === '1') skip('DUNLIN_SKIP_NATIVE=1');

// npm passes its own node-gyp to lifecycle scripts; otherwise use the copy npm bundles.
const candidates = [process.env.npm_config_node_gyp];
if (process.env.npm_execpath) candidates.push(join(dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
const gyp = candidates.find((p) => p && existsSync(p));
if (!gyp) skip('node-gyp not found');

// Headers of the running Node (the `node` package ships them), so the build needs no network.
// Node-API is ABI-stable: any Node's headers would do; without local ones node-gyp would download.
const nodedir = dirname(dirname(process.execPath));
const args = [gyp, 'rebuild', '--directory', here];
if (existsSync(join(nodedir, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${nodedir}`);
const r = spawnSync(process.execPath, args, { cwd: here, encoding: 'utf8', timeout: 180_000, env: { ...process.env, npm_config_loglevel: 'silent' } });
if (r.status !== 0) {
  const lines = `${r.stderr ?? ''}${r.stdout ?? ''}${r.error?.message ?? ''}`.split('\n').map((l) => l.trim());
  const why = lines.find((l) => /error/i.test(l) && !/gyp ERR! (cwd|node|command|System|not ok)/.test(l)) ?? lines.find((l) => /not found|fail/i.test(l));
  skip(`node-gyp failed: ${why ?? `exit ${r.status ?? r.signal}`}`);
}
console.log('dunlin: batched UDP addon built (native/build/Release/dunlin_udp.node)');

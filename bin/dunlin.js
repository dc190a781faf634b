#!/usr/bin/env node
// Entry point for `dunlin`: checks the Node.js version first, then runs dist/ (installed) or src/ (a checkout).
// Plain JavaScript that any old Node parses: no static imports, no syntax newer than ES2017.
'use strict';

// Node opens its inspector (code execution as our user) on SIGUSR1 unless a handler exists: one
// exists from the first line on; `dunlin serve` adds the one that logs statistics.
process.on('SIGUSR1', function () {});

var MINIMUM = 'Node.js >= 22.12 (or >= 23.1 on the 23 line)';

/** True when this Node has what Dunlin needs: SO_REUSEPORT on dgram/net (22.12.0, 23.1.0). */
function supported(version) {
  var v = version.split('.').map(Number);
  if (v[0] === 22) return v[1] >= 12;
  if (v[0] === 23) return v[1] >= 1;
  return v[0] > 23;
}

function fail(message) {
  process.stderr.write('dunlin: ' + message + '\n');
  process.exitCode = 1;
}

if (!supported(process.versions.node)) {
  fail(MINIMUM + ' is required (this is v' + process.versions.node + ')');
} else {
  start();
}

/** Newest modification time of the .ts files under dir (0 when none). */
function newestSource(fs, path, dir) {
  var newest = 0;
  fs.readdirSync(dir, { withFileTypes: true }).forEach(function (e) {
    var p = path.join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestSource(fs, path, p));
    else if (e.name.endsWith('.ts')) newest = Math.max(newest, fs.statSync(p).mtimeMs);
  });
  return newest;
}

/**
 * An installed package (no src/) runs dist/. A checkout (src/ present) runs src/ when this Node strips
 * types, and otherwise dist/ only if it was built after the last change to src/: never a stale build.
 */
async function start() {
  var fs = await import('node:fs');
  var path = await import('node:path');
  var url = await import('node:url');
  var root = path.dirname(path.dirname(url.fileURLToPath(import.meta.url)));
  var src = path.join(root, 'src', 'cli', 'main.ts');
  var dist = path.join(root, 'dist', 'cli', 'main.js');
  var target = dist;
  if (fs.existsSync(src)) {
    if (process.features.typescript) {
      target = src;
    } else if (!fs.existsSync(dist) || fs.statSync(dist).mtimeMs < newestSource(fs, path, path.join(root, 'src'))) {
      fail((fs.existsSync(dist) ? 'dist/ is older than src/' : 'dist/ is missing') + ' and Node.js v' + process.versions.node +
        ' cannot run TypeScript: run `npm run build`, or use Node.js >= 22.18');
      return;
    }
  } else if (!fs.existsSync(dist)) {
    fail('this package has no dist/: reinstall it from a packed tarball (npm pack builds dist/)');
    return;
  }
  await import(url.pathToFileURL(target).href);
}

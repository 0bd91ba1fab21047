/**
 * The entry bin/holdfast runs. Plain JavaScript, so loading it needs no TypeScript: it
 * turns on Node's compile cache and only then imports the program (holdfast.ts). With a
 * warm cache every module's type-stripped source comes from the cache and Node never
 * loads its type stripper, a WebAssembly module of ~20 MB resident for the whole run
 * (worker threads do the same, see mover/worker/worker-pool.ts). The cache lives in the
 * user's cache folder, beside the repository caches (the same rule as config/cli-env.ts);
 * where it cannot be made, Node runs the program uncached, as before.
 */
import module from 'node:module';
import { join } from 'node:path';

const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  process.stderr.write(`holdfast: needs Node.js 24 or newer, and ${process.execPath} is ${process.version} (\`make setup\` brings Node 24 into ~/.cache/holdfast-dev/node24)\n`);
  process.exit(2);
}

const { HOLDFAST_COMPILE_CACHE, XDG_CACHE_HOME, HOME } = process.env;
const cacheRoot = XDG_CACHE_HOME ? join(XDG_CACHE_HOME, 'holdfast') : HOME ? join(HOME, '.cache', 'holdfast') : undefined;
// HOLDFAST_COMPILE_CACHE names the folder outright (the bench keeps it apart from the per-repository XDG_CACHE_HOME it sets).
const cacheDir = HOLDFAST_COMPILE_CACHE || (cacheRoot !== undefined ? join(cacheRoot, 'compile-cache') : undefined);
if (cacheDir !== undefined) module.enableCompileCache(cacheDir);

await import('./holdfast.ts');

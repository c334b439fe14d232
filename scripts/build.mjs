// One esbuild step for everything: extension, language server, CLI, panel, tests and benchmarks.
// ps-list and pidtree are ESM-only; they are bundled into the CommonJS outputs, with
// import.meta.url supplied so their module-level `fileURLToPath(import.meta.url)` works.
import * as esbuild from 'esbuild';
import { readdirSync, mkdirSync, copyFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const out = join(root, 'out');
const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');
const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;

const nodeCommon = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  minify: production,
  sourcemap: production ? false : 'linked',
  logLevel: 'warning',
  define: { 'import.meta.url': '__ipcScopeImportMetaUrl', IPC_SCOPE_VERSION: JSON.stringify(version) },
  banner: { js: 'const __ipcScopeImportMetaUrl = require("url").pathToFileURL(__filename).href;' },
};

function testEntries(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => f.endsWith('.test.ts')).map((f) => join(dir, f));
}

const builds = [
  { ...nodeCommon, entryPoints: { extension: 'extension/src/main.ts' }, outdir: out, external: ['vscode'] },
  { ...nodeCommon, entryPoints: { server: 'server/src/lsp/main.ts' }, outdir: out },
  // The OS view's /proc reads run in this worker thread (loaded from out/ by the server, CLI, bench and tests).
  { ...nodeCommon, entryPoints: { ipcWorker: 'server/src/inspect/ipcWorker.ts' }, outdir: out },
  { ...nodeCommon, entryPoints: { dap: 'server/src/debug/main.ts' }, outdir: out },
  {
    ...nodeCommon,
    entryPoints: { cli: 'server/src/cli/main.ts' },
    outdir: out,
    banner: { js: '#!/usr/bin/env node\n' + nodeCommon.banner.js },
  },
  {
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'chrome114',
    minify: production,
    sourcemap: production ? false : 'linked',
    logLevel: 'warning',
    entryPoints: { webview: 'webview/src/main.ts' },
    outdir: out,
  },
];
if (!production) {
  const tests = testEntries(join(root, 'test/unit'));
  if (tests.length) builds.push({ ...nodeCommon, entryPoints: tests, outdir: join(out, 'test'), external: ['playwright-core'] });
  if (existsSync(join(root, 'test/bench/main.ts'))) {
    builds.push({ ...nodeCommon, entryPoints: { bench: 'test/bench/main.ts' }, outdir: out, external: ['playwright-core'] });
  }
}

process.chdir(root);
mkdirSync(out, { recursive: true });
if (existsSync('webview/src/panel.css')) copyFileSync('webview/src/panel.css', join(out, 'webview.css'));
// The Python parser's wasm (web-tree-sitter's runtime and the grammar) loads from the bundle's directory.
for (const wasm of ['node_modules/web-tree-sitter/web-tree-sitter.wasm', 'node_modules/tree-sitter-python/tree-sitter-python.wasm']) {
  copyFileSync(wasm, join(out, wasm.slice(wasm.lastIndexOf('/') + 1)));
}
if (watch) {
  for (const b of builds) await (await esbuild.context(b)).watch();
} else {
  // Build every bundle even if one fails, then fail once (esbuild has printed the errors).
  const results = await Promise.allSettled(builds.map((b) => esbuild.build(b)));
  if (results.some((r) => r.status === 'rejected')) process.exit(1);
}

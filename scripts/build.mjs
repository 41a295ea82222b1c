#!/usr/bin/env node
// One esbuild script, one entry per bundle (docs/design.md section 2):
//   dist/extension.js  extension host (cjs; vscode, onnxruntime-node and sharp stay external)
//   dist/worker.js     analysis worker, forked by the extension host
//   dist/cli.js        the `neurflow` command line
//   dist/webview.js    the panel (browser, esm, minified) + dist/webview.css + dist/codicons/
//   dist/test/suite/*  the extension test suite (mocha, runs inside VS Code; left out of the .vsix)
// Usage: node scripts/build.mjs [--production] [--watch]   (--production: no sourcemaps)
import * as esbuild from 'esbuild';
import { chmodSync, cpSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { boundariesPlugin } from './boundaries.mjs';

const root = new URL('..', import.meta.url).pathname;
const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');
const dist = join(root, 'dist');

const node = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node18',
  sourcemap: production ? false : 'linked',
  external: ['vscode', 'onnxruntime-node', 'sharp', 'mocha'],
  logLevel: 'warning',
  absWorkingDir: root,
  plugins: [boundariesPlugin(root)],
};

const suiteDir = join(root, 'test/suite');
const suites = readdirSync(suiteDir)
  .filter((f) => f.endsWith('.ts'))
  .map((f) => join('test/suite', f));

const targets = [
  { ...node, entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.js' },
  { ...node, entryPoints: ['src/worker/main.ts'], outfile: 'dist/worker.js' },
  { ...node, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } },
  {
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'chrome114',
    minify: true,
    sourcemap: production ? false : 'linked',
    entryPoints: { webview: 'webview/main.ts' },
    outdir: 'dist',
    logLevel: 'warning',
    absWorkingDir: root,
    plugins: [boundariesPlugin(root)],
  },
  { bundle: true, minify: true, entryPoints: { webview: 'webview/style.css' }, outdir: 'dist', logLevel: 'warning', absWorkingDir: root },
];
if (suites.length > 0) targets.push({ ...node, entryPoints: suites, outdir: 'dist/test/suite' });

function copyAssets() {
  const codicons = join(root, 'node_modules/@vscode/codicons/dist');
  mkdirSync(join(dist, 'codicons'), { recursive: true });
  for (const f of ['codicon.css', 'codicon.ttf']) cpSync(join(codicons, f), join(dist, 'codicons', f));
}

const t0 = Date.now();
if (!watch) rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });
copyAssets();
if (watch) {
  const contexts = await Promise.all(targets.map((t) => esbuild.context(t)));
  await Promise.all(contexts.map((c) => c.watch()));
  console.log('build: watching for changes (Ctrl+C to stop)');
} else {
  try {
    await Promise.all(targets.map((t) => esbuild.build(t)));
  } catch {
    process.exit(1); // esbuild has printed the errors
  }
  chmodSync(join(dist, 'cli.js'), 0o755);
  console.log(`build: ${targets.length} bundles${production ? ' (production)' : ''} in ${Date.now() - t0} ms`);
}

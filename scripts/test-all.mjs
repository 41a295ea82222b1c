#!/usr/bin/env node
// The three test layers, one after the other (docs/design.md section 8), each runner's counts, then one line
// `N passed, N failed` summed over all; exit 1 on any failure. Expects a build (`npm test` builds first).
//   unit     engine unit tests in Node (scripts/run-unit.mjs, node:test)
//   webview  the panel's bundle in headless Chromium (test/webview, node:test + playwright-core)
//   ext      the extension suite inside a real VS Code (code-server, installed into .cache/ when missing):
//            run A from the checkout, then run B with the packaged linux-x64 .vsix + the test driver
// usage: node scripts/test-all.mjs [unit] [webview] [ext]     (default: all three)
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const LAYERS = ['unit', 'webview', 'ext'];
const wanted = process.argv.slice(2).length > 0 ? process.argv.slice(2) : LAYERS;
for (const w of wanted)
  if (!LAYERS.includes(w)) {
    console.error(`test-all: unknown layer '${w}' (${LAYERS.join(', ')})`);
    process.exit(2);
  }
const env = { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' };
const bin = (name) => path.join(ROOT, 'node_modules', '.bin', name);
const summary = [];

/** No layer may hang: a runner still going after this long is killed and counted as failed. */
const LAYER_TIMEOUT_MS = Number(process.env.NEURFLOW_LAYER_TIMEOUT_S ?? 1200) * 1000;

/** Runs a command, echoing its output, and returns its exit code and output; killed after the layer timeout. */
function run(cmd, args, opts = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: opts.cwd ?? ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '';
    const echo = (stream) => (d) => {
      out += d;
      stream.write(d);
    };
    child.stdout.on('data', echo(process.stdout));
    child.stderr.on('data', echo(process.stderr));
    const timer = setTimeout(() => {
      const msg = `\ntest-all: ${cmd} ${args.join(' ')} still running after ${LAYER_TIMEOUT_MS / 1000} s: killed\n`;
      out += msg;
      process.stderr.write(msg);
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, LAYER_TIMEOUT_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, out });
    });
  });
}

/** Counts from node:test's spec reporter (`ℹ pass N`, `ℹ fail N`, `ℹ cancelled N`, `ℹ skipped N`, `ℹ todo N`). */
function nodeTestCounts(out) {
  const n = (k) => Number(new RegExp(`^ℹ ${k} (\\d+)`, 'm').exec(out)?.[1] ?? 0);
  return { passed: n('pass'), failed: n('fail') + n('cancelled'), skipped: n('skipped') + n('todo') };
}

/** Counts from the last `N passed, N failed` line. */
function lineCounts(out) {
  const m = [...out.matchAll(/^(\d+) passed, (\d+) failed$/gm)].at(-1);
  return m ? { passed: Number(m[1]), failed: Number(m[2]) } : { passed: 0, failed: 1 };
}

function record(name, counts, code) {
  // A runner that failed without a failing test (crash, missing tool, timeout) still counts as one failure.
  const failed = code !== 0 && counts.failed === 0 ? 1 : counts.failed;
  const skipped = counts.skipped ?? 0;
  summary.push({ name, passed: counts.passed, failed, skipped });
  console.log(`\n== ${name}: ${counts.passed} passed, ${failed} failed, ${skipped} skipped\n`);
}

function banner(text) {
  console.log(`\n==== ${text} ${'='.repeat(Math.max(0, 70 - text.length))}`);
}

const t0 = Date.now();
// The generated fixtures (gitignored) first: the ext workspace's models, the Explain Batch fixture and THE demo
// test analysis (.cache/test-results) that all three layers read, so it is computed once, before any test.
banner('fixtures (scripts/make-fixtures.ts)');
const fixtures = await run(process.execPath, ['--import', 'tsx', 'scripts/make-fixtures.ts']);
if (fixtures.code !== 0) record('fixtures', { passed: 0, failed: 1 }, 1);

if (wanted.includes('unit')) {
  banner('unit tests (Node)');
  const r = await run(process.execPath, ['scripts/run-unit.mjs']);
  record('unit', nodeTestCounts(r.out), r.code);
}

if (wanted.includes('webview')) {
  banner('webview tests (headless Chromium)');
  const files = readdirSync(path.join(ROOT, 'test/webview'))
    .filter((f) => f.endsWith('.test.ts'))
    .map((f) => `test/webview/${f}`);
  const r = await run(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...files]);
  record('webview', nodeTestCounts(r.out), r.code);
}

if (wanted.includes('ext')) {
  banner('extension tests (VS Code via code-server)');
  const entry = path.join(ROOT, '.cache/code-server/node_modules/code-server/out/node/entry.js');
  const installed = existsSync(entry) ? { code: 0 } : await run('bash', ['tools/install-code-server.sh']);
  if (fixtures.code !== 0 || installed.code !== 0) {
    record('extension (setup)', { passed: 0, failed: 1 }, 1);
  } else {
    const common = ['--tests', 'dist/test/suite/index.js', '--workspace', 'test/fixture'];
    const a = await run(process.execPath, [
      'tools/run-ext-tests.mjs',
      '--ext',
      '.',
      ...common,
      '--out',
      '.test-out/ext-a',
      '--menu',
      'generated/tiny-cnn.onnx=NeurFlow: Analyse Model',
      '--no-menu',
      'train.py',
    ]);
    record('extension run A (development path)', lineCounts(a.out), a.code);

    banner('packaging (.vsix for linux-x64) and extension run B');
    const pkg = await run('npm', ['run', '--silent', 'package']);
    const driver =
      pkg.code === 0
        ? await run(bin('vsce'), ['package', '--no-dependencies', '--out', '../.test-out/neurflow-test-driver.vsix'], { cwd: path.join(ROOT, 'test-driver') })
        : pkg;
    if (driver.code !== 0) {
      record('extension run B (packaging)', { passed: 0, failed: 1 }, 1);
    } else {
      const b = await run(process.execPath, [
        'tools/run-ext-tests.mjs',
        '--vsix',
        'neurflow-linux-x64.vsix,.test-out/neurflow-test-driver.vsix',
        ...common,
        '--out',
        '.test-out/ext-b',
      ]);
      record('extension run B (installed .vsix)', lineCounts(b.out), b.code);
    }
  }
}

banner('summary');
for (const s of summary) console.log(`${s.name.padEnd(40)} ${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped`);
const total = (k) => summary.reduce((n, s) => n + s[k], 0);
console.log(`(${((Date.now() - t0) / 1000).toFixed(0)} s; screenshots and logs in .test-out/)`);
console.log(`${total('passed')} passed, ${total('failed')} failed, ${total('skipped')} skipped`);
const failed = total('failed');
process.exit(failed === 0 ? 0 : 1);

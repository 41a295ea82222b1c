/**
 * Ctrl-C in `neurflow analyse` at any moment (issue #17, finding 5): exit 130, never a crash (exit 70 with an
 * AbortError); the layers finished are written, an earlier result is not replaced by an empty one; and the
 * files the scan could not read are listed (finding 6).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Interrupts, SIGINT_EXIT } from '../../../src/cli/signals';
import { runCli } from '../../helpers/cli';
import { REPO_ROOT } from '../../helpers/shared';

const MODEL = path.join(REPO_ROOT, 'demo', 'model', 'shortcut-resnet.onnx');
const MAIN = path.join(REPO_ROOT, 'src', 'cli', 'main.ts');
const BUNDLE = path.join(REPO_ROOT, 'dist', 'cli.js');

/** A small copy of the demo dataset (`perClass` images per class), with extra files. */
function dataset(dir: string, perClass: number, extra: Record<string, string> = {}): string {
  const data = path.join(dir, 'data');
  for (const c of ['circle', 'square', 'star']) {
    mkdirSync(path.join(data, c), { recursive: true });
    for (let i = 0; i < perClass; i++) {
      const name = `${String(i).padStart(4, '0')}.png`;
      copyFileSync(path.join(REPO_ROOT, 'demo', 'images', c, name), path.join(data, c, name));
    }
  }
  for (const [rel, content] of Object.entries(extra)) writeFileSync(path.join(data, rel), content);
  return data;
}

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/**
 * Whether the process has loaded onnxruntime's native library (Linux: /proc/PID/maps): the CLI loads it while
 * its modules load, after its first import installed the Ctrl-C handling (early-sigint.ts).
 */
function loadingRuntime(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/maps`, 'utf8').includes('onnxruntime');
  } catch {
    return false;
  }
}

/**
 * Runs the CLI and sends SIGINT once `when` matches its stderr so far, or ('loading') as soon
 * as it loads onnxruntime (still loading its modules).
 */
function interrupted(args: string[], when: RegExp | 'loading', entry = MAIN): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...(entry === MAIN ? ['--import', 'tsx'] : []), entry, ...args], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    let sent = false;
    const send = () => {
      if (!sent) child.kill('SIGINT');
      sent = true;
    };
    if (when === 'loading') {
      const poll = setInterval(() => {
        if (child.pid !== undefined && loadingRuntime(child.pid)) {
          clearInterval(poll);
          send();
        }
      }, 1);
      child.on('exit', () => clearInterval(poll));
    }
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (when instanceof RegExp && when.test(stderr)) send();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stderr });
    });
  });
}

test('Interrupts: a cancellable command is aborted first and ended on the second Ctrl-C; others end at once', () => {
  const exits: number[] = [];
  const lines: string[] = [];
  const a = new Interrupts({ exit: (c) => exits.push(c), log: (l) => lines.push(l), graceMs: 60_000 });
  a.setCancellable(true);
  a.interrupt();
  assert.equal(a.signal.aborted, true);
  assert.equal(exits.length, 0);
  a.interrupt();
  assert.equal(exits.join(), String(SIGINT_EXIT));
  const b = new Interrupts({ exit: (c) => exits.push(c), log: () => {} });
  b.interrupt();
  assert.equal(exits.join(), `${SIGINT_EXIT},${SIGINT_EXIT}`);
});

test('main: once interrupted, a command that returns or throws exits 130', async () => {
  const quiet = new Interrupts({ exit: () => {}, log: () => {} });
  quiet.setCancellable(true);
  quiet.interrupt();
  // A usage error thrown after Ctrl-C is the cancellation (130), not a usage error (2).
  assert.equal((await runCli(['analyse', MODEL], quiet)).code, SIGINT_EXIT);
});

for (const [moment, when, entry] of [
  ['at start-up (the built CLI, while its modules load)', 'loading', BUNDLE],
  ['while loading the model', /./, MAIN],
  ['during the scan', /Scanning/, MAIN],
] as const) {
  test(`SIGINT ${moment} exits 130 and writes no result`, async (t) => {
    if (!existsSync(entry)) {
      if (process.env.CI === 'true') throw new Error(`${entry} missing: npm test builds it first`);
      t.skip(`${entry} not built (npm run build)`);
      return;
    }
    const dir = mkdtempSync(path.join(tmpdir(), 'nf-sigint-'));
    try {
      const data = dataset(dir, 40);
      const out = path.join(dir, 'r.neurflow-result.json');
      writeFileSync(out, 'an earlier result');
      const run = await interrupted(['analyse', MODEL, '--data', data, '--class', 'circle', '--out', out], when, entry);
      assert.equal(run.signal, null, run.stderr);
      assert.equal(run.code, 130, run.stderr);
      assert.doesNotMatch(run.stderr, /AbortError|\n\s+at /, 'no stack trace');
      assert.equal(readFileSync(out, 'utf8'), 'an earlier result', 'the earlier result is kept');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('SIGINT during the analysis exits 130 and writes the finished layers (complete: false)', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'nf-sigint-'));
  try {
    const data = dataset(dir, 8);
    const out = path.join(dir, 'r.neurflow-result.json');
    const run = await interrupted(
      ['analyse', MODEL, '--data', data, '--class', 'circle', '--out', out, '--layers', 'fc,layer3.1,layer2.1,layer1.1', '--top-crops', '6'],
      /Layer layer2\.1/,
    );
    assert.equal(run.code, 130, run.stderr);
    assert.ok(existsSync(out), run.stderr);
    const doc = JSON.parse(readFileSync(out, 'utf8')) as { complete: boolean; layers: unknown[] };
    assert.equal(doc.complete, false);
    assert.ok(doc.layers.length >= 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('analyse lists the files it could not read and does not count them', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'nf-skip-'));
  try {
    const data = dataset(dir, 4, { 'circle/broken.png': 'not a png', 'square/empty.jpg': '' });
    const out = path.join(dir, 'r.neurflow-result.json');
    const run = await runCli(['analyse', MODEL, '--data', data, '--class', 'circle', '--out', out, '--layers', 'fc,layer3.1', '--top-crops', '4', '--quiet']);
    assert.equal(run.code, 0, run.err);
    assert.match(run.err, /skipped 2 files of .* \(not counted in the 12 images scanned\)/);
    assert.match(run.err, /circle\/broken\.png: cannot decode the image/);
    assert.match(run.err, /square\/empty\.jpg: the file is empty/);
    const doc = JSON.parse(readFileSync(out, 'utf8')) as { dataset: { imageCount: number } };
    assert.equal(doc.dataset.imageCount, 12);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * The transfer through a real debug adapter: Debian's debugpy runs test/fixture/debug/eval_loop.py, stops in
 * the loop, and the snippet writes the frame's arrays to .npy files that we read back. Skipped (with the
 * reason) where /usr/bin/python3 lacks debugpy or NumPy; under CI=true that is a failure.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { readNpy } from '../../../src/engine/io/npy';
import { DataError } from '../../../src/engine/errors';
import { DEFAULT_EXPRESSIONS, transferBatch, type Evaluate } from '../../../src/extension/debug/transfer';
import { exportModel } from '../../../src/extension/debug/export';
import { DapClient, debugpyMissing, type StoppedFrame } from './dap-client';
import { makeDebugBatch } from '../../helpers/debug-fixture';
import { REPO_ROOT } from '../../helpers/shared';

const FIXTURE = path.join(REPO_ROOT, 'test/fixture/debug');
const PROGRAM = path.join(FIXTURE, 'eval_loop.py');
const missing = debugpyMissing();
if (missing && process.env.CI === 'true') throw new Error(`CI needs the Debian debugger: ${missing}`);

let dap: DapClient;
let frame: StoppedFrame;
let evaluate: Evaluate;
const evaluated: string[] = [];

before(async () => {
  if (missing) return;
  await makeDebugBatch();
  const line =
    readFileSync(PROGRAM, 'utf8')
      .split('\n')
      .findIndex((l) => l.includes('  # BREAKPOINT')) + 1;
  dap = new DapClient();
  frame = await dap.launchToLine(PROGRAM, line, FIXTURE);
  evaluate = async (e) => {
    const r = await dap.evaluate(e, frame.frameId);
    evaluated.push(r);
    return r;
  };
});
after(async () => {
  await dap?.close();
});

/** The first batch as eval_loop.py makes it, computed here from the fixture files. */
function expectedFirstBatch(): { x: Float32Array; labels: bigint[] } {
  const px = readNpy(path.join(FIXTURE, 'batch-images.npy'));
  const [, h, w, c] = px.shape;
  const x = new Float32Array(8 * c * h * w);
  for (let n = 0; n < 8; n++)
    for (let p = 0; p < h * w; p++)
      for (let k = 0; k < c; k++) {
        x[(n * c + k) * h * w + p] = Math.fround((Math.fround((px.data as Uint8Array)[(n * h * w + p) * c + k] / 255) - 0.5) / 0.25);
      }
  return { x, labels: [...(readNpy(path.join(FIXTURE, 'batch-labels.npy')).data as BigInt64Array)].slice(0, 8) };
}

test('the default expressions find images, labels and outputs in the paused frame and come back as .npy', { skip: missing }, async () => {
  assert.equal(frame.path, PROGRAM);
  assert.equal(frame.name, 'evaluate');
  const t = await transferBatch(evaluate, DEFAULT_EXPRESSIONS, 'eval_loop.py');
  try {
    assert.equal(t.images.expression, 'images');
    assert.deepEqual(t.images.shape, [8, 3, 64, 64]);
    assert.equal(t.images.dtype, 'float32');
    assert.match(t.images.source, /^numpy\.ndarray float32/);
    assert.equal(t.labels.expression, 'labels');
    assert.equal(t.labels.dtype, 'int64');
    assert.equal(t.predictions?.expression, 'outputs');
    assert.deepEqual(t.predictions?.shape, [8, 4]);
    const want = expectedFirstBatch();
    const got = readNpy(t.images.path);
    let maxErr = 0;
    for (let i = 0; i < want.x.length; i++) maxErr = Math.max(maxErr, Math.abs((got.data as Float32Array)[i] - want.x[i]));
    assert.ok(maxErr < 1e-6, `max |difference| ${maxErr}`);
    assert.deepEqual([...(readNpy(t.labels.path).data as BigInt64Array)], want.labels);
    // Only the short report came through the debugger, not the 393 KB of pixels.
    assert.ok(evaluated.at(-1)!.length < 2000, `evaluate returned ${evaluated.at(-1)!.length} characters`);
  } finally {
    t.dispose();
  }
  assert.equal(existsSync(t.dir), false, 'the temporary folder is removed');
});

test('any dtype becomes float32 images; a torch-like tensor is detached, moved to the CPU and converted', { skip: missing }, async () => {
  const torchLike =
    "type('Tensor', (), {'detach': lambda s: s, 'cpu': lambda s: s, 'is_floating_point': lambda s: True, " +
    "'float': lambda s: s, 'numpy': lambda s: (images * 2).astype('float16'), 'dtype': 'torch.float16', 'device': 'cuda:0'})()";
  const t = await transferBatch(evaluate, { images: [torchLike], labels: ['labels.astype("int32")'] }, 'eval_loop.py');
  try {
    assert.equal(t.images.dtype, 'float32');
    assert.match(t.images.source, /Tensor torch\.float16 cuda:0/);
    assert.equal(t.labels.dtype, 'int64');
    const a = readNpy(t.images.path).data as Float32Array;
    const want = expectedFirstBatch().x;
    assert.ok(Math.abs(a[100] - 2 * want[100]) < 1e-2, `${a[100]} vs ${2 * want[100]}`);
  } finally {
    t.dispose();
  }
});

test('a missing expression gives the NameError text; a non-array names its type', { skip: missing }, async () => {
  await assert.rejects(transferBatch(evaluate, { images: ['imgs'], labels: ['labels'] }, 'evaluate at eval_loop.py:30'), (e: Error) => {
    assert.ok(e instanceof DataError);
    assert.match(e.message, /no images found in evaluate at eval_loop\.py:30: `imgs` raised NameError: name 'imgs' is not defined/);
    return true;
  });
  await assert.rejects(transferBatch(evaluate, { images: ['images'], labels: ['HERE', 'batches'] }, 'the frame'), (e: Error) => {
    assert.match(
      e.message,
      /no labels found in the frame: `HERE` is a builtins\.str, not an array or tensor; `batches` is a builtins\.function, not an array or tensor/,
    );
    return true;
  });
});

test('a program that never imported torch has no model to export: nothing is imported into it', { skip: missing }, async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'neurflow-no-torch-'));
  try {
    const modules = await evaluate("len(__import__('sys').modules)");
    const outcome = await exportModel(evaluate, { modelsDir: path.join(dir, 'models'), workDir: dir, images: 'images' }, 'evaluate');
    assert.equal(outcome.kind, 'no-torch');
    assert.equal(outcome.report.error?.message, 'the debugged program has not imported torch');
    assert.equal(await evaluate("'torch' in __import__('sys').modules"), 'False');
    assert.equal(await evaluate("len(__import__('sys').modules)"), modules, 'no module was imported');
    assert.ok(!existsSync(path.join(dir, 'models')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * The debuggee exports its own model (export-snippet.ts, export.ts) through a real debug adapter: Debian's debugpy
 * runs test/fixture/debug/train_torch.py (PyTorch 1.13, CPU), stops in the training loop with the model in training
 * mode, and the export program finds the model, exports it under a key from its weights, runs it on the batch, and
 * leaves the process as it was (training flags, grad mode, frame names, RNG state, the loss's graph). Skipped (with
 * the reason) where /usr/bin/python3 lacks torch or debugpy; under CI=true that is a failure.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { readNpy } from '../../../src/engine/io/npy';
import { loadModel } from '../../../src/engine/onnx/model';
import { detectLayers } from '../../../src/engine/onnx/layers';
import { inferShapes } from '../../../src/engine/onnx/shapes';
import { EXPORTED_MODEL_SETTING, exportModel, failureMessage, pruneExports } from '../../../src/extension/debug/export';
import { buildExportSnippet, exportAdvice } from '../../../src/extension/debug/export-snippet';
import type { Evaluate } from '../../../src/extension/debug/transfer';
import { DapClient, type StoppedFrame } from './dap-client';
import { REPO_ROOT } from '../../helpers/shared';
import { parseState, STATE_EXPRESSION, torchMissing } from '../../helpers/torch-state';

const FIXTURE = path.join(REPO_ROOT, 'test/fixture/debug');
const PROGRAM = path.join(FIXTURE, 'train_torch.py');
const missing = torchMissing();
if (missing && process.env.CI === 'true') throw new Error(`CI needs Debian's PyTorch and debugger: ${missing}`);

let dap: DapClient;
let frame: StoppedFrame;
let evaluate: Evaluate;
let root: string;

before(async () => {
  if (missing) return;
  root = mkdtempSync(path.join(tmpdir(), 'neurflow-export-test-'));
  const line =
    readFileSync(PROGRAM, 'utf8')
      .split('\n')
      .findIndex((l) => l.includes('  # BREAKPOINT')) + 1;
  dap = new DapClient();
  frame = await dap.launchToLine(PROGRAM, line, FIXTURE);
  evaluate = (e) => dap.evaluate(e, frame.frameId);
});
after(async () => {
  await dap?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

function work(): string {
  return mkdtempSync(path.join(root, 'batch-'));
}

test("the model in scope is found, exported under its weights' key, checked on the batch, and the process is unchanged", { skip: missing }, async () => {
  const models = path.join(root, 'models');
  const before = await evaluate(STATE_EXPRESSION);
  const state = parseState(before);
  assert.ok(
    state.training.every(([, t]) => t),
    'the fixture pauses in training mode',
  );
  assert.equal(state.grad, true);
  const first = await exportModel(evaluate, { modelsDir: models, workDir: work(), images: 'images' }, 'main');
  assert.equal(first.kind, 'exported', JSON.stringify(first));
  if (first.kind !== 'exported') return;
  const r = first.report;
  assert.equal(r.model?.expression, 'model');
  assert.equal(r.model?.type, '__main__.SmallNet');
  assert.deepEqual(
    r.candidates?.map((c) => c.expression),
    ['model'],
    'the loss (no parameters) is no candidate',
  );
  assert.deepEqual(r.classNames, ['hbar', 'vbar', 'blob']);
  assert.equal(r.classNamesFrom, 'CLASSES');
  assert.equal(r.reused, false);
  assert.match(r.key ?? '', /^[0-9a-f]{64}$/);
  assert.equal(path.dirname(first.onnx), models);
  assert.deepEqual(r.restored, { training: true, grad: true, rng: true });
  assert.equal(await evaluate(STATE_EXPRESSION), before, 'training flags, grad mode, names, RNG and the loss graph are unchanged');
  // The export: dynamic batch, scoped names, the blocks as layers.
  const model = await loadModel(first.onnx);
  assert.equal(model.input.name, 'input');
  assert.equal(model.input.shape[0], 'batch');
  assert.deepEqual(model.input.shape.slice(1), [3, 32, 32]);
  assert.deepEqual(
    detectLayers(model, await inferShapes(model)).map((l) => l.name),
    ['stem', 'layer1', 'layer2', 'layer3', 'fc'],
  );
  const live = readNpy(first.logits);
  assert.deepEqual(live.shape, [16, 3]);
  // Same weights: the file is reused, not exported again.
  const mtime = statSync(first.onnx).mtimeMs;
  const second = await exportModel(evaluate, { modelsDir: models, workDir: work(), images: 'images' }, 'main');
  assert.ok(second.kind === 'exported' && second.report.reused === true && second.onnx === first.onnx && second.report.key === r.key);
  assert.equal(statSync(first.onnx).mtimeMs, mtime);
  assert.equal(await evaluate(STATE_EXPRESSION), before);
});

test('a named expression is used; one that is no model is refused with the reason', { skip: missing }, async () => {
  const models = path.join(root, 'models');
  const named = await exportModel(evaluate, { modelsDir: models, workDir: work(), images: 'images[:4]', model: 'model' }, 'main');
  assert.ok(named.kind === 'exported', JSON.stringify(named));
  assert.deepEqual(readNpy(named.logits).shape, [4, 3]);
  const before = await evaluate(STATE_EXPRESSION);
  const loss = await exportModel(evaluate, { modelsDir: models, workDir: work(), images: 'images', model: 'criterion' }, 'main');
  assert.equal(loss.kind, 'failed');
  if (loss.kind !== 'failed') return;
  assert.match(loss.message, /`criterion` is a CrossEntropyLoss without parameters/);
  const none = await exportModel(evaluate, { modelsDir: models, workDir: work(), images: 'images', model: 'modle' }, 'main');
  assert.ok(none.kind === 'failed' && /`modle` is NameError: name 'modle' is not defined/.test(none.message), JSON.stringify(none));
  assert.equal(await evaluate(STATE_EXPRESSION), before);
});

test('an export PyTorch refuses is reported with its own message and what to do; the process is unchanged', { skip: missing }, async () => {
  const before = await evaluate(STATE_EXPRESSION);
  // Building the module draws random weights: the RNG must still come back as it was.
  const failed = await exportModel(evaluate, { modelsDir: path.join(root, 'models'), workDir: work(), images: 'images', model: 'SpectralNet()' }, 'main');
  assert.equal(failed.kind, 'failed');
  if (failed.kind !== 'failed') return;
  assert.equal(failed.report.error?.stage, 'export');
  assert.equal(failed.report.error?.type, 'UnsupportedOperatorError');
  assert.match(
    failed.message,
    /^PyTorch 1\.13[^ ]* could not export `SpectralNet\(\)` \(__main__\.SpectralNet\): UnsupportedOperatorError: Exporting the operator 'aten::fft_rfft2' to ONNX opset version \d+ is not supported/,
  );
  assert.ok(failed.message.includes(`set \`${EXPORTED_MODEL_SETTING}\``), failed.message);
  assert.match(failed.message, /The debugged program keeps running\.$/);
  assert.deepEqual(
    readdirSync(path.join(root, 'models')).filter((f) => f.includes('.tmp')),
    [],
    'no temporary file is left',
  );
  assert.equal(await evaluate(STATE_EXPRESSION), before);
  // ... and the debuggee answers as before.
  assert.equal(await evaluate('len(images)'), '16');
});

test('search: the usual names first, submodules and parameterless modules left out', { skip: missing }, async () => {
  // The search itself, on namespaces made up for it (the program's own functions evaluate the snippet).
  const spec = (dir: string) => ({
    modelsDir: path.join(root, 'models'),
    workDir: dir,
    model: [],
    preferred: ['model', 'net'],
    images: 'x',
    classNames: [],
    findOnly: true,
  });
  const dir1 = work();
  const two = `(lambda: (lambda net, model, head: ${buildExportSnippet(spec(dir1))})(SmallNet(), SmallNet(), None))()`;
  await evaluate(two);
  const found = JSON.parse(readFileSync(path.join(dir1, 'export.json'), 'utf8')) as { candidates: { expression: string }[]; ok: boolean };
  assert.deepEqual(
    found.candidates.map((c) => c.expression),
    ['model', 'net'],
    'the usual names first',
  );
  assert.equal(found.ok, false);
  const dir2 = work();
  const child = `(lambda m: (lambda model, head: ${buildExportSnippet(spec(dir2))})(m, m.fc))(SmallNet())`;
  await evaluate(child);
  const one = JSON.parse(readFileSync(path.join(dir2, 'export.json'), 'utf8')) as { candidates: { expression: string }[]; ok: boolean };
  assert.deepEqual(
    one.candidates.map((c) => c.expression),
    ['model'],
    'a submodule of a candidate is no candidate',
  );
  assert.equal(one.ok, true);
  const dir3 = work();
  await evaluate(`(lambda criterion: ${buildExportSnippet(spec(dir3))})(nn.CrossEntropyLoss())`);
  const none = JSON.parse(readFileSync(path.join(dir3, 'export.json'), 'utf8')) as { candidates: unknown[] };
  assert.deepEqual(none.candidates, [], 'a loss has no parameters: no model');
});

test('advice: each kind of failure says what to do', () => {
  const setting = EXPORTED_MODEL_SETTING;
  assert.match(
    exportAdvice(
      { stage: 'export', type: 'UnsupportedOperatorError', message: "Exporting the operator 'aten::fft_rfft2' to ONNX opset version 14 is not supported." },
      setting,
    ),
    /no ONNX export in this PyTorch.*neurflow\.explainBatch\.model/,
  );
  assert.match(
    exportAdvice(
      { stage: 'run', type: 'RuntimeError', message: 'Expected all tensors to be on the same device, but found at least two devices, cuda:0 and cpu!' },
      setting,
    ),
    /one device/,
  );
  assert.match(
    exportAdvice({ stage: 'export', type: 'RuntimeError', message: 'Boolean value of Tensor with more than one value is ambiguous' }, setting),
    /data-dependent/,
  );
  assert.match(exportAdvice({ stage: 'find', type: 'NotFound', message: '' }, setting), /name the model/);
  const message = failureMessage({
    ok: false,
    torch: '1.13.0',
    model: { expression: 'net', type: 'm.Net', parameters: 1, device: 'cpu', training: true },
    error: { stage: 'export', type: 'X', message: 'line one\nline two' },
  });
  assert.match(message, /^PyTorch 1\.13\.0 could not export `net` \(m\.Net\): X: line one line two\. What to do: /);
});

test('old exports are pruned, the newest and the protected kept', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'neurflow-prune-'));
  try {
    mkdirSync(dir, { recursive: true });
    const files = [0, 1, 2, 3, 4].map((i) => {
      const f = path.join(dir, `${i}.onnx`);
      writeFileSync(f, 'x');
      utimesSync(f, 1000 + i, 1000 + i);
      return f;
    });
    const removed = pruneExports(dir, 2, [files[0]]);
    assert.deepEqual(removed.sort(), [files[1], files[2]].sort());
    assert.deepEqual(
      files.map((f) => existsSync(f)),
      [true, false, false, true, true],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

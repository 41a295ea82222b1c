import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { loadModel, loadModelFromBytes } from '../../../src/engine/onnx/model';
import { inferShapes } from '../../../src/engine/onnx/shapes';
import { makeGraph, makeModel, makeNode, makeValueInfo } from '../../../src/engine/onnx/build';
import { DataType, encodeModel } from '../../../src/engine/onnx/proto';
import { ModelError, OnnxFormatError, RuntimeError } from '../../../src/engine/errors';
import { sharedPath } from '../../helpers/shared';
import { maxAbsDiff, tinyResnet, tinyResnetBytes } from './fixtures';

test('loads a model: input, output, opset, sha256, graph index', () => {
  const m = loadModelFromBytes(tinyResnetBytes(), 'tiny.onnx');
  assert.deepEqual(m.input, { name: 'input', shape: ['batch', 3, 8, 8], channels: 3, height: 8, width: 8 });
  assert.deepEqual(m.output, { name: 'logits', shape: ['batch', 5] });
  assert.equal(m.opset, 17);
  assert.match(m.sha256, /^[0-9a-f]{64}$/);
  assert.equal(m.graph.nodes.length, 9);
});

test('the external-data model reads its weights lazily and equals the inline model', async (t) => {
  const ext = sharedPath(t, 'reference/models/shortcut-resnet-external.onnx');
  const inline = sharedPath(t, 'reference/models/shortcut-resnet.onnx');
  if (!ext || !inline) return;
  const a = await loadModel(ext);
  const b = await loadModel(inline);
  const name = 'fc.weight';
  assert.equal(a.graph.initializers.get(name)!.dataLocation, 1, 'stored externally');
  assert.equal(a.graph.initializers.get(name)!.rawData?.byteLength ?? 0, 0, 'not read at load time');
  const va = a.graph.constantValue(name)!;
  const vb = b.graph.constantValue(name)!;
  assert.deepEqual(va.dims, [4, 64]);
  assert.equal(maxAbsDiff(va.data as Float32Array, vb.data as Float32Array), 0);
});

test('weights in Constant nodes (opset 9) are constants with values', async (t) => {
  const file = sharedPath(t, 'reference/models/shortcut-resnet-opset9-constants.onnx');
  const inline = sharedPath(t, 'reference/models/shortcut-resnet.onnx');
  if (!file || !inline) return;
  const m = await loadModel(file);
  const ref = await loadModel(inline);
  assert.equal(m.opset, 9);
  assert.equal(m.graph.initializers.size, 0);
  assert.ok(m.graph.isConstant('fc.weight'));
  assert.equal(m.graph.producer('fc.weight')!.opType, 'Constant');
  const v = m.graph.constantValue('fc.weight')!;
  assert.equal(maxAbsDiff(v.data as Float32Array, ref.graph.constantValue('fc.weight')!.data as Float32Array), 0);
});

test('error: random bytes are not an ONNX model', () => {
  const bytes = new Uint8Array(256).map((_, i) => (i * 97 + 13) & 255);
  assert.throws(
    () => loadModelFromBytes(bytes, 'noise.onnx'),
    (e: Error) => e instanceof OnnxFormatError && /noise\.onnx: not an ONNX model/.test(e.message),
  );
});

test('error: an empty file', () => {
  assert.throws(
    () => loadModelFromBytes(new Uint8Array(0), 'empty.onnx'),
    (e: Error) => e instanceof OnnxFormatError && /empty\.onnx: the file is empty/.test(e.message),
  );
});

test('error: a truncated file', () => {
  const bytes = tinyResnetBytes();
  const cut = bytes.subarray(0, Math.floor(bytes.length * 0.6));
  assert.throws(
    () => loadModelFromBytes(cut, 'cut.onnx'),
    (e: Error) => e instanceof OnnxFormatError && /cut\.onnx: the ONNX file is truncated/.test(e.message),
  );
});

test('error: a missing file', async () => {
  await assert.rejects(
    loadModel('/nonexistent/model.onnx'),
    (e: Error) => e instanceof OnnxFormatError && /\/nonexistent\/model\.onnx: no such file/.test(e.message),
  );
});

test('error: missing external data file names the file', async (t) => {
  const ext = sharedPath(t, 'reference/models/shortcut-resnet-external.onnx');
  if (!ext) return;
  const dir = mkdtempSync(path.join(tmpdir(), 'nf-ext-'));
  try {
    const copy = path.join(dir, 'model.onnx');
    copyFileSync(ext, copy);
    await assert.rejects(
      loadModel(copy),
      (e: Error) =>
        e instanceof OnnxFormatError && e.message.includes('missing external data file') && e.message.includes('shortcut-resnet-external.onnx.data'),
    );
    // Loaded from memory without its folder, the data is asked for only when needed.
    const m = loadModelFromBytes(new Uint8Array(await import('node:fs').then((fs) => fs.readFileSync(copy))), 'mem.onnx');
    assert.throws(
      () => m.graph.constantValue('fc.weight'),
      (e: Error) => e instanceof OnnxFormatError && /fc\.weight is stored in the external file shortcut-resnet-external\.onnx\.data/.test(e.message),
    );
    // A truncated data file.
    writeFileSync(path.join(dir, 'shortcut-resnet-external.onnx.data'), new Uint8Array(100));
    const short = await loadModel(copy);
    assert.throws(
      () => short.graph.constantValue('onnx::Conv_146'),
      (e: Error) => e instanceof OnnxFormatError && /external data file .* is truncated: tensor onnx::Conv_146/.test(e.message),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('error: an input that is not an image tensor', () => {
  const rank2 = makeModel(
    makeGraph('g', [makeNode('Relu', ['x'], ['y'])], [makeValueInfo('x', DataType.FLOAT, ['N', 10])], [makeValueInfo('y', DataType.FLOAT)]),
  );
  assert.throws(
    () => loadModelFromBytes(encodeModel(rank2), 'vec.onnx'),
    (e: Error) => e instanceof ModelError && /vec\.onnx: input x has shape \[N, 10\] \(rank 2\), not an image tensor/.test(e.message),
  );
  const channelsLast = tinyResnet({ input: [8, 8, 3] });
  assert.throws(
    () => loadModelFromBytes(encodeModel(channelsLast), 'nhwc.onnx'),
    (e: Error) => e instanceof ModelError && /nhwc\.onnx: input input has shape \[batch, 8, 8, 3\]: 8 channels, not an image tensor/.test(e.message),
  );
  const ints = makeModel(
    makeGraph('g', [makeNode('Identity', ['x'], ['y'])], [makeValueInfo('x', DataType.UINT8, ['N', 3, 4, 4])], [makeValueInfo('y', DataType.UINT8)]),
  );
  assert.throws(
    () => loadModelFromBytes(encodeModel(ints), 'u8.onnx'),
    (e: Error) => e instanceof ModelError && /u8\.onnx: input x is uint8, not an image tensor/.test(e.message),
  );
  // anyInput accepts it.
  assert.equal(loadModelFromBytes(encodeModel(rank2), 'vec.onnx', undefined, { anyInput: true }).input.name, 'x');
});

test('error: an operator onnxruntime rejects names the node and operator', async () => {
  const g = makeGraph(
    'g',
    [makeNode('Relu', ['input'], ['a'], {}, 'relu0'), makeNode('FooBar', ['a'], ['b'], {}, 'my_foo'), makeNode('Flatten', ['b'], ['logits'], {}, 'flat')],
    [makeValueInfo('input', DataType.FLOAT, ['N', 3, 4, 4])],
    [makeValueInfo('logits', DataType.FLOAT)],
  );
  const m = loadModelFromBytes(encodeModel(makeModel(g)), 'bad.onnx');
  await assert.rejects(
    inferShapes(m),
    (e: Error) => e instanceof RuntimeError && /bad\.onnx: onnxruntime rejected the model at node my_foo, operator FooBar/.test(e.message),
  );
});

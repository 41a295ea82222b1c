import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadModelFromBytes } from '../../../src/engine/onnx/model';
import { inferShapes } from '../../../src/engine/onnx/shapes';
import { detectLayers } from '../../../src/engine/onnx/layers';
import { extractSubmodel, prefix, runnableBytes, segment, suffix } from '../../../src/engine/onnx/submodel';
import { encodeModel, type ModelProto } from '../../../src/engine/onnx/proto';
import { OrtSession, type NamedTensor } from '../../../src/engine/runtime/ort';
import { ModelError } from '../../../src/engine/errors';
import { maxAbsDiff, randomFloats, tinyResnetBytes } from './fixtures';
import { REFERENCE_MODELS, referenceModel } from './reference-models';

async function run(proto: ModelProto | Uint8Array, feeds: Record<string, NamedTensor>): Promise<Record<string, NamedTensor>> {
  const session = await OrtSession.create(proto instanceof Uint8Array ? proto : encodeModel(proto), 'test');
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

for (const { file, inputs } of REFERENCE_MODELS) {
  test(`${file}: prefix + segments + suffix reproduce the full model's logits`, async (t) => {
    const ref = await referenceModel(t, file, inputs);
    if (!ref) return;
    const { model, x } = ref;
    const shapes = await inferShapes(model);
    const layers = detectLayers(model, shapes);
    const full = (await run(runnableBytes(model), { [model.input.name]: x }))[model.output.name];
    // input -> L0 -> L1 -> ... -> logits, each step its own model.
    let a = (await run(prefix(model, layers[0].tensor), { [model.input.name]: x }))[layers[0].tensor];
    for (let i = 1; i < layers.length; i++) {
      a = (await run(segment(model, layers[i - 1].tensor, layers[i].tensor), { [layers[i - 1].tensor]: a }))[layers[i].tensor];
      assert.deepEqual(a.dims, [8, ...layers[i].shape]);
    }
    const chained = maxAbsDiff(a.data as Float32Array, full.data as Float32Array);
    // A suffix from a middle layer.
    const mid = layers[Math.floor(layers.length / 2)].tensor;
    const m = (await run(prefix(model, mid), { [model.input.name]: x }))[mid];
    const s = (await run(suffix(model, mid), { [mid]: m }))[model.output.name];
    const viaSuffix = maxAbsDiff(s.data as Float32Array, full.data as Float32Array);
    t.diagnostic(`max |logit diff|: chained ${layers.length} steps ${chained.toExponential(2)}, prefix+suffix ${viaSuffix.toExponential(2)}`);
    assert.ok(chained <= 1e-5, `chained diff ${chained}`);
    assert.ok(viaSuffix <= 1e-5, `suffix diff ${viaSuffix}`);
  });
}

test('sub-model inputs and outputs are float32 with a dynamic batch dim and known dims', async () => {
  const model = loadModelFromBytes(tinyResnetBytes(), 'tiny.onnx');
  await inferShapes(model);
  const seg = segment(model, '/stem/Relu_output_0', '/layer1/layer1.0/relu_1/Relu_output_0');
  const dims = seg.graph.input[0].type!.tensorType!.shape!.dim;
  assert.deepEqual(
    dims.map((d) => d.dimParam ?? d.dimValue),
    ['batch', 4, 8, 8],
  );
  assert.deepEqual(
    seg.graph.node.map((n) => n.opType),
    ['Conv', 'Relu', 'Add', 'Relu'],
  );
  assert.deepEqual(
    seg.graph.initializer.map((i) => i.name),
    ['l1.w'],
  );
  // It runs on a batch of 3.
  const a = randomFloats(3 * 4 * 64, 9).map(Math.abs);
  const out = await run(seg, { '/stem/Relu_output_0': { data: a, dims: [3, 4, 8, 8] } });
  assert.deepEqual(out['/layer1/layer1.0/relu_1/Relu_output_0'].dims, [3, 4, 8, 8]);
});

test('a shape-only subgraph (Shape -> Gather -> Concat -> Reshape) is carried into the suffix', async () => {
  const model = loadModelFromBytes(tinyResnetBytes({ shapeReshape: true }), 'tiny-reshape.onnx');
  const x = randomFloats(2 * 3 * 64, 11);
  const full = (await run(model.bytes, { input: { data: x, dims: [2, 3, 8, 8] } })).logits;
  const mid = '/layer1/layer1.0/relu_1/Relu_output_0';
  const a = (await run(prefix(model, mid), { input: { data: x, dims: [2, 3, 8, 8] } }))[mid];
  const suf = suffix(model, mid);
  assert.ok(suf.graph.node.some((n) => n.opType === 'Shape'));
  const out = (await run(suf, { [mid]: a })).logits;
  assert.ok(maxAbsDiff(out.data as Float32Array, full.data as Float32Array) <= 1e-6);
});

test('a segment that starts inside a residual block names the skip tensor it lacks', () => {
  const model = loadModelFromBytes(tinyResnetBytes(), 'tiny.onnx');
  assert.throws(
    () => segment(model, '/layer1/layer1.0/relu/Relu_output_0', '/layer1/layer1.0/relu_1/Relu_output_0'),
    (e: Error) =>
      e instanceof ModelError && /node \/layer1\/layer1\.0\/Add \(Add\) needs tensor \/stem\/Relu_output_0, which is neither a sub-model input/.test(e.message),
  );
});

test('an unknown tensor is an error naming it', () => {
  const model = loadModelFromBytes(tinyResnetBytes(), 'tiny.onnx');
  assert.throws(
    () => extractSubmodel(model, ['input'], ['nope']),
    (e: Error) => e instanceof ModelError && /tiny\.onnx has no tensor named nope/.test(e.message),
  );
});

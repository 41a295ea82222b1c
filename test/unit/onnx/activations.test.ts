import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadModelFromBytes } from '../../../src/engine/onnx/model';
import { inferShapes } from '../../../src/engine/onnx/shapes';
import { detectLayers } from '../../../src/engine/onnx/layers';
import { activationModel, computeActivations, type Tensor } from '../../../src/engine/onnx/activations';
import { SessionCache } from '../../../src/engine/runtime/sessions';
import { CPU_BATCH } from '../../../src/engine/runtime/batching';
import { maxAbsDiff, randomFloats, tinyResnetBytes } from './fixtures';
import { REFERENCE_MODELS, referenceModel } from './reference-models';

/** Spatial mean of every (sample, channel) of a full map, in float64. */
function meanOfMap(map: Tensor): Float64Array {
  const [n, c] = map.dims;
  const s = map.dims.slice(2).reduce((a, b) => a * b, 1);
  const out = new Float64Array(n * c);
  for (let i = 0; i < n * c; i++) {
    let sum = 0;
    for (let k = 0; k < s; k++) sum += map.data[i * s + k];
    out[i] = sum / s;
  }
  return out;
}

for (const { file, inputs } of REFERENCE_MODELS) {
  test(`${file}: channel means equal the mean of the full maps; logits equal the full model`, async (t) => {
    const ref = await referenceModel(t, file, inputs);
    if (!ref) return;
    const { model, x } = ref;
    const layers = detectLayers(model, await inferShapes(model));
    const tensors = layers.map((l) => l.tensor);
    const cache = new SessionCache();
    const a = await computeActivations(model, x, { means: tensors, maps: tensors, logits: true }, { batchSize: 3, cache });
    let worst = 0;
    for (const l of layers) {
      const means = a.means.get(l.tensor)!;
      assert.deepEqual(means.dims, [8, l.shape[0]]);
      assert.deepEqual(a.maps.get(l.tensor)!.dims, [8, ...l.shape]);
      worst = Math.max(worst, maxAbsDiff(means.data, meanOfMap(a.maps.get(l.tensor)!)));
    }
    // Means alone, in one batch, from a separate model: the same numbers.
    const only = await computeActivations(model, x, { means: tensors }, { batchSize: 8, cache });
    let again = 0;
    for (const tname of tensors) again = Math.max(again, maxAbsDiff(only.means.get(tname)!.data, a.means.get(tname)!.data));
    t.diagnostic(`max |in-graph mean - mean of map| ${worst.toExponential(2)}; batch 3 vs 8 ${again.toExponential(2)}; provider ${a.provider}`);
    assert.ok(worst <= 1e-5, `mean diff ${worst}`);
    assert.ok(again <= 1e-5, `batching diff ${again}`);
    assert.deepEqual(a.logits!.dims, [8, layers[layers.length - 1].shape[0]]);
    assert.equal(maxAbsDiff(a.logits!.data, a.maps.get(model.output.name)!.data), 0);
    await cache.clear();
  });
}

test('opset 18: ReduceMean takes its axes as an input', async () => {
  const model = loadModelFromBytes(tinyResnetBytes({ opset: 18 }), 'tiny18.onnx');
  const shapes = await inferShapes(model);
  const proto = activationModel(model, { means: ['/stem/Relu_output_0'] }, shapes);
  const rm = proto.graph.node.find((n) => n.opType === 'ReduceMean')!;
  assert.equal(rm.input.length, 2);
  assert.equal(
    rm.attribute.some((a) => a.name === 'axes'),
    false,
  );
  const x = { data: randomFloats(5 * 3 * 64, 3), dims: [5, 3, 8, 8] };
  const r = await computeActivations(model, x, { means: ['/stem/Relu_output_0'], maps: ['/stem/Relu_output_0'] });
  assert.ok(maxAbsDiff(r.means.get('/stem/Relu_output_0')!.data, meanOfMap(r.maps.get('/stem/Relu_output_0')!)) <= 1e-6);
  const old = loadModelFromBytes(tinyResnetBytes({ opset: 13 }), 'tiny13.onnx');
  const rm13 = activationModel(old, { means: ['/stem/Relu_output_0'] }, await inferShapes(old)).graph.node.find((n) => n.opType === 'ReduceMean')!;
  assert.deepEqual(rm13.attribute.find((a) => a.name === 'axes')!.ints, [2, 3]);
});

test('inputs from a batch source, a memory budget and progress', async () => {
  const model = loadModelFromBytes(tinyResnetBytes(), 'tiny.onnx');
  const n = 7;
  const all = randomFloats(n * 3 * 64, 5);
  const asked: [number, number][] = [];
  const progress: number[] = [];
  const source = {
    count: n,
    batch: (start: number, count: number) => {
      asked.push([start, count]);
      return all.slice(start * 192, (start + count) * 192);
    },
  };
  const shapes = await inferShapes(model);
  const perSample = [...shapes.values()].reduce((s, d) => s + d.slice(1).reduce((a, b) => a * b, 1) * 4, 0);
  const r = await computeActivations(
    model,
    source,
    { means: ['/layer1/layer1.0/relu_1/Relu_output_0'], logits: true },
    {
      memoryBudget: perSample * 3,
      onProgress: (done) => progress.push(done),
    },
  );
  assert.equal(r.batchSize, 3);
  assert.deepEqual(asked, [
    [0, 3],
    [3, 3],
    [6, 1],
  ]);
  assert.deepEqual(progress, [3, 6, 7]);
  const whole = await computeActivations(model, { data: all, dims: [n, 3, 8, 8] }, { logits: true });
  assert.equal(maxAbsDiff(r.logits!.data, whole.logits!.data), 0);
});

test('on CPU with the default budget the batch is CPU_BATCH, and the results do not depend on it', async () => {
  const model = loadModelFromBytes(tinyResnetBytes(), 'tiny.onnx');
  const n = 40;
  const x = { data: randomFloats(n * 192, 9), dims: [n, 3, 8, 8] };
  const spec = { means: ['/layer1/layer1.0/relu_1/Relu_output_0'], logits: true };
  const cpu = await computeActivations(model, x, spec, { provider: 'cpu' });
  assert.equal(cpu.provider, 'cpu');
  assert.equal(cpu.batchSize, CPU_BATCH);
  const one = await computeActivations(model, x, spec, { provider: 'cpu', batchSize: n });
  assert.equal(one.batchSize, n);
  assert.ok(maxAbsDiff(cpu.logits!.data, one.logits!.data) <= 1e-6);
  assert.ok(maxAbsDiff(cpu.means.get(spec.means[0])!.data, one.means.get(spec.means[0])!.data) <= 1e-6);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OrtAnalysisBackend } from '../../../src/engine/analysis/ort-backend';
import { loadModelFromBytes } from '../../../src/engine/onnx/model';
import { inferShapes } from '../../../src/engine/onnx/shapes';
import { bytesPerSample } from '../../../src/engine/runtime/batching';
import { sessionCache } from '../../../src/engine/runtime/sessions';
import { randomFloats, tinyResnetBytes } from '../onnx/fixtures';

const noIg = () => {
  throw new Error('not used');
};

test('the backend splits a large input by the memory budget and gives the same means and maps as one run', async (t) => {
  t.after(() => sessionCache.clear());
  const model = loadModelFromBytes(tinyResnetBytes(), 'tiny-backend.onnx');
  const perSample = bytesPerSample((await inferShapes(model)).values());
  const n = 9;
  const inputs = { data: randomFloats(n * 192, 11), dims: [n, 3, 8, 8] };
  const tensors = ['/stem/Relu_output_0', '/layer1/layer1.0/relu_1/Relu_output_0', 'logits'];
  const small = new OrtAnalysisBackend(model, { threads: 1, ig: noIg, memoryBudget: perSample * 2 });
  const whole = new OrtAnalysisBackend(model, { threads: 1, ig: noIg, memoryBudget: perSample * 64, memoryArena: true });
  const a = await small.channelMeans(inputs, tensors);
  const b = await whole.channelMeans(inputs, tensors);
  a.forEach((m, i) => {
    assert.deepEqual(m.dims, b[i].dims);
    assert.deepEqual(m.dims[0], n);
    assert.deepEqual([...m.data], [...b[i].data], `means of ${tensors[i]}`);
  });
  const ma = await small.activation(inputs, '/stem/Relu_output_0');
  const mb = await whole.activation(inputs, '/stem/Relu_output_0');
  assert.deepEqual(ma.dims, [n, ...mb.dims.slice(1)]);
  assert.deepEqual([...ma.data], [...mb.data]);
});

/**
 * The shape probe's allocation is bounded (issue #17, finding 2): a model that declares a huge input is refused
 * with a ModelError naming the input and the limit, at once (no RangeError, no 10 GB allocation, no stall).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadModelFromBytes } from '../../../src/engine/onnx/model';
import { inferShapes, PROBE_MAX_INPUT_VALUES, probeInputDims } from '../../../src/engine/onnx/shapes';
import { completePreprocessing } from '../../../src/engine/data/sidecar';
import { DataError, ModelError } from '../../../src/engine/errors';
import { tinyResnetBytes } from './fixtures';

for (const side of [100_000, 30_000, 1025]) {
  test(`a declared input [1, 3, ${side}, ${side}] is refused by the probe within a second`, async () => {
    const m = loadModelFromBytes(tinyResnetBytes({ input: [3, side, side] }), `huge${side}.onnx`);
    const started = Date.now();
    await assert.rejects(
      inferShapes(m),
      (e: Error) =>
        e instanceof ModelError &&
        e.message.includes(`huge${side}.onnx: input input declares shape [batch, 3, ${side}, ${side}]`) &&
        e.message.includes(PROBE_MAX_INPUT_VALUES.toLocaleString('en-US')),
    );
    assert.ok(Date.now() - started < 1000, `refused in ${Date.now() - started} ms`);
  });
}

test('the probe runs inputs up to the limit, and dynamic sizes from the options are checked too', async () => {
  const m = loadModelFromBytes(tinyResnetBytes({ input: [3, 1024, 1024] }), 'edge.onnx');
  assert.deepEqual(probeInputDims(m), [1, 3, 1024, 1024]);
  const dyn = loadModelFromBytes(tinyResnetBytes({ input: [3, 'h', 'w'] }), 'dyn.onnx');
  assert.deepEqual(probeInputDims(dyn), [1, 3, 224, 224]);
  assert.throws(() => probeInputDims(dyn, { height: 40_000, width: 40_000 }), ModelError);
  const shapes = await inferShapes(loadModelFromBytes(tinyResnetBytes(), 'tiny.onnx'));
  assert.deepEqual(shapes.get('logits'), [1, 5]);
});

test('a preprocessing that resizes or crops beyond the side limit is a DataError', () => {
  const dyn = loadModelFromBytes(tinyResnetBytes({ input: [3, 'h', 'w'] }), 'dyn.onnx');
  for (const settings of [
    { size: 100_000 },
    { size: 64, resize: 50_000 },
    { size: [64, 64] as [number, number], centerCrop: [64, 90_000] as [number, number] },
  ]) {
    assert.throws(
      () => completePreprocessing(settings, dyn.input, 'sidecar.json'),
      (e: Error) => e instanceof DataError && /sidecar\.json: field "\w+" .* is larger than 4096 pixels/.test(e.message),
      JSON.stringify(settings),
    );
  }
});

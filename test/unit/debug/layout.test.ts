import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toClassIndices, toModelBatch, nhwcToNchw } from '../../../src/engine/data/batch-layout';
import type { NpyArray } from '../../../src/engine/io/npy';
import { DataError } from '../../../src/engine/errors';

const spec = { channels: 3, height: 4, width: 5 };
const f32 = (shape: number[], f: (i: number) => number = (i) => i): NpyArray => ({
  dtype: 'float32',
  shape,
  data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => f(i)),
});
const i64 = (shape: number[], values: number[]): NpyArray => ({ dtype: 'int64', shape, data: BigInt64Array.from(values.map(BigInt)) });

test('NCHW passes through unchanged', () => {
  const a = f32([2, 3, 4, 5]);
  const b = toModelBatch(a, spec, 'images');
  assert.deepEqual(b.dims, [2, 3, 4, 5]);
  assert.equal(b.layout, 'NCHW');
  assert.equal(b.data, a.data);
});

test('NHWC is transposed element by element', () => {
  const a = f32([2, 4, 5, 3], (i) => i * 0.5);
  const b = toModelBatch(a, spec, 'x');
  assert.deepEqual(b.dims, [2, 3, 4, 5]);
  assert.equal(b.layout, 'NHWC -> NCHW');
  for (const [n, y, x, c] of [
    [0, 0, 0, 0],
    [1, 3, 4, 2],
    [1, 2, 1, 1],
    [0, 1, 3, 2],
  ]) {
    assert.equal(b.data[((n * 3 + c) * 4 + y) * 5 + x], a.data[((n * 4 + y) * 5 + x) * 3 + c], `n${n} y${y} x${x} c${c}`);
  }
  // And back: NCHW -> NHWC of the result is the original (transpose as a permutation check).
  assert.equal(
    nhwcToNchw(a.data as Float32Array, 2, 4, 5, 3).reduce((s, v) => s + v, 0),
    (a.data as Float32Array).reduce((s, v) => s + v, 0),
  );
});

test('a single image (CHW or HWC) becomes a batch of one; N x H x W feeds a one-channel model', () => {
  assert.deepEqual(toModelBatch(f32([3, 4, 5]), spec, 'img').dims, [1, 3, 4, 5]);
  const hwc = toModelBatch(f32([4, 5, 3]), spec, 'img');
  assert.deepEqual(hwc.dims, [1, 3, 4, 5]);
  assert.equal(hwc.data[1 * 20 + 0], 1); // channel 1 of pixel 0 was element 1
  const grey = toModelBatch(f32([7, 4, 5]), { channels: 1, height: 4, width: 5 }, 'x');
  assert.deepEqual(grey.dims, [7, 1, 4, 5]);
});

test('dynamic spatial size accepts any size with the right channels', () => {
  assert.deepEqual(toModelBatch(f32([2, 3, 9, 11]), { channels: 3, height: 0, width: 0 }, 'x').dims, [2, 3, 9, 11]);
});

test('wrong shapes are refused naming the expression, its shape and the model input', () => {
  const cases: [number[], RegExp][] = [
    [[2, 4, 4, 5], /neither axis 1 nor axis 3 has the model's 3 channels/],
    [[2, 3, 8, 8], /image size differs/],
    [[2, 3, 4, 5, 1], /rank 5 is not an image batch/],
    [[20], /rank 1/],
    [[5, 4, 6], /rank 3 is read as one image/],
  ];
  for (const [shape, why] of cases) {
    assert.throws(
      () => toModelBatch(f32(shape), spec, 'batch["pixels"]'),
      (e: Error) => {
        assert.ok(e instanceof DataError);
        assert.match(e.message, /^batch\["pixels"\] has shape \[/);
        assert.ok(e.message.includes(`[${shape.join(', ')}]`), e.message);
        assert.match(e.message, why);
        assert.match(e.message, /the model input is \[N, 3, 4, 5\]/);
        return true;
      },
      shape.join('x'),
    );
  }
});

test('labels: indices, a column, or one-hot / scores by argmax', () => {
  assert.deepEqual([...toClassIndices(i64([3], [2, 0, 1]), 3, 4, 'y', 'labels')], [2, 0, 1]);
  assert.deepEqual([...toClassIndices(i64([3, 1], [2, 0, 1]), 3, 4, 'y', 'labels')], [2, 0, 1]);
  const scores = f32([2, 4], (i) => [0.1, 0.7, 0.1, 0.1, 0.9, 0, 0.05, 0.05][i]);
  assert.deepEqual([...toClassIndices(scores, 2, 4, 'out', 'predictions')], [1, 0]);
});

test('labels that do not fit the batch or the classes are refused', () => {
  assert.throws(() => toClassIndices(i64([3], [0, 1, 2]), 4, 4, 'y', 'labels'), /y \(labels\) has shape \[3\]: the batch has 4 images but 3 labels/);
  assert.throws(() => toClassIndices(i64([2], [0, 7]), 2, 4, 'y', 'labels'), /class 7 at index 1 is outside the model's classes 0\.\.3/);
  assert.throws(
    () =>
      toClassIndices(
        f32([2], () => 0.5),
        2,
        4,
        'y',
        'labels',
      ),
    /value 0.5 at index 0 is not a class index/,
  );
  assert.throws(() => toClassIndices(f32([2, 5]), 2, 4, 'out', 'predictions'), /5 scores per sample, but the model has 4 classes/);
  assert.throws(() => toClassIndices(i64([2, 2, 1], [0, 0, 0, 0]), 2, 4, 'y', 'labels'), /expected 2 class indices/);
});

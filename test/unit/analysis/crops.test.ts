import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { cropBatch, cropResize, cropTable, imageCrops, windowBoxes, boxesOverlap } from '../../../src/engine/analysis/crops';
import { makeGraph, makeModel, makeNode, makeTensor, makeValueInfo } from '../../../src/engine/onnx/build';
import { DataType, encodeModel } from '../../../src/engine/onnx/proto';
import { OrtSession } from '../../../src/engine/runtime/ort';
import { sharedPath } from '../../helpers/shared';

const GEOM64 = { height: 64, width: 64 };

test("crop table equals the authors' get_crop_data order (crops.json, 85 images)", (t) => {
  const file = sharedPath(t, 'reference/neurflow/crops.json');
  if (!file) return;
  const ref = JSON.parse(readFileSync(file, 'utf8')) as { n_images: number; crops: [number, number, number[]][] };
  const ours = cropTable(ref.n_images, GEOM64, [1, 0.5, 0.25], 0.5);
  assert.equal(ours.length, 5015);
  assert.equal(ours.length, ref.crops.length);
  ours.forEach((c, i) => {
    const [image, g, box] = ref.crops[i];
    assert.deepEqual([c.image, c.granularity, c.box], [image, g, box], `crop ${i}`);
  });
});

test('59 windows per 64-px image: 1 + 9 (32 px, stride 16) + 49 (16 px, stride 8)', () => {
  assert.deepEqual(windowBoxes(1, GEOM64, 0.5), [[0, 0, 64, 64]]);
  const half = windowBoxes(0.5, GEOM64, 0.5);
  assert.equal(half.length, 9);
  assert.deepEqual(half[1], [16, 0, 48, 32]);
  const quarter = windowBoxes(0.25, GEOM64, 0.5);
  assert.equal(quarter.length, 49);
  assert.deepEqual(quarter[7], [0, 8, 16, 24]);
  const dbg = imageCrops(GEOM64, [0.25, 0.5, 1], 0.5);
  assert.equal(dbg.length, 59);
  assert.equal(dbg[58].granularity, 1);
  assert.throws(() => windowBoxes(0, GEOM64, 0.5), /granularity 0/);
});

test('bilinear resize matches the hand-worked torch example (2x2 -> 4x4, half-pixel, clamped)', () => {
  const img = Float32Array.from([0, 1, 2, 3]);
  const out = new Float32Array(16);
  cropResize(img, 1, 2, 2, [0, 0, 2, 2], 4, 4, out);
  assert.deepEqual(Array.from(out), [0, 0.25, 0.75, 1, 0.5, 0.75, 1.25, 1.5, 1.5, 1.75, 2.25, 2.5, 2, 2.25, 2.75, 3]);
  // A full-size box is copied exactly.
  const same = new Float32Array(4);
  cropResize(img, 1, 2, 2, [0, 0, 2, 2], 2, 2, same);
  assert.deepEqual(Array.from(same), [0, 1, 2, 3]);
  assert.throws(() => cropResize(img, 1, 2, 2, [0, 0, 3, 2], 2, 2, same), /outside the 2x2 image/);
});

test('crop + resize equals onnxruntime Slice + Resize(linear, half_pixel) on random images', async () => {
  const C = 3,
    H = 64,
    W = 64;
  let seed = 7;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return (seed / 2 ** 31) * 4 - 2;
  };
  const image = Float32Array.from({ length: C * H * W }, rand);
  const crops = imageCrops(GEOM64, [0.25, 0.5, 1], 0.5).filter((_, i) => i % 5 === 0 || i === 58);
  const ours = cropBatch(crops, [image], C, GEOM64);
  let worst = 0;
  for (const [i, crop] of crops.entries()) {
    const [x0, y0, x1, y1] = crop.box;
    const graph = makeGraph(
      'crop',
      [
        makeNode('Slice', ['x', 'starts', 'ends', 'axes'], ['s']),
        makeNode('Resize', ['s', '', '', 'sizes'], ['y'], { mode: 'linear', coordinate_transformation_mode: 'half_pixel' }),
      ],
      [makeValueInfo('x', DataType.FLOAT, [1, C, H, W])],
      [makeValueInfo('y', DataType.FLOAT, [1, C, H, W])],
      [makeTensor('starts', [2], [y0, x0]), makeTensor('ends', [2], [y1, x1]), makeTensor('axes', [2], [2, 3]), makeTensor('sizes', [4], [1, C, H, W])],
    );
    const session = await OrtSession.create(encodeModel(makeModel(graph)), 'crop-resize', { threads: 1 });
    const res = await session.run({ x: { data: image, dims: [1, C, H, W] } });
    await session.release();
    const ref = res.y.data as Float32Array;
    const size = C * H * W;
    for (let k = 0; k < size; k++) worst = Math.max(worst, Math.abs(ref[k] - ours[i * size + k]));
  }
  assert.ok(worst < 2e-6, `max abs difference to onnxruntime ${worst}`);
});

test('box overlap', () => {
  assert.ok(boxesOverlap([0, 0, 16, 16], [15, 15, 20, 20]));
  assert.ok(!boxesOverlap([0, 0, 16, 16], [16, 0, 32, 16]));
});

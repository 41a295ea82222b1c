/**
 * Finite-difference checks of Resize (nearest and linear; every supported coordinate transformation and
 * nearest mode; scales or sizes; axis 1 and rank 5). ORT's CPU has no float64 Resize: float32. Resize is
 * linear in x (nearest too: a selection), so the central difference has no truncation error, only float32
 * rounding (measured <= 1e-5 relative): tolerance 1e-4. A wrongly placed sample or weight is an O(1) error.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildVjpModel } from '../../../src/engine/grad/builder';
import { SegmentGradients } from '../../../src/engine/grad/ig';
import { makeNode, makeTensor } from '../../../src/engine/onnx/build';
import { encodeModel, type TensorProto } from '../../../src/engine/onnx/proto';
import { OrtSession } from '../../../src/engine/runtime/ort';
import { fdTests, type FdCase } from './cases';
import { forwardModel, probeShapes, randomValues } from './helpers';

type Attrs = Record<string, number | number[] | string>;
const scales = (v: number[]): TensorProto => makeTensor('scales', [v.length], Float32Array.from(v));
const sizes = (v: number[]): TensorProto => makeTensor('sizes', [v.length], v);

/**
 * A Resize of x by constant scales, or to `sizes` (the non-batch lengths), computed as torch exports them:
 * Concat(Shape(x)[:1], sizes), so the batch length follows x.
 */
function resize(name: string, inputShape: number[], attrs: Attrs, by: { scales?: number[]; sizes?: number[] }, opset = 17): FdCase {
  if (by.scales) {
    return {
      name: `Resize ${name}`,
      inputShape,
      opset,
      tol: 1e-4,
      initializers: [scales(by.scales)],
      nodes: [makeNode('Resize', ['x', '', 'scales'], ['y'], attrs)],
    };
  }
  return {
    name: `Resize ${name}`,
    inputShape,
    opset,
    tol: 1e-4,
    initializers: [sizes(by.sizes!), makeTensor('zero', [1], [0]), makeTensor('one', [1], [1])],
    nodes: [
      makeNode('Shape', ['x'], ['shape']),
      makeNode('Slice', ['shape', 'zero', 'one'], ['batch']),
      makeNode('Concat', ['batch', 'sizes'], ['all'], { axis: 0 }),
      makeNode('Resize', ['x', '', '', 'all'], ['y'], attrs),
    ],
  };
}
const linear = (coordinate_transformation_mode: string): Attrs => ({ mode: 'linear', coordinate_transformation_mode });
const nearest = (coordinate_transformation_mode: string, nearest_mode = 'round_prefer_floor'): Attrs => ({
  mode: 'nearest',
  coordinate_transformation_mode,
  nearest_mode,
});

fdTests([
  resize('linear half_pixel, scales x2 (torch bilinear)', [2, 3, 4, 5], linear('half_pixel'), { scales: [1, 1, 2, 2] }),
  resize('linear half_pixel, sizes 5x4 -> 7x9', [2, 2, 5, 4], linear('half_pixel'), { sizes: [2, 7, 9] }),
  resize('linear half_pixel, downscale 8x9 -> 3x4', [2, 2, 8, 9], linear('half_pixel'), { sizes: [2, 3, 4] }),
  resize('linear pytorch_half_pixel, 6x5 -> 1x8 (a length-1 axis)', [2, 2, 6, 5], linear('pytorch_half_pixel'), { sizes: [2, 1, 8] }),
  resize('linear pytorch_half_pixel, scales 1.5 x 0.6', [2, 2, 6, 10], linear('pytorch_half_pixel'), { scales: [1, 1, 1.5, 0.6] }),
  resize('linear align_corners, 4x5 -> 7x9', [2, 3, 4, 5], linear('align_corners'), { sizes: [3, 7, 9] }),
  resize('linear align_corners, 5x4 -> 1x3', [2, 1, 5, 4], linear('align_corners'), { sizes: [1, 1, 3] }),
  resize('linear asymmetric, scales 1.5 x 2.5', [2, 2, 4, 5], linear('asymmetric'), { scales: [1, 1, 1.5, 2.5] }),
  resize('linear half_pixel, rank 5 (trilinear), scales [2, 1.5, 2]', [2, 2, 3, 4, 3], linear('half_pixel'), { scales: [1, 1, 2, 1.5, 2] }),
  resize('linear half_pixel, opset 18 axes [2, 3]', [2, 2, 4, 5], { ...linear('half_pixel'), axes: [2, 3] }, { scales: [2, 1.5] }, 18),
  resize('linear half_pixel, opset 13, sizes', [2, 2, 3, 4], linear('half_pixel'), { sizes: [2, 5, 6] }, 13),
  resize("nearest asymmetric floor x2 (ORT's 2x fast path)", [2, 3, 4, 5], nearest('asymmetric', 'floor'), { scales: [1, 1, 2, 2] }),
  resize('nearest half_pixel round_prefer_floor, 5x4 -> 8x7', [2, 2, 5, 4], nearest('half_pixel'), { sizes: [2, 8, 7] }),
  resize('nearest half_pixel round_prefer_floor, downscale 8x9 -> 3x4', [2, 2, 8, 9], nearest('half_pixel'), { sizes: [2, 3, 4] }),
  resize('nearest asymmetric round_prefer_floor, scales x2 (ties at .5)', [2, 2, 3, 4], nearest('asymmetric'), { scales: [1, 1, 2, 2] }),
  resize('nearest asymmetric round_prefer_ceil, scales x2 (ties at .5)', [2, 2, 3, 4], nearest('asymmetric', 'round_prefer_ceil'), { scales: [1, 1, 2, 2] }),
  resize('nearest align_corners ceil, 4x5 -> 7x6', [2, 2, 4, 5], nearest('align_corners', 'ceil'), { sizes: [2, 7, 6] }),
  resize('nearest pytorch_half_pixel floor, scales 1.5 x 0.5', [2, 2, 4, 6], nearest('pytorch_half_pixel', 'floor'), { scales: [1, 1, 1.5, 0.5] }),
  resize('nearest tf_half_pixel_for_nn, scales x3', [2, 2, 2, 3], nearest('tf_half_pixel_for_nn'), { scales: [1, 1, 3, 3] }, 13),
  resize('nearest on the channel axis (axis 1, transposed)', [2, 3, 2, 2], nearest('asymmetric', 'floor'), { scales: [1, 2, 1, 1] }),
  resize('nearest default attributes (half_pixel, round_prefer_floor), rank 3', [2, 3, 5], {}, { sizes: [3, 9] }),
]);

async function vjpError(attrs: Attrs): Promise<Error | undefined> {
  const inputShape = [1, 1, 4, 4];
  const model = forwardModel({
    inputShape,
    opset: 18,
    initializers: [scales([1, 1, 2, 2])],
    nodes: [makeNode('Resize', ['x', '', 'scales'], ['y'], attrs, 'the_resize')],
  });
  const shapes = await probeShapes(model, inputShape, 'float32');
  try {
    buildVjpModel(model, shapes);
  } catch (e) {
    return e as Error;
  }
  return undefined;
}

test('Resize modes without a rule fail naming the node', async () => {
  const cubic = await vjpError({ mode: 'cubic' });
  assert.match(cubic?.message ?? '', /Resize node 'the_resize'.*mode 'cubic' is not supported/);
  const antialias = await vjpError({ mode: 'linear', antialias: 1 });
  assert.match(antialias?.message ?? '', /Resize node 'the_resize'.*antialias/);
});

test('IG through ConvTranspose -> Sigmoid -> Resize (linear) -> InstanceNormalization -> Conv: gradients equal the VJP model, IG is complete', async () => {
  const rand = (name: string, dims: number[], seed: number, offset = 0) =>
    makeTensor(
      name,
      dims,
      randomValues(
        dims.reduce((a, b) => a * b, 1),
        seed,
        'float32',
      ).map((v) => v + offset) as Float32Array,
    );
  const inputShape = [2, 3, 4, 4];
  const model = forwardModel({
    inputShape,
    initializers: [
      rand('wt', [3, 4, 2, 2], 51),
      rand('bt', [4], 52),
      scales([1, 1, 1.5, 1.5]),
      rand('s', [4], 53, 1),
      rand('b', [4], 54),
      rand('wc', [2, 4, 3, 3], 55),
    ],
    nodes: [
      makeNode('ConvTranspose', ['x', 'wt', 'bt'], ['u'], { strides: [2, 2] }),
      makeNode('Sigmoid', ['u'], ['g']),
      makeNode('Resize', ['g', '', 'scales'], ['r'], linear('half_pixel')),
      makeNode('InstanceNormalization', ['r', 's', 'b'], ['n']),
      makeNode('Conv', ['n', 'wc'], ['y'], { pads: [1, 1, 1, 1] }),
    ],
  });
  const shapes = await probeShapes(model, inputShape, 'float32');
  const a = randomValues(
    inputShape.reduce((p, d) => p * d, 1),
    56,
    'float32',
  ) as Float32Array;
  const seg = await SegmentGradients.create(model, shapes, { threads: 1 });
  const vjp = await OrtSession.create(encodeModel(buildVjpModel(model, shapes)), 'vjp', { threads: 1 });
  try {
    const y = shapes.get('y')!;
    const positions = y[2] * y[3];
    for (const j of [0, 1]) {
      const g = new Float32Array(2 * y[1] * positions);
      for (let s = 0; s < 2; s++) for (let q = 0; q < positions; q++) g[(s * y[1] + j) * positions + q] = 1 / positions;
      const ref = (await vjp.run({ a: { data: a, dims: inputShape }, g: { data: g, dims: [2, ...y.slice(1)] } })).grad_a.data as Float32Array;
      const [grad] = await seg.gradients(a, 2, [j]);
      let err = 0;
      let scale = 0;
      for (let i = 0; i < ref.length; i++) {
        err = Math.max(err, Math.abs(grad[i] - ref[i]));
        scale = Math.max(scale, Math.abs(ref[i]));
      }
      assert.ok(scale > 1e-4, 'reference gradient is zero');
      assert.ok(err / scale < 1e-5, `target ${j}: gradient relative error ${err / scale}`);
      const [ig] = await seg.integratedGradients(a, 2, [j], { steps: 32 });
      assert.ok(ig.relativeCompletenessError < 1e-3, `target ${j}: completeness error ${ig.relativeCompletenessError}`);
    }
  } finally {
    await seg.release();
    await vjp.release();
  }
});

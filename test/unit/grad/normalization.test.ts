/**
 * Finite-difference checks of LayerNormalization (opset 17), InstanceNormalization and GroupNormalization
 * (opset 18: scale per group; opset 21: per channel), and IG through a transformer-style segment.
 * InstanceNormalization has no float64 kernel on ORT's CPU: float32 there.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildVjpModel } from '../../../src/engine/grad/builder';
import { SegmentGradients } from '../../../src/engine/grad/ig';
import { makeNode, makeTensor } from '../../../src/engine/onnx/build';
import { encodeModel, type NodeProto, type TensorProto } from '../../../src/engine/onnx/proto';
import { OrtSession } from '../../../src/engine/runtime/ort';
import { fdTests } from './cases';
import { forwardModel, probeShapes, randomValues } from './helpers';

const size = (dims: number[]) => dims.reduce((a, b) => a * b, 1);
const rand = (name: string, dims: number[], seed: number, dtype: 'float32' | 'float64' = 'float64', offset = 0): TensorProto =>
  makeTensor(name, dims, randomValues(size(dims), seed, dtype).map((v) => v + offset) as Float64Array | Float32Array);
const ln = (inputs: string[], attrs: Record<string, number> = {}, outputs = ['y']): NodeProto => makeNode('LayerNormalization', inputs, outputs, attrs);

fdTests([
  {
    name: 'LayerNormalization axis -1, scale and bias [D] (f64)',
    dtype: 'float64',
    inputShape: [2, 3, 6],
    initializers: [rand('s', [6], 1, 'float64', 1), rand('b', [6], 2)],
    nodes: [ln(['x', 's', 'b'])],
  },
  {
    name: 'LayerNormalization axis 2 of rank 4 (two axes), scale [H,W], no bias, epsilon 0.1 (f64)',
    dtype: 'float64',
    inputShape: [2, 3, 4, 5],
    initializers: [rand('s', [4, 5], 3, 'float64', 1)],
    nodes: [makeNode('LayerNormalization', ['x', 's'], ['y'], { axis: 2, epsilon: 0.1 })],
  },
  {
    name: 'LayerNormalization axis -2, scale [1,W] broadcast (f64)',
    dtype: 'float64',
    inputShape: [2, 3, 4, 5],
    initializers: [rand('s', [1, 5], 4, 'float64', 1), rand('b', [4, 1], 5)],
    nodes: [ln(['x', 's', 'b'], { axis: -2 })],
  },
  {
    name: 'LayerNormalization axis 1 (all but batch) (f64)',
    dtype: 'float64',
    inputShape: [2, 3, 4],
    initializers: [rand('s', [3, 4], 6, 'float64', 1)],
    nodes: [ln(['x', 's'], { axis: 1 })],
  },
  {
    name: 'LayerNormalization with scale and bias that depend on x (sigmoid(x), token mean) (f64)',
    dtype: 'float64',
    inputShape: [2, 3, 6],
    nodes: [makeNode('Sigmoid', ['x'], ['s']), makeNode('ReduceMean', ['x'], ['m'], { axes: [2], keepdims: 1 }), ln(['x', 's', 'm'])],
  },
  {
    name: 'LayerNormalization with scale from x broadcast [N,1,D] (f64)',
    dtype: 'float64',
    inputShape: [2, 3, 6],
    nodes: [makeNode('ReduceMean', ['x'], ['s'], { axes: [1], keepdims: 1 }), ln(['x', 's'])],
  },
  // ORT has no float64 LayerNormalization with a float64 stash, and a float32 stash makes Mean and InvStdDev
  // float32: these two run in float32 (tolerance as for the other float32 cases).
  {
    name: 'LayerNormalization Mean and InvStdDev outputs used (y = Y * InvStdDev + Mean) (f32)',
    inputShape: [2, 3, 6],
    initializers: [rand('s', [6], 7, 'float32', 1)],
    nodes: [ln(['x', 's'], {}, ['n', 'mu', 'r']), makeNode('Mul', ['n', 'r'], ['t']), makeNode('Add', ['t', 'mu'], ['y'])],
    tol: 1e-3,
  },
  {
    name: 'LayerNormalization only InvStdDev used (Y and Mean computed, unused) (f32)',
    inputShape: [2, 3, 6],
    initializers: [rand('s', [6], 8, 'float32', 1)],
    nodes: [ln(['x', 's'], {}, ['n', 'mu', 'y'])],
    tol: 1e-3,
  },
  {
    name: 'LayerNormalization float32 Mean output (stash_type 1) in a float64 model (f64)',
    dtype: 'float64',
    inputShape: [2, 3, 6],
    initializers: [rand('s', [6], 8, 'float64', 1)],
    nodes: [ln(['x', 's'], {}, ['n', 'mu']), makeNode('Cast', ['mu'], ['m64'], { to: 11 }), makeNode('Mul', ['n', 'm64'], ['y'])],
    eps: 1e-3,
    tol: 1e-4,
  },
  {
    name: 'LayerNormalization ViT-like [N,T,D] (f32)',
    inputShape: [2, 5, 8],
    initializers: [rand('s', [8], 9, 'float32', 1), rand('b', [8], 10, 'float32')],
    nodes: [ln(['x', 's', 'b'], { epsilon: 1e-6 })],
    tol: 1e-3,
  },
  {
    name: 'InstanceNormalization [N,C,H,W] (f32)',
    inputShape: [2, 3, 4, 5],
    initializers: [rand('s', [3], 11, 'float32', 1), rand('b', [3], 12, 'float32')],
    nodes: [makeNode('InstanceNormalization', ['x', 's', 'b'], ['y'], { epsilon: 1e-3 })],
    tol: 1e-3,
  },
  {
    name: 'InstanceNormalization 1-D [N,C,L] (f32)',
    inputShape: [2, 3, 7],
    initializers: [rand('s', [3], 13, 'float32', 1), rand('b', [3], 14, 'float32')],
    nodes: [makeNode('InstanceNormalization', ['x', 's', 'b'], ['y'])],
    tol: 1e-3,
  },
  {
    name: 'GroupNormalization opset 18, 3 groups of 2 channels, scale/bias per group (f64)',
    opset: 18,
    dtype: 'float64',
    inputShape: [2, 6, 3, 4],
    initializers: [rand('s', [3], 15, 'float64', 1), rand('b', [3], 16)],
    nodes: [makeNode('GroupNormalization', ['x', 's', 'b'], ['y'], { num_groups: 3 })],
  },
  {
    name: 'GroupNormalization opset 21, 3 groups, scale/bias per channel (f64)',
    opset: 21,
    dtype: 'float64',
    inputShape: [2, 6, 3, 4],
    initializers: [rand('s', [6], 17, 'float64', 1), rand('b', [6], 18)],
    nodes: [makeNode('GroupNormalization', ['x', 's', 'b'], ['y'], { num_groups: 3, epsilon: 0.01, stash_type: 11 })],
  },
  {
    name: 'GroupNormalization opset 21, one group (f64)',
    opset: 21,
    dtype: 'float64',
    inputShape: [2, 4, 5],
    initializers: [rand('s', [4], 19, 'float64', 1), rand('b', [4], 20)],
    nodes: [makeNode('GroupNormalization', ['x', 's', 'b'], ['y'], { num_groups: 1, stash_type: 11 })],
  },
  {
    name: 'GroupNormalization opset 18, groups = channels (f64)',
    opset: 18,
    dtype: 'float64',
    inputShape: [2, 4, 5],
    initializers: [rand('s', [4], 21, 'float64', 1), rand('b', [4], 22)],
    nodes: [makeNode('GroupNormalization', ['x', 's', 'b'], ['y'], { num_groups: 4 })],
  },
]);

/**
 * A pre-norm transformer MLP block on tokens [N, T, D] after a biased projection: p = x W0 + c,
 * p + W2 gelu(W1 LN(p)). (LN right on the input would be scale-invariant along the IG path, F(alpha a) constant
 * for alpha > 0 but not at 0: no zero-baseline IG can be complete there.)
 */
function block(
  dtype: 'float32' | 'float64',
  opset: number,
): { nodes: NodeProto[]; initializers: TensorProto[]; inputShape: number[]; dtype: 'float32' | 'float64'; opset: number } {
  return {
    dtype,
    opset,
    inputShape: [3, 4, 6],
    initializers: [
      rand('w0', [6, 6], 30, dtype),
      rand('c', [6], 35, dtype),
      rand('s', [6], 31, dtype, 1),
      rand('b', [6], 32, dtype),
      rand('w1', [6, 8], 33, dtype),
      rand('w2', [8, 6], 34, dtype),
    ],
    nodes: [
      makeNode('MatMul', ['x', 'w0'], ['q']),
      makeNode('Add', ['q', 'c'], ['p']),
      ln(['p', 's', 'b']),
      makeNode('MatMul', ['y', 'w1'], ['h']),
      makeNode('Gelu', ['h'], ['g'], { approximate: 'tanh' }),
      makeNode('MatMul', ['g', 'w2'], ['o']),
      makeNode('Add', ['p', 'o'], ['out']),
    ].map((n) => ({ ...n, input: n.input.map((i) => (i === 'y' ? 'ln' : i)), output: n.output.map((o) => (o === 'y' ? 'ln' : o === 'out' ? 'y' : o)) })),
  };
}

test('IG through MatMul + bias -> LayerNormalization -> MatMul -> Gelu -> MatMul + residual (opset 20, f64): gradients equal the VJP model, IG is complete', async () => {
  const c = block('float64', 20);
  const model = forwardModel(c);
  const shapes = await probeShapes(model, c.inputShape, c.dtype);
  const n = c.inputShape[0];
  const a = randomValues(size(c.inputShape), 41, c.dtype) as Float64Array;
  const seg = await SegmentGradients.create(model, shapes, { threads: 1 });
  const vjp = await OrtSession.create(encodeModel(buildVjpModel(model, shapes)), 'vjp', { threads: 1 });
  try {
    for (const j of [0, 3]) {
      // Reference gradient of F_j = mean over D of y[:, j, :]: cotangent 1/D on token j.
      const [, T, D] = c.inputShape;
      const g = new Float64Array(n * T * D);
      for (let s = 0; s < n; s++) for (let d = 0; d < D; d++) g[(s * T + j) * D + d] = 1 / D;
      const ref = (await vjp.run({ a: { data: a, dims: c.inputShape }, g: { data: g, dims: c.inputShape } })).grad_a.data as Float64Array;
      const [grad] = await seg.gradients(a, n, [j]);
      let err = 0;
      for (let i = 0; i < ref.length; i++) err = Math.max(err, Math.abs(grad[i] - ref[i]));
      assert.ok(Math.max(...ref.map(Math.abs)) > 1e-3, 'reference gradient is zero');
      assert.ok(err < 1e-9, `target ${j}: gradient max abs error ${err}`);
      const [ig] = await seg.integratedGradients(a, n, [j], { steps: 32 });
      assert.ok(ig.relativeCompletenessError < 1e-3, `target ${j}: completeness error ${ig.relativeCompletenessError}`);
    }
  } finally {
    await seg.release();
    await vjp.release();
  }
});

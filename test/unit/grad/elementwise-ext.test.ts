/**
 * Finite-difference checks of the element-wise and selection rules transformer-era classifiers use (Erf, Gelu,
 * Pow, Sqrt, Reciprocal, Exp, Where, Max, Min, ReduceMax), and exact checks of how ties share the cotangent.
 * Float64 wherever ORT's CPU has the kernel; Erf (and Gelu "none", built on it) has none: float32.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildVjpModel } from '../../../src/engine/grad/builder';
import { makeNode, makeTensor } from '../../../src/engine/onnx/build';
import { DataType, encodeModel, type NodeProto, type TensorProto } from '../../../src/engine/onnx/proto';
import { OrtSession } from '../../../src/engine/runtime/ort';
import { awayFrom, fdTests } from './cases';
import { forwardModel, probeShapes, randomValues } from './helpers';

const shape = [2, 3, 4, 5];
const f64 = (name: string, dims: number[], values: number[]): TensorProto => makeTensor(name, dims, Float64Array.from(values));
const rand64 = (name: string, dims: number[], seed: number, lo: number, hi: number): TensorProto =>
  f64(
    name,
    dims,
    Array.from(
      randomValues(
        dims.reduce((a, b) => a * b, 1),
        seed,
        'float64',
      ),
      (v) => lo + ((hi - lo) * (v + 1)) / 2,
    ),
  );
const spatialMean = (x: string, out: string): NodeProto => makeNode('ReduceMean', [x], [out], { axes: [2, 3], keepdims: 1 });
const positive: (r: () => number) => number = (r) => 0.5 + 1.5 * r();

// Float32 cases: eps 1e-2 makes the central-difference truncation error ~eps^2 |f'''| / 6 ~ 1e-5 relative and
// float32 rounding ~1e-7 / eps ~ 1e-5; 1e-3 leaves room for both and still fails on any wrong term.
fdTests([
  { name: 'Erf (f32)', inputShape: shape, nodes: [makeNode('Erf', ['x'], ['y'])], tol: 1e-3 },
  {
    name: 'Gelu approximate none, opset 20 (f32)',
    opset: 20,
    inputShape: shape,
    sample: (r) => 6 * r() - 3,
    nodes: [makeNode('Gelu', ['x'], ['y'])],
    tol: 1e-3,
  },
  {
    name: 'Gelu approximate tanh, opset 20 (f64)',
    opset: 20,
    dtype: 'float64',
    inputShape: shape,
    sample: (r) => 6 * r() - 3,
    nodes: [makeNode('Gelu', ['x'], ['y'], { approximate: 'tanh' })],
  },
  { name: 'Sqrt (f64)', dtype: 'float64', inputShape: shape, sample: positive, nodes: [makeNode('Sqrt', ['x'], ['y'])] },
  { name: 'Reciprocal (f64)', dtype: 'float64', inputShape: shape, sample: awayFrom([0], 0.3), nodes: [makeNode('Reciprocal', ['x'], ['y'])] },
  { name: 'Exp (f64)', dtype: 'float64', inputShape: shape, sample: (r) => 4 * r() - 2, nodes: [makeNode('Exp', ['x'], ['y'])] },
  // Pow: constant exponents (scalar, integer-typed, per channel incl. 0) and exponents that depend on x.
  {
    name: 'Pow x^3, scalar constant exponent, negative bases too (f64)',
    dtype: 'float64',
    inputShape: shape,
    initializers: [f64('e', [], [3])],
    nodes: [makeNode('Pow', ['x', 'e'], ['y'])],
  },
  {
    name: 'Pow x^2 with an int64 exponent (f64)',
    dtype: 'float64',
    inputShape: shape,
    initializers: [makeTensor('e', [], [2])],
    nodes: [makeNode('Pow', ['x', 'e'], ['y'])],
  },
  {
    name: 'Pow x^e, per-channel exponents [0.5, -1.5, 0] (f64)',
    dtype: 'float64',
    inputShape: shape,
    sample: positive,
    initializers: [f64('e', [3, 1, 1], [0.5, -1.5, 0])],
    nodes: [makeNode('Pow', ['x', 'e'], ['y'])],
  },
  {
    name: 'Pow x^m with m = spatial mean of x (both depend on x, broadcast) (f64)',
    dtype: 'float64',
    inputShape: shape,
    sample: positive,
    nodes: [spatialMean('x', 'm'), makeNode('Pow', ['x', 'm'], ['y'])],
  },
  {
    name: 'Pow m^x (base [N,C,1,1] from x, exponent x) (f64)',
    dtype: 'float64',
    inputShape: shape,
    sample: positive,
    nodes: [spatialMean('x', 'm'), makeNode('Pow', ['m', 'x'], ['y'])],
  },
  {
    name: 'Pow k^x (constant base [C,1,1], exponent x) (f64)',
    dtype: 'float64',
    inputShape: shape,
    initializers: [f64('k', [3, 1, 1], [0.5, 2, 3])],
    nodes: [makeNode('Pow', ['k', 'x'], ['y'])],
  },
  // Where: the condition carries nothing; both branches, broadcast either way.
  {
    name: 'Where(x > 0, x, 3x) (f64)',
    dtype: 'float64',
    inputShape: shape,
    sample: awayFrom([0]),
    initializers: [f64('zero', [], [0]), f64('three', [], [3])],
    nodes: [makeNode('Greater', ['x', 'zero'], ['c']), makeNode('Mul', ['x', 'three'], ['t']), makeNode('Where', ['c', 'x', 't'], ['y'])],
  },
  {
    name: 'Where(constant [H,W] mask, x, spatial mean [N,C,1,1]) (f64)',
    dtype: 'float64',
    inputShape: shape,
    initializers: [
      makeTensor(
        'c',
        [4, 5],
        Uint8Array.from({ length: 20 }, (_, i) => ((i * 7) % 3 === 0 ? 1 : 0)),
        DataType.BOOL,
      ),
    ],
    nodes: [spatialMean('x', 'm'), makeNode('Where', ['c', 'x', 'm'], ['y'])],
  },
  {
    name: 'Where(mask [W], constant [W], x) (f64)',
    dtype: 'float64',
    inputShape: shape,
    initializers: [makeTensor('c', [5], Uint8Array.from([1, 0, 0, 1, 0]), DataType.BOOL), f64('k', [5], [1, 2, 3, 4, 5])],
    nodes: [makeNode('Where', ['c', 'k', 'x'], ['y'])],
  },
  // Max / Min: variadic with broadcasting (random values: no ties within +-eps).
  {
    name: 'Max(x, constant [C,1,1]) (f64)',
    dtype: 'float64',
    inputShape: shape,
    sample: awayFrom([-0.3, 0.1, 0.4]),
    initializers: [f64('k', [3, 1, 1], [-0.3, 0.1, 0.4])],
    nodes: [makeNode('Max', ['x', 'k'], ['y'])],
  },
  {
    name: 'Max(x, -x, spatial mean) (3 inputs, broadcast, all depend on x) (f64)',
    dtype: 'float64',
    inputShape: shape,
    sample: awayFrom([0]),
    nodes: [makeNode('Neg', ['x'], ['n']), spatialMean('x', 'm'), makeNode('Max', ['x', 'n', 'm'], ['y'])],
  },
  {
    name: 'Min(spatial mean, x) (broadcast operand first) (f64)',
    dtype: 'float64',
    inputShape: shape,
    nodes: [spatialMean('x', 'm'), makeNode('Min', ['m', 'x'], ['y'])],
  },
  {
    name: 'Min(x, constant [W], sigmoid(x)) (f64)',
    dtype: 'float64',
    inputShape: shape,
    sample: awayFrom([0.2, 0.6, -0.5]),
    initializers: [f64('k', [5], [0.2, 0.6, -0.5, 2, 2])],
    nodes: [makeNode('Sigmoid', ['x'], ['s']), makeNode('Min', ['x', 'k', 's'], ['y'])],
  },
  { name: 'Max of one input (identity) (f64)', dtype: 'float64', inputShape: shape, nodes: [makeNode('Max', ['x'], ['y'])] },
  // ReduceMax: axes attribute (< 18) and input (>= 18), keepdims 0/1.
  {
    name: 'ReduceMax axes [2,3] keepdims 0, opset 17 (f64)',
    dtype: 'float64',
    inputShape: shape,
    nodes: [makeNode('ReduceMax', ['x'], ['y'], { axes: [2, 3], keepdims: 0 })],
  },
  {
    name: 'ReduceMax axes [1] keepdims 1, opset 13 (f64)',
    opset: 13,
    dtype: 'float64',
    inputShape: shape,
    nodes: [makeNode('ReduceMax', ['x'], ['y'], { axes: [1] })],
  },
  {
    name: 'ReduceMax opset 18, axes input [-1, 1] keepdims 0 (f64)',
    opset: 18,
    dtype: 'float64',
    inputShape: shape,
    initializers: [makeTensor('axes', [2], [-1, 1])],
    nodes: [makeNode('ReduceMax', ['x', 'axes'], ['y'], { keepdims: 0 })],
  },
  {
    name: 'ReduceMax opset 18, noop_with_empty_axes (identity) (f64)',
    opset: 18,
    dtype: 'float64',
    inputShape: shape,
    nodes: [makeNode('ReduceMax', ['x'], ['y'], { noop_with_empty_axes: 1 })],
  },
  {
    name: 'ReduceMax over tokens then scale (opset 20) (f64)',
    opset: 20,
    dtype: 'float64',
    inputShape: [2, 6, 4],
    initializers: [rand64('k', [4], 3, 0.5, 2)],
    nodes: [
      makeNode('ReduceMax', ['x', 'ax'], ['r'], { keepdims: 1 }),
      makeNode('Constant', [], ['ax'], { value: makeTensor('v', [1], [1]) }),
      makeNode('Mul', ['r', 'k'], ['y']),
    ],
  },
]);

/** The VJP of a one-input model at `x` with cotangent `g` (float64). */
async function vjpAt(
  nodes: NodeProto[],
  initializers: TensorProto[],
  x: number[],
  dims: number[],
  g: number[],
  gDims: number[],
  opset = 17,
): Promise<number[]> {
  const model = forwardModel({ nodes, initializers, inputShape: dims, dtype: 'float64', opset });
  const shapes = await probeShapes(model, dims, 'float64');
  const s = await OrtSession.create(encodeModel(buildVjpModel(model, shapes)), 'vjp', { threads: 1 });
  try {
    const out = await s.run({ a: { data: Float64Array.from(x), dims }, g: { data: Float64Array.from(g), dims: gDims } });
    return Array.from(out.grad_a.data as Float64Array);
  } finally {
    await s.release();
  }
}

test('Max/Min ties split the cotangent evenly (torch.maximum: dy/2 each)', async () => {
  const x = [0.5, 0.2, 0.9, 0.5];
  const g = [1, 2, 3, 4];
  const k = [f64('k', [], [0.5])];
  assert.deepEqual(await vjpAt([makeNode('Max', ['x', 'k'], ['y'])], k, x, [1, 4], g, [1, 4]), [0.5, 0, 3, 2]);
  assert.deepEqual(await vjpAt([makeNode('Min', ['x', 'k'], ['y'])], k, x, [1, 4], g, [1, 4]), [0.5, 2, 0, 2]);
  // Three-way tie with x used twice: x gets 2/3 of dy there, the constant 1/3.
  assert.deepEqual(await vjpAt([makeNode('Max', ['x', 'k', 'x'], ['y'])], k, [0.5, 0.7], [1, 2], [3, 6], [1, 2]), [2, 6]);
});

test('ReduceMax ties share the cotangent evenly (torch.amax)', async () => {
  const x = [1, 3, 3, 2, /* row 2 */ 4, 4, 4, 0];
  const got = await vjpAt([makeNode('ReduceMax', ['x'], ['y'], { axes: [1], keepdims: 0 })], [], x, [2, 4], [6, 9], [2]);
  assert.deepEqual(got, [0, 3, 3, 0, 3, 3, 3, 0]);
});

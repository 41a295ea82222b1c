import { makeNode, makeTensor } from '../../../src/engine/onnx/build';
import { fdTests, type FdCase } from './cases';

type Attrs = Record<string, number | number[] | string>;
const pool = (op: string, name: string, hw: number[], attrs: Attrs, dtype?: 'float64'): FdCase => ({
  name: `${op} ${name}`,
  inputShape: [2, 3, ...hw],
  dtype,
  nodes: [makeNode(op, ['x'], ['y'], attrs)],
});

/** Distinct values so no max ties and +-eps never changes an argmax. */
const distinct: FdCase['sample'] = (() => {
  let k = 0;
  return (r) => {
    k++;
    return (k % 97) * 0.05 + 0.001 * r();
  };
})();

fdTests([
  {
    ...pool('MaxPool', 'k3 s2 p1 (overlapping windows, f64)', [8, 8], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }, 'float64'),
    sample: distinct,
    eps: 1e-4,
  },
  {
    ...pool('MaxPool', 'k3 s2 p1 ceil_mode, 9x9 (f64)', [9, 9], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], ceil_mode: 1 }, 'float64'),
    sample: distinct,
    eps: 1e-4,
  },
  {
    ...pool('MaxPool', 'k2 s2, 8x11 ceil_mode (f64)', [8, 11], { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 }, 'float64'),
    sample: distinct,
    eps: 1e-4,
  },
  {
    ...pool('MaxPool', 'k2 dilation 2 storage_order 1 (f64)', [7, 7], { kernel_shape: [2, 2], dilations: [2, 2], storage_order: 1 }, 'float64'),
    sample: distinct,
    eps: 1e-4,
  },
  {
    ...pool('MaxPool', 'auto_pad SAME_UPPER k3 s2 (f32)', [7, 8], { kernel_shape: [3, 3], strides: [2, 2], auto_pad: 'SAME_UPPER' }),
    sample: distinct,
    eps: 1e-3,
  },
  pool('AveragePool', 'k3 s2 p1 count_include_pad 0', [8, 8], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }),
  pool('AveragePool', 'k3 s2 p1 count_include_pad 1', [9, 9], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], count_include_pad: 1 }),
  pool('AveragePool', 'k3 s2 p1 ceil_mode, 8x11', [8, 11], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], ceil_mode: 1 }),
  pool('AveragePool', 'k3 s2 p1 ceil_mode count_include_pad, 8x8', [8, 8], {
    kernel_shape: [3, 3],
    strides: [2, 2],
    pads: [1, 1, 1, 1],
    ceil_mode: 1,
    count_include_pad: 1,
  }),
  pool('AveragePool', 'k5 s3 p2 asymmetric pads [2,1,0,2]', [9, 10], { kernel_shape: [5, 5], strides: [3, 3], pads: [2, 1, 0, 2] }),
  pool('AveragePool', 'k2 s2 no pads (even)', [8, 8], { kernel_shape: [2, 2], strides: [2, 2] }),
  pool('AveragePool', 'k3 s1 auto_pad SAME_LOWER', [6, 7], { kernel_shape: [3, 3], auto_pad: 'SAME_LOWER' }),
  pool('GlobalAveragePool', '', [5, 6], {}),
  pool('ReduceMean', 'axes [2,3] keepdims 0 (f64)', [4, 5], { axes: [2, 3], keepdims: 0 }, 'float64'),
  pool('ReduceMean', 'axes [1] keepdims 1 (f64)', [4, 5], { axes: [1] }, 'float64'),
  pool('ReduceMean', 'axes [1,2,3] keepdims 0 (f64)', [4, 5], { axes: [1, 2, 3], keepdims: 0 }, 'float64'),
  {
    name: 'ReduceMean opset 18 (axes input, negative axis) (f64)',
    opset: 18,
    dtype: 'float64',
    inputShape: [2, 3, 4, 5],
    initializers: [makeTensor('axes', [2], [-1, -2])],
    nodes: [makeNode('ReduceMean', ['x', 'axes'], ['y'], { keepdims: 0 })],
  },
  {
    name: 'ReduceSum axes input keepdims 0 (f64)',
    dtype: 'float64',
    inputShape: [2, 3, 4, 5],
    initializers: [makeTensor('axes', [1], [2])],
    nodes: [makeNode('ReduceSum', ['x', 'axes'], ['y'], { keepdims: 0 })],
  },
  {
    name: 'ReduceSum opset 11 (axes attribute) (f64)',
    opset: 11,
    dtype: 'float64',
    inputShape: [2, 3, 4, 5],
    nodes: [makeNode('ReduceSum', ['x'], ['y'], { axes: [1, 3] })],
  },
  { name: 'LRN size 5 (f32)', inputShape: [2, 7, 3, 3], nodes: [makeNode('LRN', ['x'], ['y'], { size: 5, alpha: 0.02, beta: 0.75, bias: 1.5 })] },
  { name: 'LRN size 3 defaults (f32)', inputShape: [2, 4, 3, 2], sample: (r) => 10 * r() - 5, nodes: [makeNode('LRN', ['x'], ['y'], { size: 3, alpha: 0.5 })] },
  {
    name: 'BatchNormalization inference (f64)',
    dtype: 'float64',
    inputShape: [2, 3, 4, 4],
    initializers: [
      makeTensor('scale', [3], Float64Array.from([0.5, -1.5, 2])),
      makeTensor('bias', [3], Float64Array.from([0.1, 0.2, 0.3])),
      makeTensor('mean', [3], Float64Array.from([0.3, -0.2, 0])),
      makeTensor('var', [3], Float64Array.from([0.5, 2, 0.1])),
    ],
    nodes: [makeNode('BatchNormalization', ['x', 'scale', 'bias', 'mean', 'var'], ['y'], { epsilon: 1e-3 })],
  },
]);

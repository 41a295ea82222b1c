import { makeNode, makeTensor } from '../../../src/engine/onnx/build';
import { fdTests } from './cases';
import { randomValues } from './helpers';

const w = (name: string, dims: number[], seed: number) =>
  makeTensor(
    name,
    dims,
    randomValues(
      dims.reduce((a, b) => a * b, 1),
      seed,
      'float64',
    ) as Float64Array,
  );
const T = (i: string, o: string) => makeNode('Transpose', [i], [o], { perm: [1, 0] });

fdTests([
  {
    name: 'Gemm transB=1 with bias [M] (torch Linear)',
    dtype: 'float64',
    inputShape: [3, 5],
    initializers: [w('W', [4, 5], 1), w('c', [4], 2)],
    nodes: [makeNode('Gemm', ['x', 'W', 'c'], ['y'], { transB: 1 })],
  },
  {
    name: 'Gemm alpha 0.5 beta 2 transB=0',
    dtype: 'float64',
    inputShape: [3, 5],
    initializers: [w('W', [5, 4], 1), w('c', [1, 4], 2)],
    nodes: [makeNode('Gemm', ['x', 'W', 'c'], ['y'], { alpha: 0.5, beta: { float: 2 } })],
  },
  {
    name: 'Gemm transA=1 (A = x^T)',
    dtype: 'float64',
    inputShape: [3, 5],
    initializers: [w('W', [5, 4], 1)],
    nodes: [T('x', 'xt'), makeNode('Gemm', ['xt', 'W'], ['y'], { transA: 1, alpha: 1.5 })],
  },
  {
    name: 'Gemm transA=1 transB=1',
    dtype: 'float64',
    inputShape: [3, 5],
    initializers: [w('W', [4, 5], 1)],
    nodes: [T('x', 'xt'), makeNode('Gemm', ['xt', 'W'], ['y'], { transA: 1, transB: 1 })],
  },
  {
    name: 'Gemm with the activation as B (transB=0)',
    dtype: 'float64',
    inputShape: [3, 5],
    initializers: [w('W', [4, 5], 1)],
    nodes: [T('x', 'xt'), makeNode('Gemm', ['W', 'xt'], ['yt'], { alpha: 0.7 }), T('yt', 'y')],
  },
  {
    name: 'Gemm with the activation as B (transB=1, transA=1)',
    dtype: 'float64',
    inputShape: [3, 5],
    initializers: [w('W', [5, 4], 1)],
    nodes: [makeNode('Gemm', ['W', 'x'], ['yt'], { transA: 1, transB: 1 }), T('yt', 'y')],
  },
  {
    name: 'Gemm with an active C (x @ W + x)',
    dtype: 'float64',
    inputShape: [3, 5],
    initializers: [w('W', [5, 5], 1)],
    nodes: [makeNode('Gemm', ['x', 'W', 'x'], ['y'], { beta: 0.5 })],
  },
  {
    name: 'MatMul [N,3,4] @ [4,5]',
    dtype: 'float64',
    inputShape: [2, 3, 4],
    initializers: [w('W', [4, 5], 1)],
    nodes: [makeNode('MatMul', ['x', 'W'], ['y'])],
  },
  {
    name: 'MatMul [5,3] @ [N,3,4] (broadcast constant first)',
    dtype: 'float64',
    inputShape: [2, 3, 4],
    initializers: [w('W', [5, 3], 1)],
    nodes: [makeNode('MatMul', ['W', 'x'], ['y'])],
  },
  {
    name: 'MatMul x @ x^T (both active, batched)',
    dtype: 'float64',
    inputShape: [2, 3, 4],
    nodes: [makeNode('Transpose', ['x'], ['xt'], { perm: [0, 2, 1] }), makeNode('MatMul', ['x', 'xt'], ['y'])],
  },
  {
    name: 'MatMul [N,4] @ [4] (1-D right)',
    dtype: 'float64',
    inputShape: [3, 4],
    initializers: [w('v', [4], 1)],
    nodes: [makeNode('MatMul', ['x', 'v'], ['y'])],
  },
  {
    name: 'MatMul [3] @ [N,3,4] (1-D left)',
    dtype: 'float64',
    inputShape: [2, 3, 4],
    initializers: [w('v', [3], 1)],
    nodes: [makeNode('MatMul', ['v', 'x'], ['y'])],
  },
  {
    name: 'MatMul [N,1,3,4] @ [2,4,5] (batch broadcast)',
    dtype: 'float64',
    inputShape: [2, 1, 3, 4],
    initializers: [w('W', [2, 4, 5], 1)],
    nodes: [makeNode('MatMul', ['x', 'W'], ['y'])],
  },
]);

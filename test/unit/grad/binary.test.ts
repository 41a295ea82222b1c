import { makeNode, makeTensor } from '../../../src/engine/onnx/build';
import { fdTests } from './cases';
import { randomValues } from './helpers';

const shape = [2, 3, 4, 5];
const w = (name: string, dims: number[], seed: number, offset = 0) => {
  const v = randomValues(
    dims.reduce((a, b) => a * b, 1),
    seed,
    'float64',
  );
  return makeTensor(name, dims, v.map((x) => x + offset) as Float64Array);
};
const mean = (out: string) => makeNode('ReduceMean', ['x'], [out], { axes: [2, 3], keepdims: 1 });

const cases = [];
for (const op of ['Add', 'Sub', 'Mul', 'Div']) {
  const offset = op === 'Div' ? 3 : 0; // keep divisors away from 0
  cases
    .push(
      { name: `${op}: x with a [C,1,1] constant`, dims: [3, 1, 1], swap: false },
      { name: `${op}: [W] constant with x (constant first)`, dims: [5], swap: true },
      { name: `${op}: x with a [1,1,H,1] constant`, dims: [1, 1, 4, 1], swap: false },
    )
    .toString();
  for (const c of cases.splice(0)) {
    fdTests([
      {
        name: c.name,
        dtype: 'float64',
        inputShape: shape,
        initializers: [w('k', c.dims, 7, offset)],
        nodes: [makeNode(op, c.swap ? ['k', 'x'] : ['x', 'k'], ['y'])],
        sample: op === 'Div' && c.swap ? (r) => 2 + r() : undefined,
      },
    ]);
  }
  // Both operands depend on x, with broadcasting between them ([N,C,H,W] op [N,C,1,1]).
  fdTests([
    {
      name: `${op}: x with its own spatial mean (both active, broadcast)`,
      dtype: 'float64',
      inputShape: shape,
      sample: op === 'Div' ? (r) => 1 + r() : undefined,
      nodes: [mean('m'), makeNode(op, ['x', 'm'], ['y'])],
    },
    {
      name: `${op}: spatial mean with x (broadcast operand first)`,
      dtype: 'float64',
      inputShape: shape,
      sample: op === 'Div' ? (r) => 1 + r() : undefined,
      nodes: [mean('m'), makeNode(op, ['m', 'x'], ['y'])],
    },
  ]);
}

fdTests([
  {
    name: 'Sum of three (x, sigmoid(x), constant [W])',
    dtype: 'float64',
    inputShape: shape,
    initializers: [w('k', [5], 3)],
    nodes: [makeNode('Sigmoid', ['x'], ['s']), makeNode('Sum', ['x', 's', 'k'], ['y'])],
  },
  {
    name: 'Residual: x consumed twice (cotangents summed)',
    dtype: 'float64',
    inputShape: shape,
    nodes: [makeNode('Tanh', ['x'], ['s']), makeNode('Mul', ['x', 's'], ['y'])],
  },
  {
    name: 'Expand [N,C,1,1] to [N,C,4,5] (f64)',
    dtype: 'float64',
    inputShape: [2, 3, 1, 1],
    initializers: [makeTensor('shape', [4], [1, 3, 4, 5])],
    nodes: [makeNode('Expand', ['x', 'shape'], ['e']), makeNode('Sigmoid', ['e'], ['y'])],
  },
]);

import { makeNode, makeTensor } from '../../../src/engine/onnx/build';
import { fdTests } from './cases';

const ints = (name: string, v: number[]) => makeTensor(name, [v.length], v);
const sig = (i: string, o: string) => makeNode('Sigmoid', [i], [o]);
const shape = [2, 3, 4, 5];
const f64 = 'float64' as const;

fdTests([
  { name: 'Flatten axis 1', dtype: f64, inputShape: shape, nodes: [makeNode('Flatten', ['x'], ['f'], { axis: 1 }), sig('f', 'y')] },
  {
    name: 'Reshape [0, -1, 5]',
    dtype: f64,
    inputShape: shape,
    initializers: [ints('s', [0, -1, 5])],
    nodes: [makeNode('Reshape', ['x', 's'], ['r']), sig('r', 'y')],
  },
  { name: 'Transpose perm [0,2,3,1]', dtype: f64, inputShape: shape, nodes: [makeNode('Transpose', ['x'], ['y'], { perm: [0, 2, 3, 1] })] },
  {
    name: 'Transpose default perm on [N,3] then back',
    dtype: f64,
    inputShape: [2, 3],
    nodes: [makeNode('Transpose', ['x'], ['t']), sig('t', 'u'), makeNode('Transpose', ['u'], ['y'])],
  },
  {
    name: 'Concat axis 1 of x, sigmoid(x) and x again',
    dtype: f64,
    inputShape: shape,
    nodes: [sig('x', 's'), makeNode('Concat', ['x', 's', 'x'], ['y'], { axis: 1 })],
  },
  { name: 'Concat axis -1', dtype: f64, inputShape: shape, nodes: [sig('x', 's'), makeNode('Concat', ['s', 'x'], ['y'], { axis: -1 })] },
  {
    name: 'Split opset 13 (split input), one output unused',
    dtype: f64,
    inputShape: shape,
    initializers: [ints('sp', [1, 2])],
    nodes: [makeNode('Split', ['x', 'sp'], ['a', 'b'], { axis: 1 }), sig('b', 'y')],
  },
  {
    name: 'Split opset 11 (split attribute), outputs recombined',
    opset: 11,
    dtype: f64,
    inputShape: shape,
    nodes: [makeNode('Split', ['x'], ['a', 'b'], { axis: 3, split: [2, 3] }), sig('a', 'sa'), makeNode('Concat', ['b', 'sa'], ['y'], { axis: 3 })],
  },
  {
    name: 'Split opset 18 (num_outputs)',
    opset: 18,
    dtype: f64,
    inputShape: [2, 4, 3],
    nodes: [makeNode('Split', ['x'], ['a', 'b'], { axis: 1, num_outputs: 2 }), makeNode('Mul', ['a', 'b'], ['y'])],
  },
  {
    name: 'Slice unit steps on two axes',
    dtype: f64,
    inputShape: shape,
    initializers: [ints('st', [1, 1]), ints('en', [3, -1]), ints('ax', [2, 3])],
    nodes: [makeNode('Slice', ['x', 'st', 'en', 'ax'], ['y'])],
  },
  {
    name: 'Slice step 2 and step -1 (reversal)',
    dtype: f64,
    inputShape: shape,
    initializers: [ints('st', [0, -1]), ints('en', [100, -100]), ints('ax', [3, 2]), ints('sp', [2, -1])],
    nodes: [makeNode('Slice', ['x', 'st', 'en', 'ax', 'sp'], ['y'])],
  },
  {
    name: 'Slice step -2 from the end, negative axis',
    dtype: f64,
    inputShape: shape,
    initializers: [ints('st', [4]), ints('en', [0]), ints('ax', [-1]), ints('sp', [-2])],
    nodes: [makeNode('Slice', ['x', 'st', 'en', 'ax', 'sp'], ['y'])],
  },
  {
    name: 'Slice opset 9 (attributes)',
    opset: 9,
    dtype: f64,
    inputShape: shape,
    nodes: [makeNode('Slice', ['x'], ['y'], { starts: [1], ends: [3], axes: [1] })],
  },
  {
    name: 'Pad constant, asymmetric',
    dtype: f64,
    inputShape: shape,
    initializers: [ints('p', [0, 1, 2, 0, 0, 0, 1, 3])],
    nodes: [makeNode('Pad', ['x', 'p'], ['y'])],
  },
  {
    name: 'Pad constant with negative pads (crop)',
    dtype: f64,
    inputShape: shape,
    initializers: [ints('p', [0, 0, -1, 2, 0, 1, 1, -2])],
    nodes: [makeNode('Pad', ['x', 'p'], ['y'])],
  },
  {
    name: 'Pad reflect',
    dtype: f64,
    inputShape: shape,
    initializers: [ints('p', [0, 0, 2, 1, 0, 0, 3, 2])],
    nodes: [makeNode('Pad', ['x', 'p'], ['y'], { mode: 'reflect' })],
  },
  {
    name: 'Pad edge',
    dtype: f64,
    inputShape: shape,
    initializers: [ints('p', [0, 1, 1, 0, 0, 2, 0, 4])],
    nodes: [makeNode('Pad', ['x', 'p'], ['y'], { mode: 'edge' })],
  },
  {
    name: 'Pad opset 9 (attributes)',
    opset: 9,
    dtype: f64,
    inputShape: shape,
    nodes: [makeNode('Pad', ['x'], ['y'], { pads: [0, 0, 1, 1, 0, 0, 1, 1], value: 0.5 })],
  },
  {
    name: 'Pad opset 18 with axes input',
    opset: 18,
    dtype: f64,
    inputShape: shape,
    initializers: [ints('p', [1, 2, 0, 1]), ints('ax', [3, 2])],
    nodes: [makeNode('Pad', ['x', 'p', '', 'ax'], ['y'])],
  },
  {
    name: 'Squeeze then Unsqueeze (axes inputs)',
    dtype: f64,
    inputShape: [2, 1, 4, 5],
    initializers: [ints('a1', [1]), ints('a2', [3])],
    nodes: [makeNode('Squeeze', ['x', 'a1'], ['s']), sig('s', 't'), makeNode('Unsqueeze', ['t', 'a2'], ['y'])],
  },
  {
    name: 'Unsqueeze opset 11 (axes attribute)',
    opset: 11,
    dtype: f64,
    inputShape: [2, 4],
    nodes: [makeNode('Unsqueeze', ['x'], ['u'], { axes: [1] }), sig('u', 'y')],
  },
  {
    name: 'Gather on an activation with repeated indices',
    dtype: f64,
    inputShape: shape,
    initializers: [ints('i', [2, 0, 2, -1])],
    nodes: [makeNode('Gather', ['x', 'i'], ['y'], { axis: 2 })],
  },
  {
    name: 'Gather with a scalar index (drops the axis)',
    dtype: f64,
    inputShape: shape,
    initializers: [makeTensor('i', [], [1])],
    nodes: [makeNode('Gather', ['x', 'i'], ['g'], { axis: 1 }), sig('g', 'y')],
  },
  {
    name: 'shape-only subgraph (Shape, Gather, Unsqueeze, Concat, Constant) feeding a Reshape',
    dtype: f64,
    inputShape: shape,
    initializers: [makeTensor('zero', [], [0]), ints('axes0', [0])],
    nodes: [
      makeNode('Shape', ['x'], ['s']),
      makeNode('Gather', ['s', 'zero'], ['n'], { axis: 0 }),
      makeNode('Unsqueeze', ['n', 'axes0'], ['n1']),
      makeNode('Constant', [], ['minus1'], { value: makeTensor('minus1', [1], [-1]) }),
      makeNode('Concat', ['n1', 'minus1'], ['target'], { axis: 0 }),
      makeNode('Reshape', ['x', 'target'], ['r']),
      sig('r', 'y'),
    ],
  },
]);

// Swin's attention: qkv reshaped and permuted to [3, B*windows, heads, tokens, d], then qkv[0]: a Gather on axis
// 0, which is not the batch there (the fold of the segment's shapes tells); indices as a scalar and as a list.
fdTests(
  [0, 1].map((listed) => ({
    name: `Gather on axis 0 of a tensor whose batch moved to axis 1 (${listed ? '1-D' : 'scalar'} indices)`,
    dtype: 'float64' as const,
    inputShape: [2, 6, 4],
    initializers: [makeTensor('shape', [4], [0, 2, 3, 4]), makeTensor('i', listed ? [1] : [], [1]), makeTensor('zero', [1], [0])],
    nodes: [
      makeNode('Reshape', ['x', 'shape'], ['r']),
      makeNode('Transpose', ['r'], ['t'], { perm: [1, 0, 2, 3] }),
      makeNode('Gather', ['t', 'i'], ['gathered'], { axis: 0 }),
      // The 1-D case keeps the axis: squeeze it so the output's batch is axis 0 again, as the harness feeds it.
      ...(listed ? [makeNode('Squeeze', ['gathered', 'zero'], ['one'])] : []),
      makeNode('Tanh', [listed ? 'one' : 'gathered'], ['y']),
    ],
  })),
);

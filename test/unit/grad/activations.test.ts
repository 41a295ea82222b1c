import { makeNode, makeTensor } from '../../../src/engine/onnx/build';
import { awayFrom, fdTests } from './cases';

const shape = [2, 3, 4, 5];
const f64 = (values: number[]) => makeTensor('', [], Float64Array.from(values));

fdTests([
  { name: 'Relu (f64)', nodes: [makeNode('Relu', ['x'], ['y'])], inputShape: shape, dtype: 'float64', sample: awayFrom([0], 1e-3) },
  {
    name: 'LeakyRelu alpha 0.1 (f64)',
    nodes: [makeNode('LeakyRelu', ['x'], ['y'], { alpha: 0.1 })],
    inputShape: shape,
    dtype: 'float64',
    sample: awayFrom([0], 1e-3),
  },
  {
    name: 'Clip as ReLU6 with Constant bounds (f64)',
    dtype: 'float64',
    inputShape: shape,
    sample: awayFrom([0, 0.5], 1e-3, 1),
    nodes: [
      makeNode('Constant', [], ['lo'], { value: { ...f64([0]), name: 'lo' } }),
      makeNode('Constant', [], ['hi'], { value: { ...f64([0.5]), name: 'hi' } }),
      makeNode('Clip', ['x', 'lo', 'hi'], ['y']),
    ],
  },
  {
    name: 'Clip with only a max (f64)',
    dtype: 'float64',
    inputShape: shape,
    initializers: [makeTensor('hi', [], Float64Array.from([0.3]))],
    nodes: [makeNode('Clip', ['x', '', 'hi'], ['y'])],
  },
  {
    name: 'Clip opset 9 (min/max attributes)',
    opset: 9,
    inputShape: shape,
    sample: awayFrom([-0.2, 0.4], 0.05, 1),
    nodes: [makeNode('Clip', ['x'], ['y'], { min: -0.2, max: 0.4 })],
  },
  { name: 'Sigmoid (f64)', nodes: [makeNode('Sigmoid', ['x'], ['y'])], inputShape: shape, dtype: 'float64' },
  { name: 'Tanh (f64)', nodes: [makeNode('Tanh', ['x'], ['y'])], inputShape: shape, dtype: 'float64' },
  { name: 'HardSigmoid ONNX defaults (f32)', nodes: [makeNode('HardSigmoid', ['x'], ['y'])], inputShape: shape, sample: awayFrom([-2.5, 2.5], 0.05, 4) },
  {
    name: 'HardSigmoid torch alpha 1/6 (f32)',
    nodes: [makeNode('HardSigmoid', ['x'], ['y'], { alpha: 1 / 6, beta: 0.5 })],
    inputShape: shape,
    sample: awayFrom([-3, 3], 0.05, 5),
  },
  { name: 'HardSwish (f32)', nodes: [makeNode('HardSwish', ['x'], ['y'])], inputShape: shape, sample: awayFrom([-3, 3], 0.05, 5) },
  { name: 'Softmax axis 1 (f64)', nodes: [makeNode('Softmax', ['x'], ['y'], { axis: 1 })], inputShape: shape, dtype: 'float64' },
  { name: 'Softmax default axis -1 (f64)', nodes: [makeNode('Softmax', ['x'], ['y'])], inputShape: shape, dtype: 'float64' },
  {
    name: 'Softmax opset 11 (2-D coercion from axis 1)',
    opset: 11,
    nodes: [makeNode('Softmax', ['x'], ['y'], { axis: 1 })],
    inputShape: shape,
    dtype: 'float64',
  },
  { name: 'LogSoftmax axis 1 (f64)', nodes: [makeNode('LogSoftmax', ['x'], ['y'], { axis: 1 })], inputShape: [2, 7], dtype: 'float64' },
  { name: 'Identity then Neg (f64)', nodes: [makeNode('Identity', ['x'], ['i']), makeNode('Neg', ['i'], ['y'])], inputShape: shape, dtype: 'float64' },
  { name: 'Dropout in inference (f64, with mask output)', nodes: [makeNode('Dropout', ['x'], ['y', 'mask'])], inputShape: shape, dtype: 'float64' },
  { name: 'Dropout opset 9 with ratio attribute', opset: 9, nodes: [makeNode('Dropout', ['x'], ['y'], { ratio: 0.25 })], inputShape: shape },
  {
    name: 'Cast to the same float type (f64)',
    nodes: [makeNode('Cast', ['x'], ['c'], { to: 11 }), makeNode('Sigmoid', ['c'], ['y'])],
    inputShape: shape,
    dtype: 'float64',
  },
]);

/**
 * Finite-difference checks of ConvTranspose (input cotangent = a Conv with the same weights). ORT's CPU has no
 * float64 ConvTranspose/Conv kernel: float32. ConvTranspose is linear, so the central difference has no
 * truncation error, only float32 rounding (measured ~5e-6 relative): tolerance 1e-4.
 */
import { makeNode, makeTensor } from '../../../src/engine/onnx/build';
import { fdTests, type FdCase } from './cases';
import { randomValues } from './helpers';

type Attrs = Record<string, number | number[] | string>;

function convT(name: string, c: number, m: number, hw: number[], k: number[], attrs: Attrs, group = 1): FdCase {
  const wDims = [c, m / group, ...k];
  return {
    name,
    inputShape: [2, c, ...hw],
    tol: 1e-4,
    initializers: [
      makeTensor(
        'w',
        wDims,
        randomValues(
          wDims.reduce((a, b) => a * b, 1),
          21,
        ) as Float32Array,
      ),
      makeTensor('b', [m], randomValues(m, 22) as Float32Array),
    ],
    nodes: [makeNode('ConvTranspose', ['x', 'w', 'b'], ['y'], { ...attrs, group })],
  };
}

fdTests([
  convT('ConvTranspose 3x3 stride 1 pad 1', 3, 4, [5, 5], [3, 3], { pads: [1, 1, 1, 1] }),
  convT('ConvTranspose 2x2 stride 2 (U-Net upsampling)', 4, 3, [4, 5], [2, 2], { strides: [2, 2] }),
  convT('ConvTranspose 3x3 stride 2 pad 1 output_padding 1', 3, 2, [4, 4], [3, 3], { strides: [2, 2], pads: [1, 1, 1, 1], output_padding: [1, 1] }),
  convT('ConvTranspose asymmetric pads [0,1,2,1], stride [2,3], output_padding [1,2]', 2, 3, [4, 3], [4, 3], {
    strides: [2, 3],
    pads: [0, 1, 2, 1],
    output_padding: [1, 2],
  }),
  convT('ConvTranspose dilation 2 stride 2', 2, 2, [4, 4], [3, 3], { strides: [2, 2], dilations: [2, 2], pads: [1, 1, 1, 1] }),
  convT('ConvTranspose groups 2 (C=4, M=6)', 4, 6, [4, 4], [3, 3], { strides: [2, 2], pads: [1, 1, 0, 0] }, 2),
  convT('ConvTranspose depthwise (C=M=groups=3)', 3, 3, [5, 5], [3, 3], { strides: [2, 2], pads: [1, 1, 1, 1], output_padding: [1, 1] }, 3),
  convT('ConvTranspose 1-D stride 3', 3, 2, [6], [4], { strides: [3], pads: [1, 2] }),
  convT('ConvTranspose output_shape 9x10 (pads derived)', 2, 3, [4, 5], [3, 3], { strides: [2, 2], output_shape: [9, 10] }),
  convT('ConvTranspose output_shape 8x8, stride 2 k3 (odd total padding)', 2, 3, [4, 4], [3, 3], { strides: [2, 2], output_shape: [8, 8] }),
  convT('ConvTranspose auto_pad SAME_UPPER stride 2 k3', 2, 3, [4, 5], [3, 3], { strides: [2, 2], auto_pad: 'SAME_UPPER' }),
  convT('ConvTranspose auto_pad SAME_LOWER stride 2 k4', 2, 3, [4, 5], [4, 4], { strides: [2, 2], auto_pad: 'SAME_LOWER' }),
  convT('ConvTranspose auto_pad SAME_LOWER stride 2 k3 (odd total padding)', 2, 3, [4, 5], [3, 3], { strides: [2, 2], auto_pad: 'SAME_LOWER' }),
  convT('ConvTranspose auto_pad SAME_UPPER with output_shape 9x9', 2, 3, [4, 4], [3, 3], { strides: [2, 2], auto_pad: 'SAME_UPPER', output_shape: [9, 9] }),
  convT('ConvTranspose auto_pad VALID stride 2', 2, 3, [3, 4], [3, 2], { strides: [2, 2], auto_pad: 'VALID' }),
]);

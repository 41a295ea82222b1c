import { makeNode, makeTensor } from '../../../src/engine/onnx/build';
import { fdTests, type FdCase } from './cases';
import { randomValues } from './helpers';

function conv(name: string, c: number, m: number, hw: number[], k: number[], attrs: Record<string, number | number[] | string>, group = 1): FdCase {
  const wDims = [m, c / group, ...k];
  return {
    name,
    inputShape: [2, c, ...hw],
    initializers: [
      makeTensor(
        'w',
        wDims,
        randomValues(
          wDims.reduce((a, b) => a * b, 1),
          11,
        ) as Float32Array,
      ),
      makeTensor('b', [m], randomValues(m, 12) as Float32Array),
    ],
    nodes: [makeNode('Conv', ['x', 'w', 'b'], ['y'], { ...attrs, group })],
  };
}

fdTests([
  conv('Conv 3x3 pad 1 stride 1', 3, 4, [6, 6], [3, 3], { pads: [1, 1, 1, 1] }),
  conv('Conv stride 2, odd size (output_padding 0)', 3, 4, [7, 7], [3, 3], { pads: [1, 1, 1, 1], strides: [2, 2] }),
  conv('Conv stride 2, even size (output_padding 1)', 3, 4, [8, 8], [3, 3], { pads: [1, 1, 1, 1], strides: [2, 2] }),
  conv('Conv asymmetric pads [0,1,1,0] stride 2, 9x10', 2, 3, [9, 10], [3, 3], { pads: [0, 1, 1, 0], strides: [2, 2] }),
  conv('Conv dilation 2, stride 2, pad 1', 2, 3, [9, 9], [3, 3], { pads: [1, 1, 1, 1], strides: [2, 2], dilations: [2, 2] }),
  conv('Conv groups 2 (C=4, M=6)', 4, 6, [6, 6], [3, 3], { pads: [1, 1, 1, 1] }, 2),
  conv('Conv depthwise (C=M=groups=4), stride 2', 4, 4, [8, 8], [3, 3], { pads: [1, 1, 1, 1], strides: [2, 2] }, 4),
  conv('Conv 1x1 stride 2 (downsample)', 4, 6, [8, 8], [1, 1], { strides: [2, 2] }),
  conv('Conv auto_pad SAME_UPPER stride 2, 7x8', 2, 3, [7, 8], [4, 3], { auto_pad: 'SAME_UPPER', strides: [2, 2] }),
  conv('Conv auto_pad SAME_LOWER stride 2, 7x8', 2, 3, [7, 8], [4, 3], { auto_pad: 'SAME_LOWER', strides: [2, 2] }),
  conv('Conv auto_pad VALID, stride 3', 2, 3, [8, 8], [2, 2], { auto_pad: 'VALID', strides: [3, 3] }),
  conv('Conv 1-D, stride 2, pad [2,1]', 3, 2, [11], [4], { pads: [2, 1], strides: [2] }),
  conv('Conv no kernel_shape attribute (taken from W)', 2, 2, [5, 5], [3, 3], {}),
  // Stride 1 takes the flipped-kernel Conv; pads above d*(k-1) fall back to ConvTranspose.
  conv('Conv stride 1, dilation 2, asymmetric pads [2,1,1,2], 2x3 kernel', 3, 4, [7, 8], [2, 3], { pads: [2, 1, 1, 2], dilations: [2, 2] }),
  conv('Conv depthwise stride 1 (C=M=groups=4)', 4, 4, [6, 6], [3, 3], { pads: [1, 1, 1, 1] }, 4),
  conv('Conv groups 2 with channel multiplier 2, stride 1 (C=4, M=8)', 4, 8, [5, 5], [3, 3], { pads: [0, 1, 0, 1] }, 2),
  conv('Conv 1x1 stride 1 pad 1 (pad above the kernel span: ConvTranspose)', 2, 3, [4, 4], [1, 1], { pads: [1, 1, 1, 1] }),
]);

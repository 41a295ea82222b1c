import { attrFloat, attrInt } from '../attrs';
import type { GradRule } from '../types';

/**
 * y = x * S^-beta with S = bias + alpha * mean over a channel window of x^2 (size odd, ORT's limit):
 * dx = dy * S^-beta - 2 * alpha * beta * x * A'(dy * x * S^(-beta-1)), where the channel average A runs as
 * AveragePool on [N, 1, C, H*W] and its adjoint A' is the same pool with the two channel pads swapped
 * (docs/onnx-backward.md section 7).
 */
export const LRN: GradRule = {
  opType: 'LRN',
  grad(ctx) {
    const { node, em } = ctx;
    const x = node.input[0];
    const shape = ctx.shape(x);
    const size = attrInt(node, 'size', 0);
    if (size % 2 !== 1) ctx.fail(`size ${size} is not odd`);
    const alpha = attrFloat(node, 'alpha', 1e-4);
    const beta = attrFloat(node, 'beta', 0.75);
    const bias = attrFloat(node, 'bias', 1);
    const positions = shape.slice(2).reduce((a, b) => a * b, 1);
    const planes = em.ints([-1, 1, shape[1], positions]);
    const xShape = em.op('Shape', [x]);
    const lo = Math.floor((size - 1) / 2);
    const hi = Math.ceil((size - 1) / 2);
    const channelMean = (t: string, before: number, after: number) =>
      em.op('Reshape', [
        em.op('AveragePool', [em.op('Reshape', [t, planes])], {
          kernel_shape: [size, 1],
          pads: [before, 0, after, 0],
          count_include_pad: 1,
        }),
        xShape,
      ]);
    const s = em.op('Add', [em.op('Mul', [channelMean(em.op('Mul', [x, x]), lo, hi), em.scalar(alpha)]), em.scalar(bias)]);
    const gy = ctx.gradOrZeros(0);
    const direct = em.op('Mul', [gy, em.op('Pow', [s, em.scalar(-beta)])]);
    const inner = em.op('Mul', [em.op('Mul', [gy, x]), em.op('Pow', [s, em.scalar(-beta - 1)])]);
    const cross = em.op('Mul', [em.op('Mul', [x, channelMean(inner, hi, lo)]), em.scalar(2 * alpha * beta)]);
    return [em.op('Sub', [direct, cross])];
  },
};

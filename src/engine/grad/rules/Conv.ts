import { attrInt, attrInts } from '../attrs';
import type { GradRule } from '../types';
import { windowOf } from './spatial';

/**
 * y = conv(x, W) + b: dx = ConvTranspose(dy, W) with the forward strides, dilations, group and pads, and
 * output_padding = (L + pads - ((k-1)*d + 1)) mod s so dx has exactly x's shape (shared/notes/onnx-backward.md
 * section 1; never output_shape, which is wrong with asymmetric pads). Weights and bias get no cotangent.
 */
export const Conv: GradRule = {
  opType: 'Conv',
  grad(ctx) {
    const { node, em } = ctx;
    if (ctx.needs(1) || ctx.needs(2)) ctx.fail('weights that depend on the activation are not supported (only d/dx)');
    const w = node.input[1];
    const kernel = attrInts(node, 'kernel_shape') ?? ctx.shape(w).slice(2);
    const win = windowOf(ctx, kernel);
    const outputPadding = win.inLen.map((len, i) => {
      const span = (kernel[i] - 1) * win.dilations[i] + 1;
      return (((len + win.padsBegin[i] + win.padsEnd[i] - span) % win.strides[i]) + win.strides[i]) % win.strides[i];
    });
    const gx = em.op('ConvTranspose', [ctx.gradOrZeros(0), w], {
      kernel_shape: kernel,
      strides: win.strides,
      dilations: win.dilations,
      group: attrInt(node, 'group', 1),
      pads: [...win.padsBegin, ...win.padsEnd],
      output_padding: outputPadding,
    });
    return [gx, undefined, undefined];
  },
};

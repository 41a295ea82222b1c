import { attrInt, attrInts } from '../attrs';
import type { GradContext, GradRule } from '../types';
import { windowOf, type Window } from './spatial';

/**
 * y = conv(x, W) + b. Weights and bias get no cotangent.
 * - Stride 1: dx = Conv(dy, W') with W' the weight with input/output channels swapped (per group) and the
 *   kernel flipped, and pads d*(k-1) - p: a plain convolution, about twice as fast on ORT as ConvTranspose
 *   (docs/onnx-backward.md section 6). W' is a constant when W is, else computed in the graph.
 * - Otherwise: dx = ConvTranspose(dy, W) with the forward strides, dilations, group and pads, and
 *   output_padding = (L + pads - ((k-1)*d + 1)) mod s so dx has exactly x's shape (section 1; never
 *   output_shape, which is wrong with asymmetric pads).
 */
export const Conv: GradRule = {
  opType: 'Conv',
  grad(ctx) {
    const { node, em } = ctx;
    if (ctx.needs(1) || ctx.needs(2)) ctx.fail('weights that depend on the activation are not supported (only d/dx)');
    const w = node.input[1];
    const kernel = attrInts(node, 'kernel_shape') ?? ctx.shape(w).slice(2);
    const win = windowOf(ctx, kernel);
    const group = attrInt(node, 'group', 1);
    const span = kernel.map((k, i) => (k - 1) * win.dilations[i]);
    const flippedPads = [...win.padsBegin.map((p, i) => span[i] - p), ...win.padsEnd.map((p, i) => span[i] - p)];
    if (win.strides.every((s) => s === 1) && flippedPads.every((p) => p >= 0)) {
      const gx = em.op('Conv', [ctx.gradOrZeros(0), flippedWeight(ctx, w, group, kernel)], {
        kernel_shape: kernel,
        dilations: win.dilations,
        group,
        pads: flippedPads,
      });
      return [gx, undefined, undefined];
    }
    return [convTranspose(ctx, w, kernel, win, group), undefined, undefined];
  },
};

function convTranspose(ctx: GradContext, w: string, kernel: number[], win: Window, group: number): string {
  const outputPadding = win.inLen.map((len, i) => {
    const span = (kernel[i] - 1) * win.dilations[i] + 1;
    return (((len + win.padsBegin[i] + win.padsEnd[i] - span) % win.strides[i]) + win.strides[i]) % win.strides[i];
  });
  return ctx.em.op('ConvTranspose', [ctx.gradOrZeros(0), w], {
    kernel_shape: kernel,
    strides: win.strides,
    dilations: win.dilations,
    group,
    pads: [...win.padsBegin, ...win.padsEnd],
    output_padding: outputPadding,
  });
}

/** W [M, C/g, k...] -> W' [C, M/g, k...] with W'[g*C/g + c, m] = flip(W[g*M/g + m, c]). */
function flippedWeight(ctx: GradContext, w: string, group: number, kernel: number[]): string {
  const { em } = ctx;
  const [M, Cg] = ctx.shape(w);
  const Mg = M / group;
  const taps = kernel.reduce((a, b) => a * b, 1);
  const value = ctx.constant(w);
  if (value) {
    const out = new Array<number>(value.values.length);
    for (let g = 0; g < group; g++) {
      for (let m = 0; m < Mg; m++) {
        for (let c = 0; c < Cg; c++) {
          const src = ((g * Mg + m) * Cg + c) * taps;
          const dst = ((g * Cg + c) * Mg + m) * taps;
          for (let t = 0; t < taps; t++) out[dst + taps - 1 - t] = value.values[src + t];
        }
      }
    }
    return em.floats(out, [Cg * group, Mg, ...kernel]);
  }
  const spatial = kernel.map((_, i) => i + 3);
  const grouped = em.op('Reshape', [w, em.ints([group, Mg, Cg, ...kernel])]);
  const swapped = em.op('Transpose', [grouped], { perm: [0, 2, 1, ...spatial] });
  const stacked = em.op('Reshape', [swapped, em.ints([Cg * group, Mg, ...kernel])]);
  const axes = kernel.map((_, i) => i + 2);
  return em.op('Slice', [stacked, em.ints(axes.map(() => -1)), em.ints(axes.map(() => -(2 ** 62))), em.ints(axes), em.ints(axes.map(() => -1))]);
}

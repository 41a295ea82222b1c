import { attrInt, attrInts, attrString } from '../attrs';
import type { GradContext, GradRule } from '../types';

/** Begin/end pads of a ConvTranspose per spatial axis, with output_shape and auto_pad resolved (ONNX spec, as ORT does). */
function transposePads(ctx: GradContext, kernel: number[]): { begin: number[]; end: number[] } {
  const { node } = ctx;
  const inLen = ctx.shape(node.input[0]).slice(2);
  const outLen = ctx.shape(node.output[0]).slice(2);
  const n = inLen.length;
  const strides = attrInts(node, 'strides') ?? new Array<number>(n).fill(1);
  const dilations = attrInts(node, 'dilations') ?? new Array<number>(n).fill(1);
  const outputPadding = attrInts(node, 'output_padding') ?? new Array<number>(n).fill(0);
  const autoPad = attrString(node, 'auto_pad', 'NOTSET');
  const pads = attrInts(node, 'pads');
  if (autoPad === 'NOTSET' && !attrInts(node, 'output_shape')) {
    return { begin: pads?.slice(0, n) ?? new Array<number>(n).fill(0), end: pads?.slice(n, 2 * n) ?? new Array<number>(n).fill(0) };
  }
  if (autoPad === 'VALID') return { begin: new Array<number>(n).fill(0), end: new Array<number>(n).fill(0) };
  if (autoPad !== 'NOTSET' && autoPad !== 'SAME_UPPER' && autoPad !== 'SAME_LOWER') ctx.fail(`unknown auto_pad '${autoPad}'`);
  // The total padding follows from the static shapes; the ONNX split: SAME_UPPER puts the odd one at the end,
  // SAME_LOWER and output_shape at the beginning.
  const begin: number[] = [];
  const end: number[] = [];
  for (let i = 0; i < n; i++) {
    const total = Math.max(0, (inLen[i] - 1) * strides[i] + outputPadding[i] + (kernel[i] - 1) * dilations[i] + 1 - outLen[i]);
    const small = Math.floor(total / 2);
    begin.push(autoPad === 'SAME_UPPER' ? small : total - small);
    end.push(total - begin[i]);
  }
  return { begin, end };
}

/**
 * y = ConvTranspose(x, W) + b, the adjoint of a Conv with the same W [C_in, C_out/g, k...], strides,
 * dilations, group and pads. So dx = Conv(dy, W) with those attributes: its output length
 * floor((L_out + pads - span) / s) + 1 is exactly L_in, output_padding (< s) falling in the floor.
 * Weights and bias get no cotangent.
 */
export const ConvTranspose: GradRule = {
  opType: 'ConvTranspose',
  grad(ctx) {
    const { node, em } = ctx;
    if (ctx.needs(1) || ctx.needs(2)) ctx.fail('weights that depend on the activation are not supported (only d/dx)');
    const w = node.input[1];
    const kernel = attrInts(node, 'kernel_shape') ?? ctx.shape(w).slice(2);
    const n = kernel.length;
    const strides = attrInts(node, 'strides') ?? new Array<number>(n).fill(1);
    const dilations = attrInts(node, 'dilations') ?? new Array<number>(n).fill(1);
    const { begin, end } = transposePads(ctx, kernel);
    const inLen = ctx.shape(node.input[0]).slice(2);
    const outLen = ctx.shape(node.output[0]).slice(2);
    inLen.forEach((len, i) => {
      const back = Math.floor((outLen[i] + begin[i] + end[i] - (kernel[i] - 1) * dilations[i] - 1) / strides[i]) + 1;
      if (back !== len) ctx.fail(`axis ${i + 2}: the adjoint Conv would give length ${back}, not ${len} (pads ${begin[i]}/${end[i]})`);
    });
    const gx = em.op('Conv', [ctx.gradOrZeros(0), w], {
      kernel_shape: kernel,
      strides,
      dilations,
      group: attrInt(node, 'group', 1),
      pads: [...begin, ...end],
    });
    return [gx, undefined, undefined];
  },
};

import { attrInt, attrInts } from '../attrs';
import type { GradRule } from '../types';
import { windowOf } from './spatial';

/**
 * dx = ConvTranspose(dy / divisor, ones[C,1,k...], group=C): each output spreads its cotangent over its window.
 * The divisor map (count_include_pad, ceil_mode, asymmetric pads) is computed here from the static shapes;
 * the end side uses pads or output_padding so dx has x's shape (docs/onnx-backward.md section 3).
 */
export const AveragePool: GradRule = {
  opType: 'AveragePool',
  grad(ctx) {
    const { node, em } = ctx;
    const kernel = attrInts(node, 'kernel_shape') ?? ctx.fail('kernel_shape is missing');
    const win = windowOf(ctx, kernel);
    if (win.dilations.some((d) => d !== 1)) ctx.fail('dilations other than 1 are not supported');
    const includePad = attrInt(node, 'count_include_pad', 0) === 1;
    const channels = ctx.shape(node.input[0])[1];
    // Per axis: the element count of each output window.
    const counts = win.outLen.map((lo, ax) =>
      Array.from({ length: lo }, (_, i) => {
        const st = i * win.strides[ax] - win.padsBegin[ax];
        const en = Math.min(st + kernel[ax], win.inLen[ax] + win.padsEnd[ax]);
        return includePad ? en - st : Math.min(en, win.inLen[ax]) - Math.max(st, 0);
      }),
    );
    const inv = outerInverse(counts);
    const scaled = em.op('Mul', [ctx.gradOrZeros(0), em.floats(inv, [1, 1, ...win.outLen])]);
    const kSize = kernel.reduce((a, b) => a * b, 1);
    const ones = em.floats(new Array<number>(channels * kSize).fill(1), [channels, 1, ...kernel]);
    const padsEnd: number[] = [];
    const outputPadding: number[] = [];
    win.outLen.forEach((lo, ax) => {
      const e = win.strides[ax] * (lo - 1) + kernel[ax] - win.padsBegin[ax] - win.inLen[ax];
      padsEnd.push(Math.max(e, 0));
      outputPadding.push(Math.max(-e, 0));
    });
    return [
      em.op('ConvTranspose', [scaled, ones], {
        kernel_shape: kernel,
        strides: win.strides,
        group: channels,
        pads: [...win.padsBegin, ...padsEnd],
        output_padding: outputPadding,
      }),
    ];
  },
};

/** 1 / (product of per-axis counts), as a dense row-major map over the output positions. */
function outerInverse(counts: number[][]): number[] {
  let acc = [1];
  for (const axis of counts) acc = acc.flatMap((a) => axis.map((c) => a * c));
  return acc.map((c) => 1 / c);
}

import type { GradRule } from '../types';
import { unselectAlongAxis } from './axis-maps';

const BIG = Number.MAX_SAFE_INTEGER;

/** The input positions a Slice reads along one axis, in output order (ONNX clamping rules). */
export function sliceIndices(len: number, start: number, end: number, step: number): number[] {
  const clampTo = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
  let s = start < 0 ? start + len : start;
  let e = end < 0 ? end + len : end;
  if (step > 0) {
    s = clampTo(s, 0, len);
    e = clampTo(e, 0, len);
  } else {
    s = clampTo(s, 0, len - 1);
    e = clampTo(e, -1, len - 1);
  }
  const out: number[] = [];
  for (let i = s; step > 0 ? i < e : i > e; i += step) out.push(i);
  return out;
}

/**
 * y = x[starts:ends:steps] on some axes: dx is dy put back in place, zeros elsewhere. Unit steps become one
 * Pad; other steps a Gather from dy padded with a zero slot. starts/ends/axes/steps must be constants.
 */
export const Slice: GradRule = {
  opType: 'Slice',
  grad(ctx) {
    const { node, em } = ctx;
    const x = node.input[0];
    const shape = ctx.shape(x);
    const rank = shape.length;
    const read = (i: number): number[] | undefined => {
      if (!node.input[i]) return undefined;
      const v = ctx.constant(node.input[i]) ?? ctx.fail(`input ${i} (${node.input[i]}) is not a constant`);
      return v.values;
    };
    const starts = read(1)!;
    const ends = read(2)!;
    const axes = (read(3) ?? starts.map((_, i) => i)).map((a) => (a + rank) % rank);
    const steps = read(4) ?? starts.map(() => 1);
    let g = ctx.gradOrZeros(0);
    const pads = new Array<number>(2 * rank).fill(0);
    const batch = ctx.batchAxis(x) ?? 0;
    axes.forEach((axis, k) => {
      if (axis === batch) ctx.fail('slicing the batch axis is not supported');
      const src = sliceIndices(shape[axis], starts[k], Math.max(Math.min(ends[k], BIG), -BIG), steps[k]);
      const contiguous = src.every((v, i) => v === src[0] + i);
      if (contiguous && src.length > 0) {
        pads[axis] = src[0];
        pads[rank + axis] = shape[axis] - src[0] - src.length;
      } else {
        g = unselectAlongAxis(em, g, rank, axis, src, shape[axis]);
      }
    });
    if (pads.some((p) => p !== 0)) g = em.op('Pad', [g, em.ints(pads)]);
    return [g];
  },
};

import { attrInt } from '../attrs';
import type { GradRule } from '../types';
import { scatterAlongAxis } from './axis-maps';

/**
 * y = gather(x, indices, axis) on an activation (gathers on shapes carry no cotangent and never reach here):
 * dx adds each output slab's cotangent back at its index. Constant indices use a 0/1 matrix; run-time indices
 * (the IG model's target channel) a ScatterElements(add) into zeros, which also sums repeated indices.
 */
export const Gather: GradRule = {
  opType: 'Gather',
  grad(ctx) {
    const { node, em } = ctx;
    const [x, idx] = node.input;
    const shape = ctx.shape(x);
    const rank = shape.length;
    const axis = (attrInt(node, 'axis', 0) + rank) % rank;
    if (axis === 0) ctx.fail('gathering along the batch axis is not supported');
    const iv = ctx.constant(idx);
    if (!iv) {
      const idxRank = ctx.shape(idx).length;
      if (idxRank > 1) ctx.fail(`run-time indices ${idx} must be a scalar or 1-D`);
      let g = ctx.gradOrZeros(0);
      if (idxRank === 0) g = em.unsqueeze(g, [axis]);
      const where = em.op('Reshape', [idx, em.ints(shape.map((_, i) => (i === axis ? -1 : 1)))]);
      const indices = em.op('Expand', [where, em.op('Shape', [g])]);
      return [em.op('ScatterElements', [em.zerosLike(x), indices, g], { axis, reduction: 'add' }), undefined];
    }
    const src = iv.values.map((i) => (i < 0 ? i + shape[axis] : i));
    // dy has x's shape with the axis replaced by the index dims: fold those into one axis of length |indices|.
    const folded = [0, ...shape.slice(1, axis), src.length, ...shape.slice(axis + 1)];
    const g = em.op('Reshape', [ctx.gradOrZeros(0), em.ints(folded)]);
    return [scatterAlongAxis(em, g, rank, axis, src, shape[axis]), undefined];
  },
};

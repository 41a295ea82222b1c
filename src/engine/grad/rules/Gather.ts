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
    // Axis 0 is the batch unless the fold of the segment's shapes shows it is not (Swin's qkv[0]).
    const batch = ctx.batchAxis(x) ?? 0;
    if (axis === batch) ctx.fail('gathering along the batch axis is not supported');
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
    // dy has x's shape with the axis replaced by the index dims: one index adds the axis back (Unsqueeze), a
    // list is the axis already, more index dims fold into one axis of length |indices| (Reshape, the batch
    // axis copied by its 0 so the model runs at any batch size).
    let g = ctx.gradOrZeros(0);
    if (iv.dims.length === 0) g = em.unsqueeze(g, [axis]);
    else if (iv.dims.length > 1) {
      if (batch !== 0) ctx.fail(`indices of rank ${iv.dims.length} on a tensor whose batch is not axis 0`);
      g = em.op('Reshape', [g, em.ints([0, ...shape.slice(1, axis), src.length, ...shape.slice(axis + 1)])]);
    }
    return [scatterAlongAxis(em, g, rank, axis, src, shape[axis]), undefined];
  },
};

import { attrInt } from '../attrs';
import type { GradRule } from '../types';

/** y = concat(x_i, axis): each x_i gets its slab of dy (one Split with the static sizes). */
export const Concat: GradRule = {
  opType: 'Concat',
  grad(ctx) {
    const { node, em } = ctx;
    const rank = ctx.shape(node.output[0]).length;
    const axis = (attrInt(node, 'axis', 0) + rank) % rank;
    if (axis === 0) ctx.fail('concatenation along the batch axis is not supported');
    const sizes = node.input.map((x) => ctx.shape(x)[axis]);
    const parts = em.opN('Split', [ctx.gradOrZeros(0), em.ints(sizes)], sizes.length, { axis });
    return parts.map((p, i) => (ctx.needs(i) ? p : undefined));
  },
};

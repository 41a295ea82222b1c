import { attrInt } from '../attrs';
import type { GradRule } from '../types';

/** y_i = split(x, axis): dx = concat(dy_i) (zeros for outputs that receive no cotangent). */
export const Split: GradRule = {
  opType: 'Split',
  grad(ctx) {
    const { node, em } = ctx;
    const rank = ctx.shape(node.input[0]).length;
    const axis = (attrInt(node, 'axis', 0) + rank) % rank;
    const parts = node.output.map((_, i) => ctx.gradOrZeros(i));
    return [parts.length === 1 ? parts[0] : em.op('Concat', parts, { axis })];
  },
};

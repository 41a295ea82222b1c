import { attrInts } from '../attrs';
import type { GradRule } from '../types';

/** y = transpose(x, perm): dx = transpose(dy, inverse(perm)). */
export const Transpose: GradRule = {
  opType: 'Transpose',
  grad(ctx) {
    const rank = ctx.shape(ctx.node.input[0]).length;
    const perm = attrInts(ctx.node, 'perm') ?? Array.from({ length: rank }, (_, i) => rank - 1 - i);
    const inverse = new Array<number>(rank);
    perm.forEach((p, i) => {
      inverse[p] = i;
    });
    return [ctx.em.op('Transpose', [ctx.gradOrZeros(0)], { perm: inverse })];
  },
};

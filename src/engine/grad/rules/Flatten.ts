import type { GradRule } from '../types';

/** A reshape: dx = dy reshaped to x's run-time shape. */
export const Flatten: GradRule = {
  opType: 'Flatten',
  grad: (ctx) => [ctx.em.reshapeLike(ctx.gradOrZeros(0), ctx.node.input[0])],
};

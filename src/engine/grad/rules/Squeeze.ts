import type { GradRule } from '../types';

/** A reshape: dx = dy reshaped to x's run-time shape (the shape/axes input gets no cotangent). */
export const Squeeze: GradRule = {
  opType: 'Squeeze',
  grad: (ctx) => [ctx.em.reshapeLike(ctx.gradOrZeros(0), ctx.node.input[0])],
};

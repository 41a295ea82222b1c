import type { GradRule } from '../types';

/** y = 1 / x: dx = -dy * y^2. */
export const Reciprocal: GradRule = {
  opType: 'Reciprocal',
  grad(ctx) {
    const { em } = ctx;
    const y = ctx.node.output[0];
    return [em.op('Neg', [em.op('Mul', [ctx.gradOrZeros(0), em.op('Mul', [y, y])])])];
  },
};

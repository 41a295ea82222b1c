import type { GradRule } from '../types';

/** y = e^x: dx = dy * y. */
export const Exp: GradRule = {
  opType: 'Exp',
  grad(ctx) {
    return [ctx.em.op('Mul', [ctx.gradOrZeros(0), ctx.node.output[0]])];
  },
};

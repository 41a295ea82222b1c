import type { GradRule } from '../types';

/** y = sqrt(x): dx = dy / (2 y). */
export const Sqrt: GradRule = {
  opType: 'Sqrt',
  grad(ctx) {
    const { em } = ctx;
    return [em.op('Div', [em.op('Mul', [ctx.gradOrZeros(0), em.scalar(0.5)]), ctx.node.output[0]])];
  },
};

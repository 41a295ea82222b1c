import type { GradRule } from '../types';

/** y = erf(x): dx = dy * 2/sqrt(pi) * exp(-x^2). */
export const Erf: GradRule = {
  opType: 'Erf',
  grad(ctx) {
    const { em } = ctx;
    const x = ctx.node.input[0];
    const bell = em.op('Exp', [em.op('Neg', [em.op('Mul', [x, x])])]);
    return [em.op('Mul', [ctx.gradOrZeros(0), em.op('Mul', [bell, em.scalar(2 / Math.sqrt(Math.PI))])])];
  },
};

import type { GradRule } from '../types';

/** y = tanh(x): dx = dy * (1 - y^2). */
export const Tanh: GradRule = {
  opType: 'Tanh',
  grad(ctx) {
    const { em } = ctx;
    const y = ctx.node.output[0];
    const slope = em.op('Sub', [em.scalar(1), em.op('Mul', [y, y])]);
    return [em.op('Mul', [ctx.gradOrZeros(0), slope])];
  },
};

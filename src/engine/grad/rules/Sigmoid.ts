import type { GradRule } from '../types';

/** y = 1 / (1 + e^-x): dx = dy * y * (1 - y). */
export const Sigmoid: GradRule = {
  opType: 'Sigmoid',
  grad(ctx) {
    const { em } = ctx;
    const y = ctx.node.output[0];
    const slope = em.op('Mul', [y, em.op('Sub', [em.scalar(1), y])]);
    return [em.op('Mul', [ctx.gradOrZeros(0), slope])];
  },
};

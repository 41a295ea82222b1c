import type { GradRule } from '../types';

/** y = x * relu6(x + 3) / 6: dx = 0 below -3, dy * (x/3 + 1/2) on [-3, 3), dy above (as torch on tensors). */
export const HardSwish: GradRule = {
  opType: 'HardSwish',
  grad(ctx) {
    const { em } = ctx;
    const x = ctx.node.input[0];
    const gy = ctx.gradOrZeros(0);
    const mid = em.op('Mul', [gy, em.op('Add', [em.op('Mul', [x, em.scalar(1 / 3)]), em.scalar(0.5)])]);
    const upper = em.op('Where', [em.op('Less', [x, em.scalar(3)]), mid, gy]);
    return [em.op('Where', [em.op('Less', [x, em.scalar(-3)]), em.scalar(0), upper])];
  },
};

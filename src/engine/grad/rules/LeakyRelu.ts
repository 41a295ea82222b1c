import { attrFloat } from '../attrs';
import type { GradRule } from '../types';

/** y = x > 0 ? x : alpha * x: slope alpha at x <= 0 (as torch). */
export const LeakyRelu: GradRule = {
  opType: 'LeakyRelu',
  grad(ctx) {
    const { em } = ctx;
    const gy = ctx.gradOrZeros(0);
    const alpha = attrFloat(ctx.node, 'alpha', 0.01);
    const pass = em.op('Greater', [ctx.node.input[0], em.scalar(0)]);
    return [em.op('Where', [pass, gy, em.op('Mul', [gy, em.scalar(alpha)])])];
  },
};

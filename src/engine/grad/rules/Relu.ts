import type { GradRule } from '../types';

/** y = max(x, 0): the cotangent passes where x > 0 (0 at x == 0, as torch). */
export const Relu: GradRule = {
  opType: 'Relu',
  grad(ctx) {
    const { em } = ctx;
    const pass = em.op('Greater', [ctx.node.input[0], em.scalar(0)]);
    return [em.op('Where', [pass, ctx.gradOrZeros(0), em.scalar(0)])];
  },
};

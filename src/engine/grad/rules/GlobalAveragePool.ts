import type { GradRule } from '../types';

/** y = mean of x over its spatial axes: dx = dy / (H*W) broadcast back over them. */
export const GlobalAveragePool: GradRule = {
  opType: 'GlobalAveragePool',
  grad(ctx) {
    const { em } = ctx;
    const x = ctx.node.input[0];
    const positions = ctx
      .shape(x)
      .slice(2)
      .reduce((a, b) => a * b, 1);
    const scaled = em.op('Mul', [ctx.gradOrZeros(0), em.scalar(1 / positions)]);
    return [em.op('Expand', [scaled, em.op('Shape', [x])])];
  },
};

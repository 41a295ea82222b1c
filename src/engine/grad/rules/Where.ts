import type { GradRule } from '../types';

/**
 * y = where(c, a, b) (broadcasting): the condition carries no cotangent; da = dy where c, db = dy where not c,
 * each summed over the axes it was broadcast along.
 */
export const Where: GradRule = {
  opType: 'Where',
  grad(ctx) {
    const { node, em } = ctx;
    const [c, a, b] = node.input;
    if (ctx.needs(0)) ctx.fail(`the condition ${c} cannot carry a cotangent`);
    const gy = ctx.gradOrZeros(0);
    const out = ctx.shape(node.output[0]);
    const zero = em.scalar(0);
    return [
      undefined,
      ctx.needs(1) ? em.unbroadcast(em.op('Where', [c, gy, zero]), out, ctx.shape(a)) : undefined,
      ctx.needs(2) ? em.unbroadcast(em.op('Where', [c, zero, gy]), out, ctx.shape(b)) : undefined,
    ];
  },
};

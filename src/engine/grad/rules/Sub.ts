import type { GradRule } from '../types';

/** y = a - b (broadcasting): da = dy, db = -dy, each summed over its broadcast axes. */
export const Sub: GradRule = {
  opType: 'Sub',
  grad(ctx) {
    const { em } = ctx;
    const gy = ctx.gradOrZeros(0);
    const out = ctx.shape(ctx.node.output[0]);
    const [a, b] = ctx.node.input;
    return [ctx.needs(0) ? em.unbroadcast(gy, out, ctx.shape(a)) : undefined, ctx.needs(1) ? em.unbroadcast(em.op('Neg', [gy]), out, ctx.shape(b)) : undefined];
  },
};

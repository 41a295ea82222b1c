import type { GradRule } from '../types';

/** y = a * b (broadcasting): da = dy * b, db = dy * a, each summed over its broadcast axes. */
export const Mul: GradRule = {
  opType: 'Mul',
  grad(ctx) {
    const { em } = ctx;
    const gy = ctx.gradOrZeros(0);
    const out = ctx.shape(ctx.node.output[0]);
    const [a, b] = ctx.node.input;
    return [
      ctx.needs(0) ? em.unbroadcast(em.op('Mul', [gy, b]), out, ctx.shape(a)) : undefined,
      ctx.needs(1) ? em.unbroadcast(em.op('Mul', [gy, a]), out, ctx.shape(b)) : undefined,
    ];
  },
};

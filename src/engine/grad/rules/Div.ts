import type { GradRule } from '../types';

/** y = a / b (broadcasting): da = dy / b, db = -dy * y / b, each summed over its broadcast axes. */
export const Div: GradRule = {
  opType: 'Div',
  grad(ctx) {
    const { em } = ctx;
    const gy = ctx.gradOrZeros(0);
    const out = ctx.shape(ctx.node.output[0]);
    const [a, b] = ctx.node.input;
    const ga = ctx.needs(0) || ctx.needs(1) ? em.op('Div', [gy, b]) : '';
    return [
      ctx.needs(0) ? em.unbroadcast(ga, out, ctx.shape(a)) : undefined,
      ctx.needs(1) ? em.unbroadcast(em.op('Neg', [em.op('Mul', [ga, ctx.node.output[0]])]), out, ctx.shape(b)) : undefined,
    ];
  },
};

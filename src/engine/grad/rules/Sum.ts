import type { GradRule } from '../types';

/** y = x0 + x1 + ... (variadic, broadcasting). */
export const Sum: GradRule = {
  opType: 'Sum',
  grad(ctx) {
    const gy = ctx.gradOrZeros(0);
    const out = ctx.shape(ctx.node.output[0]);
    return ctx.node.input.map((x, i) => (ctx.needs(i) ? ctx.em.unbroadcast(gy, out, ctx.shape(x)) : undefined));
  },
};

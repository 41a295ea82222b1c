import type { GradRule } from '../types';

/** y = a + b (numpy broadcasting): each operand gets dy summed over the axes it was broadcast along. */
export const Add: GradRule = {
  opType: 'Add',
  grad(ctx) {
    const gy = ctx.gradOrZeros(0);
    const out = ctx.shape(ctx.node.output[0]);
    return ctx.node.input.map((x, i) => (ctx.needs(i) ? ctx.em.unbroadcast(gy, out, ctx.shape(x)) : undefined));
  },
};

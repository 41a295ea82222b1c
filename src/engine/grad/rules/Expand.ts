import type { GradRule } from '../types';

/** y = expand(x, shape): dx = dy summed over the broadcast axes. */
export const Expand: GradRule = {
  opType: 'Expand',
  grad(ctx) {
    const [x] = ctx.node.input;
    return [ctx.em.unbroadcast(ctx.gradOrZeros(0), ctx.shape(ctx.node.output[0]), ctx.shape(x)), undefined];
  },
};

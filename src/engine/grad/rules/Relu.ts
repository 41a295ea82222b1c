import type { GradRule } from '../types';

/**
 * y = max(x, 0): the cotangent passes where x > 0 (0 at x == 0, as torch), i.e. where y > 0. The mask is read
 * from the output (so x itself need not be kept; the IG model fuses it away) as Min(Ceil(y), 1), which is
 * exactly 1 for every y > 0 (subnormals included) and 0 at y = 0: on ORT's CPU kernels this float mask costs
 * a fraction of Greater + Cast, and a Where with a broadcast zero is slower still.
 */
export const Relu: GradRule = {
  opType: 'Relu',
  grad(ctx) {
    const { em } = ctx;
    const pass = em.op('Min', [em.op('Ceil', [ctx.node.output[0]]), em.scalar(1)]);
    return [em.op('Mul', [ctx.gradOrZeros(0), pass])];
  },
};

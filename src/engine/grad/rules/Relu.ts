import type { GradRule } from '../types';

/**
 * y = max(x, 0): the cotangent passes where x > 0 (0 at x == 0, as torch), i.e. where y > 0: the mask is
 * read from the output, so x itself need not be kept (the IG model fuses it away). Written as
 * dy * Cast(y > 0): on ORT's CPU kernels, Greater + Cast + Mul run about twice as fast as a Where with a
 * broadcast zero.
 */
export const Relu: GradRule = {
  opType: 'Relu',
  grad(ctx) {
    const { em } = ctx;
    const pass = em.op('Cast', [em.op('Greater', [ctx.node.output[0], em.scalar(0)])], { to: em.elemType });
    return [em.op('Mul', [ctx.gradOrZeros(0), pass])];
  },
};

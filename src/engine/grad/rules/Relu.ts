import type { GradRule } from '../types';

/**
 * y = max(x, 0): the cotangent passes where x > 0 (0 at x == 0, as torch). Written as dy * Cast(x > 0):
 * on ORT's CPU kernels, Greater + Cast + Mul run about twice as fast as a Where with a broadcast zero.
 */
export const Relu: GradRule = {
  opType: 'Relu',
  grad(ctx) {
    const { em } = ctx;
    const pass = em.op('Cast', [em.op('Greater', [ctx.node.input[0], em.scalar(0)])], { to: em.elemType });
    return [em.op('Mul', [ctx.gradOrZeros(0), pass])];
  },
};

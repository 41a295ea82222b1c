import type { GradRule } from '../types';

/** y = -x. */
export const Neg: GradRule = {
  opType: 'Neg',
  grad: (ctx) => [ctx.em.op('Neg', [ctx.gradOrZeros(0)])],
};

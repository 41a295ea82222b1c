import type { GradRule } from '../types';

/** y = x. */
export const Identity: GradRule = {
  opType: 'Identity',
  grad: (ctx) => [ctx.gradOrZeros(0)],
};

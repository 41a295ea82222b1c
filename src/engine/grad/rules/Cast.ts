import type { GradRule } from '../types';

/** A float-to-float cast: dx = dy cast back to x's type (casts to integers carry no cotangent at all). */
export const Cast: GradRule = {
  opType: 'Cast',
  grad(ctx) {
    return [ctx.em.op('Cast', [ctx.gradOrZeros(0)], { to: ctx.em.elemType })];
  },
};

import type { GradRule } from '../types';

/**
 * y = min(max(x, lo), hi) (opset >= 11: bounds are optional inputs; older forms are upgraded to inputs by the
 * builder): the cotangent passes where lo <= x <= hi, inclusive at both ends like torch.clamp.
 */
export const Clip: GradRule = {
  opType: 'Clip',
  grad(ctx) {
    const { em } = ctx;
    const [x, lo, hi] = ctx.node.input;
    const conds: string[] = [];
    if (lo) conds.push(em.op('GreaterOrEqual', [x, lo]));
    if (hi) conds.push(em.op('LessOrEqual', [x, hi]));
    const gy = ctx.gradOrZeros(0);
    if (conds.length === 0) return [gy];
    const pass = conds.length === 2 ? em.op('And', conds) : conds[0];
    return [em.op('Where', [pass, gy, em.scalar(0)]), undefined, undefined];
  },
};

import { attrFloat, attrInt } from '../attrs';
import type { GradRule } from '../types';
import { normalize, normalizeGrad } from './normalize';

/**
 * GroupNormalization: x [N, C, ...] viewed as [N, G, C/G * positions], normalized over the last axis
 * (normalize.ts), then scaled and shifted per group (opset 18: scale, bias [G]) or per channel (opset 21:
 * [C]; the two coincide when G = C, so the scale's length decides). With g = dy * scale in that view,
 * dx = r * (g - mean(g) - xhat * mean(g * xhat)) reshaped back. Scale and bias are parameters (no cotangent).
 */
export const GroupNormalization: GradRule = {
  opType: 'GroupNormalization',
  grad(ctx) {
    const { node, em } = ctx;
    const [x, scale] = node.input;
    if (ctx.needs(1) || ctx.needs(2)) ctx.fail('a scale or bias that depends on the activation is not supported (only d/dx)');
    const shape = ctx.shape(x);
    const rank = shape.length;
    const groups = attrInt(node, 'num_groups', 0);
    const C = shape[1];
    if (rank < 2 || groups <= 0 || C % groups !== 0) ctx.fail(`num_groups ${groups} does not divide the ${C} channels`);
    const scaleLen = ctx.shape(scale).reduce((p, d) => p * d, 1);
    if (scaleLen !== C && scaleLen !== groups) ctx.fail(`scale has ${scaleLen} values: expected ${groups} (groups) or ${C} (channels)`);
    const grouped = em.ints([0, groups, -1]);
    const view = (t: string) => em.op('Reshape', [t, grouped]);
    const norm = normalize(em, view(x), [2], attrFloat(node, 'epsilon', 1e-5));
    const gy = ctx.gradOrZeros(0);
    const gxhat =
      scaleLen === C
        ? view(em.op('Mul', [gy, em.op('Reshape', [scale, em.ints([C, ...new Array<number>(rank - 2).fill(1)])])]))
        : em.op('Mul', [view(gy), em.op('Reshape', [scale, em.ints([groups, 1])])]);
    return [em.reshapeLike(normalizeGrad(em, norm, gxhat, [2]), x), undefined, undefined];
  },
};

import { attrFloat, attrInt } from '../attrs';
import type { GradRule } from '../types';
import { normalize, normalizeGrad } from './normalize';

/**
 * LayerNormalization (opset 17): over the axes from `axis` to the last (n elements), y = xhat * scale + bias
 * (scale and bias broadcast against x), xhat = (x - mu) * r (normalize.ts). Cotangents:
 * - dx = r * (g - mean(g) - xhat * mean(g * xhat)) with g = dy * scale; the optional outputs add
 *   dMean / n (Mean, output 1) and -dInvStdDev * r^2 * xhat / n (InvStdDev, output 2);
 * - dscale = dy * xhat and dbias = dy, each summed over the axes it was broadcast along (when they depend on
 *   the activation).
 */
export const LayerNormalization: GradRule = {
  opType: 'LayerNormalization',
  grad(ctx) {
    const { node, em } = ctx;
    const [x, scale, bias] = node.input;
    const shape = ctx.shape(x);
    const rank = shape.length;
    const axis = attrInt(node, 'axis', -1);
    const first = axis < 0 ? axis + rank : axis;
    if (first < 0 || first >= rank) ctx.fail(`axis ${axis} is out of range for rank ${rank}`);
    if (first === 0) ctx.fail('normalizing over the batch axis (axis 0) is not supported');
    const axes = Array.from({ length: rank - first }, (_, i) => first + i);
    const n = axes.reduce((p, a) => p * shape[a], 1);
    const norm = normalize(em, x, axes, attrFloat(node, 'epsilon', 1e-5));
    const gy = ctx.gradOrZeros(0);
    const gxhat = scale ? em.op('Mul', [gy, scale]) : gy;
    const terms = [normalizeGrad(em, norm, gxhat, axes)];
    // Mean and InvStdDev have the stash type (float32 by default), maybe not x's.
    const stashed = (g: string | undefined) => (g && attrInt(node, 'stash_type', 1) !== em.elemType ? em.op('Cast', [g], { to: em.elemType }) : g);
    const gMean = stashed(ctx.gradOf(1));
    if (gMean) terms.push(em.op('Mul', [gMean, em.scalar(1 / n)]));
    const gInvStd = stashed(ctx.gradOf(2));
    if (gInvStd) {
      const r2 = em.op('Mul', [norm.r, norm.r]);
      terms.push(em.op('Mul', [em.op('Mul', [gInvStd, r2]), em.op('Mul', [norm.xhat, em.scalar(-1 / n)])]));
    }
    const gx = terms.length === 1 ? terms[0] : em.op('Sum', terms);
    return [
      gx,
      ctx.needs(1) ? em.unbroadcast(em.op('Mul', [gy, norm.xhat]), shape, ctx.shape(scale)) : undefined,
      ctx.needs(2) ? em.unbroadcast(gy, shape, ctx.shape(bias)) : undefined,
    ];
  },
};

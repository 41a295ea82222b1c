import { attrFloat } from '../attrs';
import type { GradRule } from '../types';
import { normalize, normalizeGrad } from './normalize';

/**
 * InstanceNormalization: per sample and channel, over the spatial axes, y = xhat * scale[c] + bias[c]
 * (normalize.ts): dx = r * (g - mean(g) - xhat * mean(g * xhat)) with g = dy * scale[c]. Scale and bias are
 * parameters (no cotangent).
 */
export const InstanceNormalization: GradRule = {
  opType: 'InstanceNormalization',
  grad(ctx) {
    const { node, em } = ctx;
    const [x, scale] = node.input;
    if (ctx.needs(1) || ctx.needs(2)) ctx.fail('a scale or bias that depends on the activation is not supported (only d/dx)');
    const rank = ctx.shape(x).length;
    if (rank < 3) ctx.fail(`input rank ${rank} has no spatial axis`);
    const axes = Array.from({ length: rank - 2 }, (_, i) => i + 2);
    const norm = normalize(em, x, axes, attrFloat(node, 'epsilon', 1e-5));
    const perChannel = em.unsqueeze(
      scale,
      axes.map((a) => a - 1),
    );
    const gxhat = em.op('Mul', [ctx.gradOrZeros(0), perChannel]);
    return [normalizeGrad(em, norm, gxhat, axes), undefined, undefined];
  },
};

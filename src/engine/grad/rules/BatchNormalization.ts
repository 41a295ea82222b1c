import { attrFloat, attrInt } from '../attrs';
import type { GradRule } from '../types';

/**
 * Inference-mode batch norm, y = scale * (x - mean) / sqrt(var + eps) + bias over channel axis 1:
 * dx = dy * scale / sqrt(var + eps). Statistics and affine parameters get no cotangent.
 */
export const BatchNormalization: GradRule = {
  opType: 'BatchNormalization',
  grad(ctx) {
    const { em, node } = ctx;
    if (attrInt(node, 'training_mode', 0) !== 0) ctx.fail('training_mode=1 (batch statistics) is not supported; export the model in eval mode');
    for (let i = 1; i < 5; i++) if (ctx.needs(i)) ctx.fail(`input ${i} (${node.input[i]}) depends on the activation; only x may`);
    const [x, scale, , , variance] = node.input;
    const rank = ctx.shape(x).length;
    const eps = attrFloat(node, 'epsilon', 1e-5);
    let factor = em.op('Div', [scale, em.op('Sqrt', [em.op('Add', [variance, em.scalar(eps)])])]);
    factor = em.unsqueeze(
      factor,
      Array.from({ length: rank - 2 }, (_, i) => i + 1),
    );
    return [em.op('Mul', [ctx.gradOrZeros(0), factor])];
  },
};

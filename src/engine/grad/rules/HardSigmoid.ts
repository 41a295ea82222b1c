import { attrFloat } from '../attrs';
import type { GradRule } from '../types';

/**
 * y = max(0, min(1, alpha * x + beta)) (ONNX defaults alpha 0.2, beta 0.5; torch exports 1/6 and 0.5):
 * dx = alpha * dy strictly inside (0, 1), as torch.
 */
export const HardSigmoid: GradRule = {
  opType: 'HardSigmoid',
  grad(ctx) {
    const { em } = ctx;
    const alpha = attrFloat(ctx.node, 'alpha', 0.2);
    const beta = attrFloat(ctx.node, 'beta', 0.5);
    const z = em.op('Add', [em.op('Mul', [ctx.node.input[0], em.scalar(alpha)]), em.scalar(beta)]);
    const inside = em.op('And', [em.op('Greater', [z, em.scalar(0)]), em.op('Less', [z, em.scalar(1)])]);
    const scaled = em.op('Mul', [ctx.gradOrZeros(0), em.scalar(alpha)]);
    return [em.op('Where', [inside, scaled, em.scalar(0)])];
  },
};

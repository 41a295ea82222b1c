import { attrInt } from '../attrs';
import type { GradRule } from '../types';

/** y = softmax(x, axis) (opset >= 13 semantics; older nodes are rewritten by the builder): dx = y * (dy - sum(dy * y)). */
export const Softmax: GradRule = {
  opType: 'Softmax',
  grad(ctx) {
    const { em } = ctx;
    const y = ctx.node.output[0];
    const rank = ctx.shape(y).length;
    const axis = (attrInt(ctx.node, 'axis', -1) + rank) % rank;
    const gy = ctx.gradOrZeros(0);
    const dot = em.reduceSum(em.op('Mul', [gy, y]), [axis], true);
    return [em.op('Mul', [y, em.op('Sub', [gy, dot])])];
  },
};

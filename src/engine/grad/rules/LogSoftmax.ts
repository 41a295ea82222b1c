import { attrInt } from '../attrs';
import type { GradRule } from '../types';

/** y = log softmax(x, axis): dx = dy - exp(y) * sum(dy). */
export const LogSoftmax: GradRule = {
  opType: 'LogSoftmax',
  grad(ctx) {
    const { em } = ctx;
    const y = ctx.node.output[0];
    const rank = ctx.shape(y).length;
    const axis = (attrInt(ctx.node, 'axis', -1) + rank) % rank;
    const gy = ctx.gradOrZeros(0);
    const total = em.reduceSum(gy, [axis], true);
    return [em.op('Sub', [gy, em.op('Mul', [em.op('Exp', [y]), total])])];
  },
};

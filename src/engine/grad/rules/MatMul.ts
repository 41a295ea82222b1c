import type { GradRule } from '../types';
import type { GraphEmitter } from '../emitter';

function swapLast(em: GraphEmitter, x: string, rank: number): string {
  const perm = Array.from({ length: rank }, (_, i) => i);
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
  return em.op('Transpose', [x], { perm });
}

/**
 * y = a @ b (numpy matmul, batch axes broadcast, 1-D operands promoted): da = dy @ b^T, db = a^T @ dy, each
 * summed over the batch axes it was broadcast along.
 */
export const MatMul: GradRule = {
  opType: 'MatMul',
  grad(ctx) {
    const { node, em } = ctx;
    const [a, b] = node.input;
    const sa = ctx.shape(a);
    const sb = ctx.shape(b);
    const sy = ctx.shape(node.output[0]);
    const ry = sy.length;
    const gy = ctx.gradOrZeros(0);
    let ga: string | undefined;
    let gb: string | undefined;
    if (sa.length >= 2 && sb.length >= 2) {
      const batch = sy.slice(0, -2);
      if (ctx.needs(0)) {
        ga = em.unbroadcast(em.op('MatMul', [gy, swapLast(em, b, sb.length)]), [...batch, ...sa.slice(-2)], sa);
      }
      if (ctx.needs(1)) {
        gb = em.unbroadcast(em.op('MatMul', [swapLast(em, a, sa.length), gy]), [...batch, ...sb.slice(-2)], sb);
      }
    } else if (sb.length === 1 && sa.length >= 2) {
      // y[..., n] = sum_k a[..., n, k] b[k]
      const g = em.unsqueeze(gy, [ry]);
      if (ctx.needs(0)) ga = em.op('Mul', [g, b]);
      if (ctx.needs(1)) gb = em.unbroadcast(em.op('Mul', [g, a]), [...sy, sb[0]], sb);
    } else if (sa.length === 1 && sb.length >= 2) {
      // y[..., m] = sum_k a[k] b[..., k, m]
      const g = em.unsqueeze(gy, [ry - 1]);
      if (ctx.needs(0)) {
        const full = em.reduceSum(em.op('Mul', [g, b]), [ry], false);
        ga = em.unbroadcast(full, [...sy.slice(0, -1), sa[0]], sa);
      }
      if (ctx.needs(1)) {
        gb = em.unbroadcast(em.op('Mul', [em.unsqueeze(a, [1]), g]), [...sy.slice(0, -1), sa[0], sy[ry - 1]], sb);
      }
    } else {
      ctx.fail('a product of two 1-D tensors has no batch axis; not supported');
    }
    return [ga, gb];
  },
};

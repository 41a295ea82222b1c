import { attrFloat, attrInt } from '../attrs';
import type { GradRule } from '../types';

/**
 * Y = alpha * A' B' + beta * C with A' = transA ? A^T : A (same for B):
 * dA' = alpha * dY B'^T and dB' = alpha * A'^T dY, each written as one Gemm with the right transposes;
 * dC = beta * dY summed over C's broadcast axes.
 */
export const Gemm: GradRule = {
  opType: 'Gemm',
  grad(ctx) {
    const { node, em } = ctx;
    const [a, b, c] = node.input;
    const gy = ctx.gradOrZeros(0);
    const alpha = attrFloat(node, 'alpha', 1);
    const beta = attrFloat(node, 'beta', 1);
    const tA = attrInt(node, 'transA', 0);
    const tB = attrInt(node, 'transB', 0);
    const f = { float: alpha };
    let ga: string | undefined;
    let gb: string | undefined;
    let gc: string | undefined;
    if (ctx.needs(0)) {
      ga = tA === 0 ? em.op('Gemm', [gy, b], { alpha: f, transB: 1 - tB }) : em.op('Gemm', [b, gy], { alpha: f, transA: tB, transB: 1 });
    }
    if (ctx.needs(1)) {
      gb = tB === 0 ? em.op('Gemm', [a, gy], { alpha: f, transA: 1 - tA }) : em.op('Gemm', [gy, a], { alpha: f, transA: 1, transB: tA });
    }
    if (c && ctx.needs(2)) {
      const scaled = beta === 1 ? gy : em.op('Mul', [gy, em.scalar(beta)]);
      gc = em.unbroadcast(scaled, ctx.shape(node.output[0]), ctx.shape(c));
    }
    return [ga, gb, gc];
  },
};

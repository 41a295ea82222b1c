import { attrInt, attrInts } from '../attrs';
import type { GradContext, GradRule } from '../types';

/** The reduced axes, sorted and non-negative: attribute (< opset 18) or constant input (>= 18); 'none' for a no-op. */
function reducedAxes(ctx: GradContext, rank: number): number[] | 'none' {
  const { node } = ctx;
  let axes = attrInts(node, 'axes');
  if (!axes && node.input[1]) axes = (ctx.constant(node.input[1]) ?? ctx.fail(`the axes input ${node.input[1]} is not a constant`)).values;
  if (!axes || axes.length === 0) {
    if (attrInt(node, 'noop_with_empty_axes', 0) === 1) return 'none';
    return Array.from({ length: rank }, (_, i) => i);
  }
  return [...new Set(axes.map((a) => (a + rank) % rank))].sort((a, b) => a - b);
}

/**
 * y = max of x over axes: dx = dy (broadcast back) where x equals its max, divided by the number of elements
 * that equal it (ties share the cotangent evenly, as torch.amax).
 */
export const ReduceMax: GradRule = {
  opType: 'ReduceMax',
  grad(ctx) {
    const { node, em } = ctx;
    const x = node.input[0];
    const axes = reducedAxes(ctx, ctx.shape(x).length);
    let gy = ctx.gradOrZeros(0);
    if (axes === 'none') return [gy, undefined];
    let y = node.output[0];
    if (attrInt(node, 'keepdims', 1) === 0) {
      gy = em.unsqueeze(gy, axes);
      y = em.unsqueeze(y, axes);
    }
    const mask = em.op('Cast', [em.op('Equal', [x, y])], { to: em.elemType });
    const count = em.reduce('ReduceSum', mask, axes, true);
    return [em.op('Mul', [mask, em.op('Div', [gy, count])]), undefined];
  },
};

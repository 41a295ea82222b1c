/**
 * Shared by the ReduceMean and ReduceSum rules (not a rule): the cotangent is broadcast back over the reduced axes (divided by the reduced
 * element count for the mean). Axes come from the attribute (ReduceMean < 18) or a constant input.
 */
import { attrInt, attrInts } from '../attrs';
import type { GradContext } from '../types';

function reducedAxes(ctx: GradContext, rank: number): number[] | 'none' {
  const { node } = ctx;
  let axes = attrInts(node, 'axes');
  if (!axes && node.input[1]) {
    const v = ctx.constant(node.input[1]) ?? ctx.fail(`the axes input ${node.input[1]} is not a constant`);
    axes = v.values;
  }
  if (!axes || axes.length === 0) {
    if (attrInt(node, 'noop_with_empty_axes', 0) === 1) return 'none';
    return Array.from({ length: rank }, (_, i) => i);
  }
  return [...new Set(axes.map((a) => (a + rank) % rank))].sort((a, b) => a - b);
}

export function reduceGrad(ctx: GradContext, mean: boolean): (string | undefined)[] {
  const { node, em } = ctx;
  const x = node.input[0];
  const shape = ctx.shape(x);
  const axes = reducedAxes(ctx, shape.length);
  let g = ctx.gradOrZeros(0);
  if (axes === 'none') return [g, undefined];
  if (attrInt(node, 'keepdims', 1) === 0) g = em.unsqueeze(g, axes);
  if (mean) {
    if (axes.includes(0)) {
      const size = (t: string) => em.op('Cast', [em.op('Size', [t])], { to: em.elemType });
      g = em.op('Mul', [g, em.op('Div', [size(node.output[0]), size(x)])]);
    } else {
      g = em.op('Mul', [g, em.scalar(1 / axes.reduce((n, a) => n * shape[a], 1))]);
    }
  }
  return [em.op('Expand', [g, em.op('Shape', [x])]), undefined];
}

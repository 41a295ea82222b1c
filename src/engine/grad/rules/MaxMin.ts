/**
 * Shared by the Max and Min rules (not a rule). y = max (or min) of the inputs, broadcasting: each input gets
 * dy where it equals y, divided by how many inputs equal y there (ties split evenly, as torch.maximum's grad/2),
 * summed over the axes it was broadcast along.
 */
import type { GradContext } from '../types';

export function extremumGrad(ctx: GradContext): (string | undefined)[] {
  const { node, em } = ctx;
  const y = node.output[0];
  const gy = ctx.gradOrZeros(0);
  const out = ctx.shape(y);
  if (node.input.length === 1) return [gy];
  const masks = node.input.map((x) => em.op('Cast', [em.op('Equal', [x, y])], { to: em.elemType }));
  const count = em.op('Sum', masks);
  const share = em.op('Div', [gy, count]);
  return node.input.map((x, i) => (ctx.needs(i) ? em.unbroadcast(em.op('Mul', [share, masks[i]]), out, ctx.shape(x)) : undefined));
}

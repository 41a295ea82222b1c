import { attrString } from '../attrs';
import type { GradRule } from '../types';
import { scatterAlongAxis } from './axis-maps';

/** Input position each output position reads along one axis under a padding mode (-1: the constant). */
function padSource(mode: string, len: number, begin: number, end: number): number[] {
  return Array.from({ length: len + begin + end }, (_, o) => {
    let i = o - begin;
    if (mode === 'edge') return Math.min(Math.max(i, 0), len - 1);
    if (mode === 'wrap') return ((i % len) + len) % len;
    if (len === 1) return 0;
    const period = 2 * (len - 1);
    i = ((i % period) + period) % period;
    return i < len ? i : period - i;
  });
}

/**
 * y = pad(x) (opset >= 11 inputs; older forms are upgraded by the builder). Constant mode: dx = dy with the
 * padding cut off (negative pads: zeros put back). Reflect/edge/wrap: the cotangents of the copied borders
 * are added back onto their sources along each padded axis.
 */
export const Pad: GradRule = {
  opType: 'Pad',
  grad(ctx) {
    const { node, em } = ctx;
    const x = node.input[0];
    const shape = ctx.shape(x);
    const rank = shape.length;
    const pv = (node.input[1] ? ctx.constant(node.input[1]) : undefined) ?? ctx.fail('the pads input must be a constant');
    const axesValue = node.input[3] ? ctx.constant(node.input[3]) : undefined;
    if (node.input[3] && !axesValue) ctx.fail('the axes input must be a constant');
    const axes = (axesValue?.values ?? shape.map((_, i) => i)).map((a) => (a + rank) % rank);
    const begin = new Array<number>(rank).fill(0);
    const end = new Array<number>(rank).fill(0);
    axes.forEach((a, k) => {
      begin[a] = pv.values[k];
      end[a] = pv.values[axes.length + k];
    });
    const mode = attrString(node, 'mode', 'constant');
    let g = ctx.gradOrZeros(0);
    if (mode === 'constant') {
      const cut = axes.filter((a) => begin[a] > 0 || end[a] > 0);
      if (cut.length > 0) {
        g = em.op('Slice', [
          g,
          em.ints(cut.map((a) => Math.max(begin[a], 0))),
          em.ints(cut.map((a) => (end[a] > 0 ? -end[a] : Number.MAX_SAFE_INTEGER))),
          em.ints(cut),
        ]);
      }
      const back = new Array<number>(2 * rank).fill(0);
      for (let a = 0; a < rank; a++) {
        back[a] = Math.max(-begin[a], 0);
        back[rank + a] = Math.max(-end[a], 0);
      }
      if (back.some((v) => v > 0)) g = em.op('Pad', [g, em.ints(back)]);
      return [g];
    }
    if (!['reflect', 'edge', 'wrap'].includes(mode)) ctx.fail(`unknown mode '${mode}'`);
    for (let a = 0; a < rank; a++) {
      if (begin[a] === 0 && end[a] === 0) continue;
      if (a === 0) ctx.fail('padding the batch axis is not supported');
      if (begin[a] < 0 || end[a] < 0) ctx.fail(`negative pads with mode '${mode}' are not supported`);
      g = scatterAlongAxis(em, g, rank, a, padSource(mode, shape[a], begin[a], end[a]), shape[a]);
    }
    return [g];
  },
};

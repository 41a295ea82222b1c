import { attrString } from '../attrs';
import type { GradRule } from '../types';

/**
 * Gelu (opset 20).
 * - approximate "none": y = x * Phi(x), Phi(x) = (1 + erf(x / sqrt 2)) / 2: dx = dy * (Phi(x) + x * phi(x)),
 *   phi(x) = exp(-x^2 / 2) / sqrt(2 pi).
 * - approximate "tanh": y = x/2 * (1 + t), t = tanh(u), u = sqrt(2/pi) * (x + 0.044715 x^3):
 *   dx = dy * ((1 + t) / 2 + x/2 * (1 - t^2) * sqrt(2/pi) * (1 + 3 * 0.044715 x^2)).
 */
export const Gelu: GradRule = {
  opType: 'Gelu',
  grad(ctx) {
    const { em } = ctx;
    const x = ctx.node.input[0];
    const approximate = attrString(ctx.node, 'approximate', 'none');
    const x2 = em.op('Mul', [x, x]);
    let slope: string;
    if (approximate === 'none') {
      const cdf = em.op('Mul', [em.op('Add', [em.op('Erf', [em.op('Mul', [x, em.scalar(Math.SQRT1_2)])]), em.scalar(1)]), em.scalar(0.5)]);
      const pdf = em.op('Mul', [em.op('Exp', [em.op('Mul', [x2, em.scalar(-0.5)])]), em.scalar(1 / Math.sqrt(2 * Math.PI))]);
      slope = em.op('Add', [cdf, em.op('Mul', [x, pdf])]);
    } else if (approximate === 'tanh') {
      const c = Math.sqrt(2 / Math.PI);
      const k = 0.044715;
      const u = em.op('Mul', [em.op('Add', [x, em.op('Mul', [em.op('Mul', [x2, x]), em.scalar(k)])]), em.scalar(c)]);
      const t = em.op('Tanh', [u]);
      const du = em.op('Add', [em.op('Mul', [x2, em.scalar(3 * k * c)]), em.scalar(c)]);
      const sech2 = em.op('Sub', [em.scalar(1), em.op('Mul', [t, t])]);
      const half = em.op('Mul', [em.op('Add', [t, em.scalar(1)]), em.scalar(0.5)]);
      slope = em.op('Add', [half, em.op('Mul', [em.op('Mul', [x, em.scalar(0.5)]), em.op('Mul', [sech2, du])])]);
    } else {
      slope = ctx.fail(`unknown approximate '${approximate}'`);
    }
    return [em.op('Mul', [ctx.gradOrZeros(0), slope])];
  },
};

import type { GradRule } from '../types';

/**
 * y = x^e (broadcasting), as torch differentiates it:
 * - dx = dy * e * x^(e-1), and 0 where e == 0;
 * - de = dy * y * ln(x), and 0 where x == 0 and e >= 0 (only when e depends on the activation).
 * A constant exponent is re-emitted in the activation's float type (Pow allows an exponent of another type).
 */
export const Pow: GradRule = {
  opType: 'Pow',
  grad(ctx) {
    const { node, em } = ctx;
    const [x, e] = node.input;
    const y = node.output[0];
    const gy = ctx.gradOrZeros(0);
    const out = ctx.shape(y);
    let gx: string | undefined;
    let ge: string | undefined;
    if (ctx.needs(0)) {
      const known = ctx.needs(1) ? undefined : ctx.constant(e);
      let slope: string;
      if (known) {
        const exps = known.values;
        if (exps.every((v) => v === 0)) return [em.zerosLike(x), undefined];
        const power = em.op('Pow', [
          x,
          em.floats(
            exps.map((v) => v - 1),
            known.dims,
          ),
        ]);
        slope = exps.every((v) => v === exps[0]) ? em.op('Mul', [power, em.scalar(exps[0])]) : em.op('Mul', [power, em.floats(exps, known.dims)]);
        if (exps.some((v) => v === 0)) slope = em.op('Where', [em.op('Equal', [em.floats(exps, known.dims), em.scalar(0)]), em.scalar(0), slope]);
      } else {
        const ef = em.op('Cast', [e], { to: em.elemType });
        const power = em.op('Pow', [x, em.op('Sub', [ef, em.scalar(1)])]);
        slope = em.op('Where', [em.op('Equal', [ef, em.scalar(0)]), em.scalar(0), em.op('Mul', [power, ef])]);
      }
      gx = em.unbroadcast(em.op('Mul', [gy, slope]), out, ctx.shape(x));
    }
    if (ctx.needs(1)) {
      const zeroBase = em.op('And', [em.op('Equal', [x, em.scalar(0)]), em.op('GreaterOrEqual', [e, em.scalar(0)])]);
      const full = em.op('Mul', [gy, em.op('Mul', [y, em.op('Log', [x])])]);
      ge = em.unbroadcast(em.op('Where', [zeroBase, em.scalar(0), full]), out, ctx.shape(e));
    }
    return [gx, ge];
  },
};

import type { GradRule } from '../types';

/** Inference-mode dropout is the identity (the mask output carries no cotangent). */
export const Dropout: GradRule = {
  opType: 'Dropout',
  grad(ctx) {
    const training = ctx.node.input[2];
    if (training) {
      const v = ctx.constant(training);
      if (!v || v.values.some((x) => x !== 0)) ctx.fail('training_mode is not a constant false; only inference dropout has a defined gradient');
    }
    return [ctx.gradOrZeros(0)];
  },
};

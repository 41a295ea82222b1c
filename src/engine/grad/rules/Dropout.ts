import type { GradRule } from '../types';

/**
 * Inference-mode dropout is the identity (the mask output carries no cotangent). So is training-mode dropout
 * with a constant ratio of 0: torchvision's Swin calls `F.dropout(attn, p=0.0)` without `training=`, which
 * exports `Dropout(x, ratio=0.0, training_mode=true)`.
 */
export const Dropout: GradRule = {
  opType: 'Dropout',
  grad(ctx) {
    const training = ctx.node.input[2];
    if (training) {
      const v = ctx.constant(training);
      const ratio = ctx.node.input[1] ? ctx.constant(ctx.node.input[1]) : undefined;
      const noDrop = ratio?.values.every((x) => x === 0);
      if (!noDrop && (!v || v.values.some((x) => x !== 0))) {
        ctx.fail('training_mode is not a constant false and the ratio not a constant 0; only dropout that keeps every value has a defined gradient');
      }
    }
    return [ctx.gradOrZeros(0)];
  },
};

/**
 * Masking (docs/design.md 3.3 step 8): zero a set of channels at a layer, run the rest of the model, and report the
 * class probability change and the new top predictions.
 */
import type { AnalysisBackend, Tensor32 } from './backend';
import { argmax, softmax } from '../util/probs';

export interface Prediction {
  class: number;
  prob: number;
}

export interface MaskEffect {
  /** Per image: probability of `classIndex` before and after, and the top predictions after. */
  images: { before: number; after: number; top: Prediction[]; topBefore: Prediction[] }[];
}

export function topPredictions(probs: Float64Array, count: number): Prediction[] {
  return Array.from(probs, (prob, c) => ({ class: c, prob }))
    .sort((a, b) => b.prob - a.prob || a.class - b.class)
    .slice(0, count);
}

/** Argmax class per row of a logits tensor [n, k]. */
export function argmaxRows(logits: Tensor32): number[] {
  const [n, k] = logits.dims;
  return Array.from({ length: n }, (_, i) => argmax(logits.data, i * k, k));
}

/** Effect of zeroing `channels` of `tensor` on a batch of model inputs. */
export async function maskEffect(
  backend: AnalysisBackend,
  inputs: Tensor32,
  tensor: string,
  channels: readonly number[],
  classIndex: number,
  top = 5,
): Promise<MaskEffect> {
  const before = await backend.maskedLogits(inputs, tensor, []);
  const after = await backend.maskedLogits(inputs, tensor, channels);
  const [n, k] = after.dims;
  return {
    images: Array.from({ length: n }, (_, i) => {
      const pb = softmax(before.data, i * k, k);
      const pa = softmax(after.data, i * k, k);
      return { before: pb[classIndex], after: pa[classIndex], top: topPredictions(pa, top), topBefore: topPredictions(pb, top) };
    }),
  };
}

/** Row-wise helpers on logits stored flat ([n, k] row-major): the one softmax and argmax of the engine. */

/** Softmax of `k` values starting at `from`, in float64, written into `out` at `offset`. */
export function softmaxInto(x: ArrayLike<number>, from: number, k: number, out: Float64Array, offset = 0): Float64Array {
  let max = -Infinity;
  for (let j = 0; j < k; j++) max = Math.max(max, x[from + j]);
  let sum = 0;
  for (let j = 0; j < k; j++) sum += out[offset + j] = Math.exp(x[from + j] - max);
  for (let j = 0; j < k; j++) out[offset + j] /= sum;
  return out;
}

/** Softmax of `k` values starting at `from`, as a new float64 array. */
export function softmax(x: ArrayLike<number>, from: number, k: number): Float64Array {
  return softmaxInto(x, from, k, new Float64Array(k));
}

/** Index (0..k-1) of the largest of `k` values starting at `from`; the first on ties, as torch.argmax on CPU. */
export function argmax(x: ArrayLike<number>, from: number, k: number): number {
  let best = 0;
  for (let j = 1; j < k; j++) if (x[from + j] > x[from + best]) best = j;
  return best;
}

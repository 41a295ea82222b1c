/**
 * Batch sizes from a memory budget: the activations one sample needs (every non-constant tensor of the
 * model that runs, summed: a safe upper bound on onnxruntime's peak) decide how many samples fit.
 */

/** Default activation memory budget: 2 GB. */
export const DEFAULT_MEMORY_BUDGET = 2 * 1024 ** 3;

/** Float32 bytes of one sample of each tensor (dims with the batch dim first), summed. */
export function bytesPerSample(shapes: Iterable<readonly number[]>): number {
  let total = 0;
  for (const dims of shapes) total += dims.slice(1).reduce((a, b) => a * b, 1) * 4;
  return total;
}

/**
 * How many samples fit in `budget` bytes at `perSample` bytes each, at least 1 and at most `max`.
 * (One sample over the budget still runs, alone.)
 */
export function batchSizeFor(perSample: number, budget = DEFAULT_MEMORY_BUDGET, max = 256): number {
  if (!(perSample > 0)) return max;
  return Math.max(1, Math.min(max, Math.floor(budget / perSample)));
}

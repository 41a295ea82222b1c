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

/** On CPU a batch this big already keeps every core busy; more samples only move through memory. */
export const CPU_BATCH = 16;
/** ... and halved while the batch's activations would exceed this (a 224-px ResNet-50: 4). */
export const CPU_BATCH_BYTES = 512 * 1024 ** 2;

/**
 * The batch size on CPU: CPU_BATCH samples, halved until they fit CPU_BATCH_BYTES (at least 1), never more than
 * the budget allows. Measured by `npm run bench:activations` on two cores: the 64-px demo model 3,600 -> 4,100
 * images/s (batch 256 -> 16), a 224-px ResNet-50 about 28 -> 32 images/s (20 -> 4; 8 gives 30.6): bigger
 * batches run no faster on CPU, and their activations fall out of the caches.
 */
export function cpuBatchSizeFor(perSample: number, budget = DEFAULT_MEMORY_BUDGET): number {
  let n = CPU_BATCH;
  while (n > 1 && n * perSample > CPU_BATCH_BYTES) n = Math.floor(n / 2);
  return Math.min(n, batchSizeFor(perSample, budget));
}

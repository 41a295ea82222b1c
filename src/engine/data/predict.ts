/**
 * Batched predictions of a classifier over image files: decode + preprocess (loader.ts) streaming into the
 * model, softmax in float64 on the float32 logits. A model whose output is already a Softmax (or LogSoftmax)
 * is detected from its graph and not normalised twice.
 */
import type { LoadedModel } from '../onnx/model';
import { softmaxInto } from '../util/probs';
import type { OrtSession } from '../runtime/ort';
import { ModelError } from '../errors';
import { loadBatches, type DecodeStats } from './loader';
import type { Preprocessing } from './preprocess';

export interface PredictOptions {
  batchSize?: number;
  concurrency?: number;
  signal?: AbortSignal;
  /** Called after each batch with the number of images handled (predicted or skipped) and the total. */
  onProgress?: (done: number, total: number) => void;
  stats?: DecodeStats;
}

export interface Predictions {
  /** Number of classes (the model's output width). */
  classes: number;
  /** Row-major [files, classes] probabilities; rows of skipped files are NaN. */
  probs: Float64Array;
  /** Per file: true when it was predicted. */
  ok: boolean[];
  /** Files left out, with the reason. */
  skipped: { index: number; reason: string }[];
  /** What the model's output is: logits (softmax applied here), probabilities or log-probabilities. */
  outputKind: 'logits' | 'probabilities' | 'log-probabilities';
}

/** How to turn the model's output into probabilities, from the operator that produces it. */
export function outputKind(model: LoadedModel): Predictions['outputKind'] {
  let node = model.graph.producer(model.output.name);
  // Look through trailing no-op reshapes (Flatten/Reshape/Identity/Squeeze after a Softmax).
  for (let hops = 0; node && hops < 4 && ['Identity', 'Reshape', 'Flatten', 'Squeeze'].includes(node.opType); hops++) {
    node = model.graph.producer(node.input[0]);
  }
  if (node?.opType === 'Softmax') return 'probabilities';
  if (node?.opType === 'LogSoftmax') return 'log-probabilities';
  return 'logits';
}

/** Predicts every file; the session must run `model` (its input and first output). */
export async function predictFiles(
  session: OrtSession,
  model: LoadedModel,
  files: readonly string[],
  p: Preprocessing,
  options: PredictOptions = {},
): Promise<Predictions> {
  const kind = outputKind(model);
  const total = files.length;
  const ok = new Array<boolean>(total).fill(false);
  const skipped: { index: number; reason: string }[] = [];
  let probs = new Float64Array(0);
  let k = 0;
  let handled = 0;
  const batches = loadBatches(files, p, {
    batchSize: options.batchSize,
    concurrency: options.concurrency,
    signal: options.signal,
    stats: options.stats,
    onSkip: (index, reason) => {
      skipped.push({ index, reason });
      handled++;
    },
  });
  for await (const batch of batches) {
    const out = await session.run({ [model.input.name]: { data: batch.data, dims: batch.dims } }, [model.output.name]);
    const y = out[model.output.name];
    const n = batch.indices.length;
    const width = y.dims.length === 2 ? y.dims[1] : y.data.length / n;
    if (y.dims[0] !== n || !Number.isInteger(width) || width < 1) {
      throw new ModelError(
        `${model.path}: output ${model.output.name} has shape [${y.dims.join(', ')}] for a batch of ${n}; class scores [N, classes] expected`,
      );
    }
    if (k === 0) {
      k = width;
      probs = new Float64Array(total * k).fill(Number.NaN);
    }
    const data = y.data as Float32Array;
    batch.indices.forEach((index, r) => {
      for (let j = 0; j < k; j++) {
        if (!Number.isFinite(data[r * k + j])) throw nonFinite(model, files[index], data[r * k + j], j);
      }
      if (kind === 'logits') softmaxInto(data, r * k, k, probs, index * k);
      else for (let j = 0; j < k; j++) probs[index * k + j] = kind === 'probabilities' ? data[r * k + j] : Math.exp(data[r * k + j]);
      ok[index] = true;
    });
    handled += n;
    options.onProgress?.(handled, total);
    options.signal?.throwIfAborted();
  }
  if (skipped.length > 0 && handled > 0) options.onProgress?.(handled, total);
  return { classes: k, probs, ok, skipped: skipped.sort((a, b) => a.index - b.index), outputKind: kind };
}

/**
 * A model whose output is NaN or infinite (broken weights, an overflow, a preprocessing far off the training
 * range) gives no prediction: argmax over NaN would call every image class 0 and report a made-up accuracy.
 */
function nonFinite(model: LoadedModel, file: string, value: number, j: number): ModelError {
  return new ModelError(
    `${model.path}: the model's output ${model.output.name} is ${value} (class ${j}) for ${file}; a model that computes NaN or infinite scores gives no predictions (check its weights, e.g. with onnxruntime in Python, and the preprocessing)`,
  );
}

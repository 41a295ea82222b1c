/**
 * `analyseBatch`: Explain Batch on a model the paused debuggee exported itself (docs/design.md 7), where no dataset
 * folder and no saved analysis exist yet. The batch is the data: the ONNX model predicts it, and each class the
 * batch gets wrong (the wrong predictions, most frequent first) is analysed on the batch's samples predicted as it
 * (NeurFlow's default selection), with the engine's analysis (progress per layer and core neuron, cancellable).
 * Results go to the result store keyed by the model, the batch's bytes and the parameters, so the same batch is
 * never analysed twice; the host skips classes it already has an analysis of for this model.
 */
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { ORT_VERSION } from '../../engine/runtime/ort';
import { PARAMS } from '../../engine/params';
import { readNpyFile } from '../../engine/io/npy-file';
import { DEFAULT_PARAMS, chooseLayers } from '../../engine/analysis/job';
import { buildDocument } from '../../engine/analysis/document';
import { argmaxRows } from '../../engine/analysis/mask';
import { analysisBackend } from '../../engine/analysis/ig-adapter';
import { runAnalysis } from '../../engine/analysis/pipeline';
import { minMaxRgb } from '../../engine/analysis/thumbnails';
import { toClassIndices, toModelBatch } from '../../engine/data/batch-layout';
import { computeActivations } from '../../engine/onnx/activations';
import { detectLayers } from '../../engine/onnx/layers';
import { loadModel } from '../../engine/onnx/model';
import { inferShapes } from '../../engine/onnx/shapes';
import { ResultStore, resultKey } from '../../engine/result/store';
import type { AnalysisParams } from '../../engine/result/schema';
import type { AnalyseBatchOutcome, AnalyseBatchParams } from '../../protocol/batch';
import { CancelledError, throwIfCancelled, type JobContext } from '../job';

/**
 * Blocks analysed below the top layer by default: Explain Batch reads the groups of the highest block, and the two
 * highest blocks give its circuit; the lower blocks (most of the cost: many core neurons on large maps) are left to
 * Analyse Model. On the demo-sized ResNet one class takes 9 s of CPU instead of 33 s with five blocks.
 */
export const BATCH_BLOCKS = 2;

/** The wrong predictions' classes, most frequent first (ties: lower index), without `skip`. */
export function wrongClasses(predicted: ArrayLike<number>, labels: ArrayLike<number>, skip: readonly number[]): number[] {
  const counts = new Map<number, number>();
  for (let i = 0; i < predicted.length; i++) if (predicted[i] !== labels[i]) counts.set(predicted[i], (counts.get(predicted[i]) ?? 0) + 1);
  return [...counts.entries()]
    .filter(([c]) => !skip.includes(c))
    .sort((a, b) => b[1] - a[1] || a[0] - b[0])
    .map(([c]) => c);
}

export async function analyseBatch(params: AnalyseBatchParams, ctx: JobContext): Promise<AnalyseBatchOutcome> {
  ctx.progress('Reading the exported model');
  const model = await loadModel(params.model);
  const shapes = await inferShapes(model);
  const detected = detectLayers(model, shapes);
  const spec = { channels: model.input.channels, height: model.input.height, width: model.input.width };
  const array = readNpyFile(params.images.path);
  const batch = toModelBatch(array, spec, params.images.expression);
  const [n, c, h, w] = batch.dims;
  ctx.progress(`Predicting ${n} samples`);
  const acts = await computeActivations(
    model,
    { data: batch.data, dims: batch.dims },
    { logits: true },
    { provider: params.provider, threads: params.threads, signal: ctx.signal },
  );
  const logits = acts.logits!;
  const k = logits.dims[1] ?? 1;
  const predicted = Int32Array.from(argmaxRows(logits));
  const labels = toClassIndices(readNpyFile(params.labels.path), n, k, params.labels.expression, 'labels');
  const names = Array.from({ length: k }, (_, i) => params.classNames?.[i] ?? `class ${i}`);
  const all = wrongClasses(predicted, labels, params.skip);
  const maxClasses = params.maxClasses ?? 4;
  const classes = all.slice(0, maxClasses);
  const layers = await chooseLayers(model, detected, undefined, params.blocks ?? BATCH_BLOCKS);
  const images = Array.from({ length: n }, (_, i) => batch.data.subarray(i * c * h * w, (i + 1) * c * h * w));
  // The batch is the dataset: its fingerprint is the bytes the model sees and the labels.
  const fingerprint = createHash('sha256')
    .update(new Uint8Array(batch.data.buffer, batch.data.byteOffset, batch.data.byteLength))
    .update(new Uint8Array(labels.buffer, labels.byteOffset, labels.byteLength))
    .digest('hex');
  const store = new ResultStore(params.store);
  const out: AnalyseBatchOutcome = { analyses: [], leftOut: all.slice(maxClasses) };
  for (const [ci, cls] of classes.entries()) {
    throwIfCancelled(ctx.signal, 'the analysis of the batch');
    const t0 = performance.now();
    const analysisParams: AnalysisParams = {
      ...DEFAULT_PARAMS,
      ...(params.params as Partial<AnalysisParams> | undefined),
      layers: layers.map((l) => l.name),
      classIndex: cls,
      selection: 'predicted',
    };
    const key = resultKey(model.sha256, fingerprint, analysisParams);
    const chosen = [...Array(n).keys()].filter((i) => predicted[i] === cls);
    const prefix = `Class ${names[cls]} (${ci + 1}/${classes.length}, ${chosen.length} sample${chosen.length === 1 ? '' : 's'})`;
    const cached = store.load(key);
    if (cached) {
      out.analyses.push({ file: store.pathFor(key), classIndex: cls, className: names[cls], images: chosen.length, reused: true, ms: 0 });
      continue;
    }
    ctx.progress(prefix, ci, classes.length);
    const backend = analysisBackend(model, analysisParams, params);
    const classImages = chosen.map((i) => images[i]);
    const run = await runAnalysis({
      backend,
      layers: layers.map((l) => ({ name: l.name, tensor: l.tensor, shape: l.shape })),
      images: classImages,
      channels: c,
      geometry: { height: h, width: w },
      params: analysisParams,
      signal: ctx.signal,
      onProgress: (e) => ctx.progress(`${prefix}: ${e.message}`, e.done, e.total),
    });
    if (!run.complete) throw new CancelledError('the analysis of the batch');
    const doc = await buildDocument(run, {
      key,
      model: {
        path: path.resolve(params.model),
        sha256: model.sha256,
        inputName: model.input.name,
        inputShape: model.input.shape,
        labels: names,
        // The debuggee's tensors are already preprocessed: nothing to resize or normalise, thumbnails are min-max scaled.
        preprocessing: { source: 'debuggee', expression: params.images.expression, size: [h, w], channels: c },
      },
      runtime: {
        provider: backend.provider,
        threads: params.threads ?? PARAMS.threads.default,
        versions: { onnxruntime: ORT_VERSION, node: process.versions.node },
      },
      dataset: { root: path.dirname(params.images.path), layout: 'debug-batch', fingerprint, imageCount: n },
      class: { index: cls, name: names[cls], selection: 'predicted', images: chosen.map((i) => `${params.images.expression}[${i}]`) },
      params: analysisParams,
      images: classImages,
      channels: c,
      height: h,
      width: w,
      toRgb: minMaxRgb,
      onProgress: (e) => ctx.progress(`${prefix}: ${e.message}`, e.done, e.total),
    });
    const file = store.save(doc);
    out.analyses.push({ file, classIndex: cls, className: names[cls], images: chosen.length, reused: false, ms: Math.round(performance.now() - t0) });
  }
  return out;
}

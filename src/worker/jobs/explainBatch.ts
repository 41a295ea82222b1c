/**
 * Explain Batch (docs/design.md 7), worker side: reads the `.npy` files a paused debuggee wrote, checks them against
 * the model input (layout.ts), predicts with the ONNX model, and explains each misclassified sample with the
 * saved analysis of its predicted class (what made the model say so) or else of its true class (which of its
 * groups are missing): top groups, evidence boxes, representative crops and the mask-group what-if.
 * The batch never crosses the IPC channel: only the file paths come in, only the explanation goes out.
 */
import { readNpy, type NpyArray } from '../../engine/io/npy';
import { readNpyFile } from '../../engine/io/npy-file';
import { ModelError, UsageError } from '../../engine/errors';
import { OrtAnalysisBackend } from '../../engine/analysis/ort-backend';
import { softmax } from '../../engine/util/probs';
import { cropThumbnail, denormaliser, minMaxRgb, type ToRgb } from '../../engine/analysis/thumbnails';
import { computeActivations } from '../../engine/onnx/activations';
import { restoreViews } from '../../engine/onnx/channels-first';
import { loadModel } from '../../engine/onnx/model';
import { inferShapes } from '../../engine/onnx/shapes';
import { outputKind } from '../../engine/data/predict';
import { readResult } from '../../engine/result/store';
import type { ResultDocument } from '../../engine/result/schema';
import { toClassIndices, toModelBatch } from '../../engine/data/batch-layout';
import type { BatchExplanation, BatchSample, ExplainBatchParams, SampleGroup } from '../../protocol/batch';
import { throwIfCancelled, type JobContext } from '../job';
import { chooseLayer, classProbs, defaultLayer, explainSamples, groupedLayers, type BatchInput } from './batchGroups';

interface Preproc {
  mean?: unknown;
  std?: unknown;
  scale?: unknown;
  size?: unknown;
}

function toRgbOf(docs: ResultDocument[]): ToRgb {
  const p = docs[0]?.model.preprocessing as Preproc | undefined;
  const nums = (v: unknown) => (Array.isArray(v) && v.every((x) => typeof x === 'number') ? (v as number[]) : undefined);
  const mean = nums(p?.mean),
    std = nums(p?.std);
  return mean && std ? denormaliser(mean, std, typeof p?.scale === 'number' ? p.scale : 1 / 255) : minMaxRgb;
}

export async function explainBatch(params: ExplainBatchParams, ctx: JobContext): Promise<BatchExplanation> {
  const timings: Record<string, number> = {};
  let t = performance.now();
  const lap = (name: string) => {
    const now = performance.now();
    timings[name] = Math.round(now - t);
    t = now;
  };
  ctx.progress('Reading the model and the analyses');
  const model = await loadModel(params.model);
  const docs = params.results.map((f) => readResult(f));
  docs.forEach((d, i) => {
    if (d.model.sha256 !== model.sha256)
      throw new UsageError(
        `${params.results[i]}: this analysis is of another model (sha256 ${d.model.sha256.slice(0, 12)}, ${params.model} is ${model.sha256.slice(0, 12)})`,
      );
  });
  restoreViews(
    model,
    docs.flatMap((d) => d.layers.map((l) => l.tensor)),
    await inferShapes(model),
  );
  const size = (docs[0]?.model.preprocessing as Preproc | undefined)?.size;
  const [fallbackH, fallbackW] = Array.isArray(size) ? (size as number[]) : [0, 0];
  const spec = { channels: model.input.channels, height: model.input.height || fallbackH, width: model.input.width || fallbackW };
  lap('load');

  ctx.progress('Reading the batch');
  const batch = toModelBatch(readNpyFile(params.images.path), spec, params.images.expression);
  const [n, c, h, w] = batch.dims;
  lap('read');
  throwIfCancelled(ctx.signal, 'Explain Batch');

  ctx.progress(`Predicting ${n} samples`);
  const acts = await computeActivations(
    model,
    { data: batch.data, dims: batch.dims },
    { logits: true },
    { provider: params.provider, threads: params.threads, signal: ctx.signal },
  );
  const logits = acts.logits!;
  if (logits.dims[0] !== n || logits.dims.length !== 2)
    throw new ModelError(
      `${params.model}: output ${model.output.name} has shape [${logits.dims.join(', ')}] for ${n} samples; class scores [N, classes] expected`,
    );
  const k = logits.dims[1];
  const kind = outputKind(model);
  const toProbs = (data: Float32Array, row: number, width: number): Float64Array =>
    kind === 'logits'
      ? softmax(data, row * width, width)
      : Float64Array.from(data.subarray(row * width, (row + 1) * width), (v) => (kind === 'probabilities' ? v : Math.exp(v)));
  const probs = Array.from({ length: n }, (_, i) => toProbs(logits.data, i, k));
  const predicted = Int32Array.from(probs, (p) => p.indexOf(Math.max(...p)));
  const labels = toClassIndices(readNpy(params.labels.path), n, k, params.labels.expression, 'labels');
  const theirs = params.predictions ? toClassIndices(readNpy(params.predictions.path), n, k, params.predictions.expression, 'predictions') : undefined;
  const names = Array.from({ length: k }, (_, i) => docs[0]?.model.labels[i] ?? params.classNames?.[i] ?? `class ${i}`);
  const check = params.live ? exportCheck(readNpyFile(params.live.path), logits.data, n, k) : undefined;
  lap('predict');

  const wrong = [...Array(n).keys()].filter((i) => predicted[i] !== labels[i]);
  const maxSamples = params.maxSamples ?? 32;
  const explained = wrong.slice(0, maxSamples);
  const images = Array.from({ length: n }, (_, i) => batch.data.subarray(i * c * h * w, (i + 1) * c * h * w));
  const toRgb = toRgbOf(docs);
  const samples: BatchSample[] = await Promise.all(
    explained.map(async (i) => ({
      index: i,
      label: labels[i],
      labelName: names[labels[i]],
      predicted: predicted[i],
      predictedName: names[predicted[i]],
      confidence: probs[i][predicted[i]],
      labelProb: probs[i][labels[i]],
      top: classProbs(probs[i], names, 3),
      debuggeePrediction: theirs?.[i],
      thumbnail: await cropThumbnail({ image: 0, granularity: 1, box: [0, 0, w, h] }, [images[i]], c, h, w, toRgb, 128),
    })),
  );
  lap('thumbnails');

  // Each sample goes to the analysis of its predicted class, else of its true class.
  const docOf = new Map(docs.map((d, i) => [d.class.index, { doc: d, file: params.results[i] }]));
  const backend = new OrtAnalysisBackend(model, {
    provider: params.provider,
    threads: params.threads,
    ig: () => {
      throw new UsageError('Explain Batch runs no Integrated Gradients');
    },
  });
  const input: BatchInput = { images, channels: c, height: h, width: w, probs, labels, predicted, names, toProbs };
  const jobs = new Map<string, { file: string; doc: ResultDocument; role: 'predicted' | 'label'; slots: BatchSample[] }>();
  for (const s of samples) {
    const byPred = docOf.get(s.predicted),
      byLabel = docOf.get(s.label);
    const chosen = byPred ?? byLabel;
    if (!chosen) {
      s.note = `no saved analysis of class ${s.predictedName} or ${s.labelName} for this model: analyse one of them to see its groups`;
      continue;
    }
    const role = byPred ? 'predicted' : 'label';
    const key = `${chosen.file}:${role}`;
    const job = jobs.get(key) ?? { file: chosen.file, doc: chosen.doc, role, slots: [] };
    job.slots.push(s);
    jobs.set(key, job);
  }
  // Without a given layer, every grouped layer of each analysis (the batch view's layer picker), and the layer shown
  // first is the one where masking a sample's top group changes the explained class most (chooseLayer).
  const steps = [...jobs.values()].reduce((n, j) => n + (params.layer ? 1 : groupedLayers(j.doc).length) * j.slots.length, 0);
  let done = 0;
  for (const job of jobs.values()) {
    const layers = params.layer ? [params.layer] : groupedLayers(job.doc);
    const perLayer: { layer: string; groups: SampleGroup[][] }[] = [];
    for (const layer of layers) {
      ctx.progress(`Groups of ${job.doc.class.name} at ${layer}`, done, steps);
      const groups = await explainSamples(
        backend,
        job.doc,
        layer,
        job.slots.map((s) => s.index),
        input,
        params.topGroups ?? 3,
        ctx.signal,
      );
      perLayer.push({ layer, groups });
      done += job.slots.length;
    }
    const first = params.layer ?? defaultLayer(job.doc);
    job.slots.forEach((s, j) => {
      const all = perLayer.map((p) => ({ layer: p.layer, groups: p.groups[j] }));
      const shown = all.find((p) => p.layer === first) ?? all[0];
      s.explanation = {
        result: job.file,
        classIndex: job.doc.class.index,
        className: job.doc.class.name,
        role: job.role,
        layer: shown.layer,
        groups: shown.groups,
        ...(params.layer ? {} : { layers: all }),
      };
    });
  }
  const layerChoice = params.layer ? undefined : chooseLayer(samples);
  if (layerChoice) {
    for (const s of samples) {
      const at = s.explanation?.layers?.find((p) => p.layer === layerChoice.layer);
      if (s.explanation && at) Object.assign(s.explanation, { layer: at.layer, groups: at.groups });
    }
  }
  lap('groups');
  return {
    model: params.model,
    classes: names,
    batchSize: n,
    layout: batch.layout,
    correct: n - wrong.length,
    misclassified: samples,
    unexplained: wrong.slice(maxSamples),
    disagreements: theirs ? [...Array(n).keys()].filter((i) => theirs[i] !== predicted[i]) : [],
    results: docs.map((d, i) => ({
      path: params.results[i],
      classIndex: d.class.index,
      className: d.class.name,
      tau: d.params.tau,
      igSteps: d.params.igSteps,
      createdAt: d.createdAt,
      layers: groupedLayers(d),
    })),
    layerChoice,
    provider: acts.provider,
    timings,
    check,
  };
}

/**
 * The exported ONNX model against the live PyTorch model on the batch: the largest logit difference and the samples
 * whose top class differs. Tolerance: 1e-3 of the logits' scale (at least 1e-3), float32 export noise is far below.
 */
export function exportCheck(live: NpyArray, onnx: Float32Array, n: number, k: number): NonNullable<BatchExplanation['check']> {
  if (!(live.data instanceof Float32Array) || live.shape.length !== 2 || live.shape[0] !== n || live.shape[1] !== k) {
    throw new ModelError(
      `the live model's output has shape [${live.shape.join(', ')}] (${live.dtype}) on the batch, the exported ONNX model's [${n}, ${k}]: the export does not compute what the model does`,
    );
  }
  const ref = live.data;
  let maxLogitDiff = 0,
    maxLogit = 0;
  const argmaxDisagreements: number[] = [];
  for (let i = 0; i < n; i++) {
    let a = 0,
      b = 0;
    for (let j = 0; j < k; j++) {
      const d = Math.abs(onnx[i * k + j] - ref[i * k + j]);
      // NaN never compares greater: a NaN anywhere makes the difference infinite.
      maxLogitDiff = Number.isNaN(d) ? Number.POSITIVE_INFINITY : Math.max(maxLogitDiff, d);
      maxLogit = Math.max(maxLogit, Math.abs(ref[i * k + j]));
      if (onnx[i * k + j] > onnx[i * k + a]) a = j;
      if (ref[i * k + j] > ref[i * k + b]) b = j;
    }
    if (a !== b) argmaxDisagreements.push(i);
  }
  return { maxLogitDiff, maxLogit, tolerance: Math.max(1e-3, 1e-3 * maxLogit), argmaxDisagreements };
}

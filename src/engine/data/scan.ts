/**
 * The misclassification scan (docs/design.md 6): predictions over a whole dataset, then accuracy, per-class precision
 * and recall, the confusion matrix, false positives / negatives per class ranked by confidence, and suspected
 * label errors by confident learning.
 *
 * `ScanResult` is plain JSON (it goes into the result document and to the webview). Conventions:
 * - `images[i]` is the i-th image of the dataset that could be predicted, in dataset order; every other list
 *   refers to images by this index (`image`). Skipped files are in `skipped` with the reason.
 * - Class indices run over `classes` (display names): the model's outputs, extended by dataset classes the
 *   model does not have (their probabilities are 0).
 * - `confusion[label][pred]`: rows are the given labels, columns the predictions.
 * - Probabilities are softmax outputs (float64 on the float32 logits) rounded to `probDecimals` decimals.
 */
import { DataError } from '../errors';
import type { LoadedModel } from '../onnx/model';
import type { OrtSession } from '../runtime/ort';
import { findLabelIssues, type LabelIssues, type SuspectRanking } from './confident';
import { datasetFingerprint, type Dataset, type SkippedFile } from './dataset';
import { emptyDecodeStats, type DecodeStats } from './loader';
import { classMistakes, classStats, confusionMatrix, misclassified, type ClassMistakes, type ClassStats, type RankedImage } from './metrics';
import { argmax } from '../util/probs';
import { predictFiles, type Predictions } from './predict';
import type { Preprocessing } from './preprocess';
import type { ResolvedPreprocessing } from './sidecar';

export interface ScanImage {
  /** Relative to the dataset root, `/` separators. */
  path: string;
  label: number;
  pred: number;
  probs: number[];
}

export interface ScanResult {
  format: 'neurflow.scan';
  version: 1;
  model: {
    path: string;
    sha256: string;
    input: string;
    inputShape: (number | string)[];
    output: string;
    outputKind: Predictions['outputKind'];
    provider: string;
  };
  /** `fingerprint`: sha256 of the sorted (path, size, mtime, label) entries (result caching). */
  dataset: { layout: Dataset['layout']; root: string; source: string; files: number; namesFrom: Dataset['namesFrom']; fingerprint: string };
  preprocessing: Preprocessing & { source: ResolvedPreprocessing['source']; file?: string };
  /** Display names, index = class index. */
  classes: string[];
  images: ScanImage[];
  /** Share of `images` whose prediction equals the label. */
  accuracy: number;
  correct: number;
  perClass: ClassStats[];
  confusion: number[][];
  /** Per class (same index as `classes`). */
  mistakes: ClassMistakes[];
  /** Every misclassified image, most confident first. */
  misclassified: RankedImage[];
  labelIssues: LabelIssues;
  skipped: SkippedFile[];
  warnings: string[];
  decode: DecodeStats;
  timings: { totalMs: number; imagesPerSecond: number };
  probDecimals: number;
}

export interface ScanOptions {
  batchSize?: number;
  concurrency?: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
  /** Decimals kept for probabilities in `images` (default 6; metrics use full precision). */
  probDecimals?: number;
  ranking?: SuspectRanking;
}

/** Scans a dataset with a model whose session is given (created from `model`). */
export async function scanDataset(
  model: LoadedModel,
  session: OrtSession,
  dataset: Dataset,
  resolved: ResolvedPreprocessing,
  options: ScanOptions = {},
): Promise<ScanResult> {
  const started = performance.now();
  const decode = emptyDecodeStats();
  const files = dataset.items.map((it) => it.file);
  const pred = await predictFiles(session, model, files, resolved.preprocessing, {
    batchSize: options.batchSize,
    concurrency: options.concurrency,
    signal: options.signal,
    onProgress: options.onProgress,
    stats: decode,
  });
  const skipped: SkippedFile[] = [...dataset.skipped, ...pred.skipped.map((s) => ({ path: dataset.items[s.index].path, reason: s.reason }))];
  const kept = dataset.items.map((_, i) => i).filter((i) => pred.ok[i]);
  if (kept.length === 0) {
    throw new DataError(`${dataset.source}: none of the ${files.length} images could be loaded (first: ${skipped[0]?.reason ?? 'no images'})`);
  }
  const warnings = [...dataset.warnings];
  const kModel = pred.classes;
  const kData = dataset.classes.length;
  const k = Math.max(kModel, kData);
  if (kData > kModel)
    warnings.push(`the dataset has ${kData} classes but the model has ${kModel} outputs; images of classes ${kModel}..${kData - 1} cannot be predicted right`);
  if (kData < kModel && dataset.layout === 'imagefolder')
    warnings.push(`the dataset has ${kData} class folders but the model has ${kModel} outputs; folder i is taken as class i`);
  const classes = Array.from({ length: k }, (_, j) => dataset.names[j] ?? resolved.labels?.[j] ?? `class ${j}`);

  const n = kept.length;
  const probs = new Float64Array(n * k);
  const labels: number[] = [];
  const preds: number[] = [];
  const decimals = options.probDecimals ?? 6;
  const f = 10 ** decimals;
  const images: ScanImage[] = kept.map((i, r) => {
    for (let j = 0; j < kModel; j++) probs[r * k + j] = pred.probs[i * kModel + j];
    const label = dataset.items[i].label;
    const p = argmax(probs, r * k, k);
    labels.push(label);
    preds.push(p);
    return { path: dataset.items[i].path, label, pred: p, probs: Array.from(probs.subarray(r * k, r * k + k), (v) => Math.round(v * f) / f) };
  });
  const confusion = confusionMatrix(labels, preds, k);
  const correct = labels.filter((l, i) => l === preds[i]).length;
  const totalMs = performance.now() - started;
  return {
    format: 'neurflow.scan',
    version: 1,
    model: {
      path: model.path,
      sha256: model.sha256,
      input: model.input.name,
      inputShape: model.input.shape,
      output: model.output.name,
      outputKind: pred.outputKind,
      provider: session.provider,
    },
    dataset: {
      layout: dataset.layout,
      root: dataset.root,
      source: dataset.source,
      files: files.length,
      namesFrom: dataset.namesFrom,
      fingerprint: datasetFingerprint(dataset),
    },
    preprocessing: { ...resolved.preprocessing, source: resolved.source, ...(resolved.file ? { file: resolved.file } : {}) },
    classes,
    images,
    accuracy: correct / n,
    correct,
    perClass: classStats(confusion),
    confusion,
    mistakes: classMistakes(labels, preds, probs, k),
    misclassified: misclassified(labels, preds, probs, k),
    labelIssues: findLabelIssues(probs, labels, k, options.ranking),
    skipped,
    warnings,
    decode,
    timings: { totalMs: Math.round(totalMs), imagesPerSecond: Math.round((files.length / (totalMs / 1000)) * 10) / 10 },
    probDecimals: decimals,
  };
}

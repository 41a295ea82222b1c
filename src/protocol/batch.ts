/**
 * NeurFlow: Explain Batch (DESIGN 7): what the host asks the worker to do with a batch that a paused debug
 * session wrote to `.npy` files, and the `batch` message the host posts to the panel's Mistakes view.
 * Plain JSON data shared by the worker, the extension host and the webview, with a runtime check
 * (`isBatchMessage`) for the webview boundary.
 */

/** One array the debuggee wrote: where, and what it was before conversion. */
export interface TransferredArray {
  /** The expression that produced it, as evaluated in the frame. */
  expression: string;
  /** The `.npy` file (float32 images, int64 or float32 labels/predictions). */
  path: string;
  shape: number[];
  dtype: string;
  /** What the value was in the debuggee, e.g. `torch.Tensor float16 cuda:0` or `numpy.ndarray uint8`. */
  source: string;
}

/** Params of the worker's `explainBatch` job. */
export interface ExplainBatchParams {
  model: string;
  /** Saved analyses of the model (`*.neurflow-result.json`); each explains one class. */
  results: string[];
  images: TransferredArray;
  labels: TransferredArray;
  predictions?: TransferredArray;
  /** Layer whose groups explain the samples (default: the highest grouped layer below the logits). */
  layer?: string;
  provider: 'auto' | 'cpu' | 'cuda' | 'dml' | 'coreml' | 'webgpu';
  threads?: number;
  /** Misclassified samples explained in full (groups, evidence, masking); default 32. */
  maxSamples?: number;
  /** Groups per sample; default 3. */
  topGroups?: number;
}

export interface ClassProb {
  class: number;
  name: string;
  prob: number;
}

/** What zeroing a group's channels at its layer does to one sample (DESIGN 3.3 step 8). */
export interface MaskWhatIf {
  /** Probability of the predicted class before and after. */
  predictedBefore: number;
  predictedAfter: number;
  /** Probability of the true class before and after. */
  labelBefore: number;
  labelAfter: number;
  /** Top predictions after masking. */
  top: ClassProb[];
}

/** A group of the saved analysis, as it shows on one sample. */
export interface SampleGroup {
  /** Index of the group in its layer's grouping. */
  group: number;
  label?: string;
  /** exp(max log-barrier over the sample's crops); >= threshold means the group's concept is present. */
  score: number;
  /** Crops of the sample where the group fires (log-barrier >= log(threshold)), smallest first, at most 8. */
  evidence: [number, number, number, number][];
  /** The sample's crop with the highest score, [x0, y0, x1, y1] in input pixels. */
  bestBox: [number, number, number, number];
  /** Channels of the group at its layer. */
  channels: number[];
  /** Thumbnails (data URIs) of the group's representative crops from the analysed dataset. */
  representatives: string[];
  mask: MaskWhatIf;
}

/** Which saved analysis explains a sample, and why that one. */
export interface SampleExplanation {
  /** The analysis file and its class. */
  result: string;
  classIndex: number;
  className: string;
  /** `predicted`: the analysis of the wrong class the model chose (what made it say so); `label`: of the true
   * class (which of its groups are missing). */
  role: 'predicted' | 'label';
  layer: string;
  groups: SampleGroup[];
}

export interface BatchSample {
  /** Position in the batch. */
  index: number;
  label: number;
  labelName: string;
  predicted: number;
  predictedName: string;
  /** Probability of the predicted class and of the true class. */
  confidence: number;
  labelProb: number;
  top: ClassProb[];
  /** The debuggee's own prediction, when a predictions expression was given. */
  debuggeePrediction?: number;
  /** The sample as the model sees it, denormalised (data URI, WebP). */
  thumbnail: string;
  /** Absent when no saved analysis covers the predicted or the true class. */
  explanation?: SampleExplanation;
  /** Why there is no explanation, when there is none. */
  note?: string;
}

/** Where the debug session is paused: the link back to the source line. */
export interface SourceLocation {
  path: string;
  /** 1-based, as DAP reports it. */
  line: number;
  frame: string;
  session: string;
}

/** What the worker returns and (with `source`) what the panel's Mistakes view shows. */
export interface BatchExplanation {
  model: string;
  classes: string[];
  batchSize: number;
  /** Input layout found in the debuggee and how it was converted (e.g. `NHWC -> NCHW`). */
  layout: string;
  correct: number;
  /** Samples the model gets wrong, in batch order (explained ones first `maxSamples`). */
  misclassified: BatchSample[];
  /** Misclassified samples beyond `maxSamples`, by index, not explained. */
  unexplained: number[];
  /** Samples where the debuggee's predictions and the ONNX model's disagree (export or preprocessing drift). */
  disagreements: number[];
  /** Analyses used, with their class. */
  results: { path: string; classIndex: number; className: string }[];
  provider: string;
  timings: Record<string, number>;
}

/** The host -> webview message for the Mistakes view. */
export interface BatchMessage extends BatchExplanation {
  type: 'batch';
  source: SourceLocation;
  expressions: { images: string; labels: string; predictions?: string };
  /** Debuggee write + file read, milliseconds, and the bytes moved. */
  transfer: { ms: number; bytes: number };
}

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const isStr = (x: unknown): x is string => typeof x === 'string';
const isBox = (x: unknown) => Array.isArray(x) && x.length === 4 && x.every(isNum);

function isGroup(x: unknown): boolean {
  return isObj(x) && isNum(x.group) && isNum(x.score) && Array.isArray(x.evidence) && x.evidence.every(isBox) &&
    isBox(x.bestBox) && Array.isArray(x.channels) && Array.isArray(x.representatives) && x.representatives.every(isStr) &&
    isObj(x.mask) && isNum(x.mask.predictedBefore) && isNum(x.mask.predictedAfter);
}

function isSample(x: unknown): boolean {
  if (!isObj(x) || !isNum(x.index) || !isNum(x.label) || !isNum(x.predicted) || !isStr(x.labelName) ||
    !isStr(x.predictedName) || !isStr(x.thumbnail) || !Array.isArray(x.top)) return false;
  const e = x.explanation;
  return e === undefined || (isObj(e) && isStr(e.result) && isStr(e.layer) && (e.role === 'predicted' || e.role === 'label') &&
    Array.isArray(e.groups) && e.groups.every(isGroup));
}

/** Runtime check of a batch message that crossed the webview boundary. */
export function isBatchMessage(x: unknown): x is BatchMessage {
  return isObj(x) && x.type === 'batch' && isStr(x.model) && isNum(x.batchSize) && Array.isArray(x.classes) &&
    Array.isArray(x.misclassified) && x.misclassified.every(isSample) && isObj(x.source) && isStr(x.source.path) &&
    isNum(x.source.line) && isObj(x.expressions) && isStr(x.expressions.images) && isStr(x.expressions.labels);
}

/**
 * NeurFlow: Explain Batch (docs/design.md 7): what the host asks the worker to do with a batch that a paused debug
 * session wrote to `.npy` files, and the `batch` message the host posts to the panel's Mistakes view.
 * Plain JSON data shared by the worker, the extension host and the webview, declared once as valibot schemas
 * (the types are inferred), with a runtime check (`isBatchMessage`) for the webview boundary.
 */
import * as v from 'valibot';
import { box, conforms, dict, index, int, num } from '../engine/util/checked';
import { ExecutionProviderSchema } from './provider';

const str = v.string();

/** One array the debuggee wrote: where, and what it was before conversion. */
export const TransferredArraySchema = v.object({
  /** The expression that produced it, as evaluated in the frame. */
  expression: str,
  /** The `.npy` file (float32 images, int64 or float32 labels/predictions). */
  path: str,
  shape: v.array(index),
  dtype: str,
  /** What the value was in the debuggee, e.g. `torch.Tensor float16 cuda:0` or `numpy.ndarray uint8`. */
  source: str,
});
export type TransferredArray = v.InferOutput<typeof TransferredArraySchema>;

/** Params of the worker's `explainBatch` job. */
export const ExplainBatchParamsSchema = v.object({
  model: str,
  /** Saved analyses of the model (`*.neurflow-result.json`); each explains one class. */
  results: v.array(str),
  images: TransferredArraySchema,
  labels: TransferredArraySchema,
  predictions: v.optional(TransferredArraySchema),
  /** Layer whose groups explain the samples (default: the highest grouped layer below the logits). */
  layer: v.optional(str),
  provider: ExecutionProviderSchema,
  threads: v.optional(index),
  /** Misclassified samples explained in full (groups, evidence, masking); default 32. */
  maxSamples: v.optional(index),
  /** Groups per sample; default 3. */
  topGroups: v.optional(index),
  /** The live PyTorch model's logits on the batch ([N, classes], float32), when the debuggee exported the model:
   * the ONNX model is checked against them. */
  live: v.optional(TransferredArraySchema),
  /** Class names (the debuggee's, e.g. `dataset.classes`) when the analyses have none. */
  classNames: v.optional(v.array(str)),
});
export type ExplainBatchParams = v.InferOutput<typeof ExplainBatchParamsSchema>;

export const ClassProbSchema = v.object({ class: int, name: str, prob: num });
export type ClassProb = v.InferOutput<typeof ClassProbSchema>;

/** What zeroing a group's channels at its layer does to one sample (docs/design.md 3.3 step 8). */
export const MaskWhatIfSchema = v.object({
  /** Probability of the predicted class before and after. */
  predictedBefore: num,
  predictedAfter: num,
  /** Probability of the true class before and after. */
  labelBefore: num,
  labelAfter: num,
  /** Top predictions after masking. */
  top: v.array(ClassProbSchema),
});
export type MaskWhatIf = v.InferOutput<typeof MaskWhatIfSchema>;

/** A group of the saved analysis, as it shows on one sample. */
export const SampleGroupSchema = v.object({
  /** Index of the group in its layer's grouping. */
  group: index,
  label: v.optional(str),
  /** exp(max log-barrier over the sample's crops); >= threshold means the group's concept is present. */
  score: num,
  /** Crops of the sample where the group fires (log-barrier >= log(threshold)), smallest first, at most 8. */
  evidence: v.array(box),
  /** The sample's crop with the highest score, [x0, y0, x1, y1] in input pixels. */
  bestBox: box,
  /** Channels of the group at its layer. */
  channels: v.array(index),
  /** Thumbnails (data URIs) of the group's representative crops from the analysed dataset. */
  representatives: v.array(str),
  mask: MaskWhatIfSchema,
});
export type SampleGroup = v.InferOutput<typeof SampleGroupSchema>;

/** Which saved analysis explains a sample, and why that one. */
export const SampleExplanationSchema = v.object({
  /** The analysis file and its class. */
  result: str,
  classIndex: index,
  className: str,
  /** `predicted`: the analysis of the wrong class the model chose (what made it say so); `label`: of the true
   * class (which of its groups are missing). */
  role: v.picklist(['predicted', 'label']),
  /** The layer shown by default (the batch's `layerChoice`, when the analysis groups it) and its groups. */
  layer: str,
  groups: v.array(SampleGroupSchema),
  /** The sample's groups at every grouped layer of the analysis, top layer first (the batch view's layer picker);
   * absent from batches explained at one layer only. */
  layers: v.optional(v.array(v.object({ layer: str, groups: v.array(SampleGroupSchema) }))),
});
export type SampleExplanation = v.InferOutput<typeof SampleExplanationSchema>;

export const BatchSampleSchema = v.object({
  /** Position in the batch. */
  index,
  label: int,
  labelName: str,
  predicted: int,
  predictedName: str,
  /** Probability of the predicted class and of the true class. */
  confidence: num,
  labelProb: num,
  top: v.array(ClassProbSchema),
  /** The debuggee's own prediction, when a predictions expression was given. */
  debuggeePrediction: v.optional(num),
  /** The sample as the model sees it, denormalised (data URI, WebP). */
  thumbnail: str,
  /** Absent when no saved analysis covers the predicted or the true class. */
  explanation: v.optional(SampleExplanationSchema),
  /** Why there is no explanation, when there is none. */
  note: v.optional(str),
});
export type BatchSample = v.InferOutput<typeof BatchSampleSchema>;

/** Where the debug session is paused: the link back to the source line. */
export const SourceLocationSchema = v.object({
  path: str,
  /** 1-based, as DAP reports it. */
  line: index,
  frame: str,
  session: str,
});
export type SourceLocation = v.InferOutput<typeof SourceLocationSchema>;

const batchExplanationEntries = {
  model: str,
  classes: v.array(str),
  batchSize: index,
  /** Input layout found in the debuggee and how it was converted (e.g. `NHWC -> NCHW`). */
  layout: str,
  correct: index,
  /** Samples the model gets wrong, in batch order (explained ones first `maxSamples`). */
  misclassified: v.array(BatchSampleSchema),
  /** Misclassified samples beyond `maxSamples`, by index, not explained. */
  unexplained: v.array(index),
  /** Samples where the debuggee's predictions and the ONNX model's disagree (export or preprocessing drift). */
  disagreements: v.array(index),
  /** Analyses used, with their class, parameters, grouped layers (top first) and when they were made. */
  results: v.array(
    v.object({
      path: str,
      classIndex: index,
      className: str,
      tau: v.optional(num),
      igSteps: v.optional(num),
      createdAt: v.optional(str),
      layers: v.optional(v.array(str)),
    }),
  ),
  /**
   * The layer the batch view shows first and why: the grouped layer where masking one of a sample's groups lowers the
   * explained class's probability most (the largest drop over its groups), on average over the explained samples (`effects`: that mean drop per layer,
   * top layer first). Absent when the batch was explained at one given layer.
   */
  layerChoice: v.optional(v.object({ layer: str, effects: v.array(v.object({ layer: str, drop: num, samples: index })) })),
  provider: str,
  timings: dict(num),
  /** The ONNX model against the live PyTorch model on this batch (when the debuggee exported it). */
  check: v.optional(
    v.object({
      /** Largest |ONNX logit - PyTorch logit| over the batch, and the largest |logit| for scale. */
      maxLogitDiff: num,
      maxLogit: num,
      /** Above this the export is reported as not matching the live model. */
      tolerance: num,
      /** Samples whose top class differs between the two. */
      argmaxDisagreements: v.array(index),
    }),
  ),
};

/** What the worker returns and (with `source`) what the panel's Mistakes view shows. */
export const BatchExplanationSchema = v.object(batchExplanationEntries);
export type BatchExplanation = v.InferOutput<typeof BatchExplanationSchema>;

/** The host -> webview message for the Mistakes view. */
export const BatchMessageSchema = v.object({
  type: v.literal('batch'),
  ...batchExplanationEntries,
  source: SourceLocationSchema,
  expressions: v.object({ images: str, labels: str, predictions: v.optional(str) }),
  /** Debuggee write + file read, milliseconds, and the bytes moved. */
  transfer: v.object({ ms: num, bytes: index }),
});
export type BatchMessage = v.InferOutput<typeof BatchMessageSchema>;

/** Runtime check of a batch message that crossed the webview boundary. */
export function isBatchMessage(x: unknown): x is BatchMessage {
  return conforms(BatchMessageSchema, x);
}

/** Params of the worker's `analyseBatch` job: the NeurFlow analysis of the classes a batch gets wrong, on the batch. */
export const AnalyseBatchParamsSchema = v.object({
  /** The ONNX model the debuggee exported. */
  model: str,
  images: TransferredArraySchema,
  labels: TransferredArraySchema,
  /** Classes that already have an analysis of this model: not analysed again. */
  skip: v.array(index),
  /** Class names for the result (index order); absent: `class <i>`. */
  classNames: v.optional(v.array(str)),
  /** Folder of stored results (reuse + save). */
  store: str,
  provider: ExecutionProviderSchema,
  threads: v.optional(index),
  /** Analysis parameters (tau, topCrops, igSteps...); the engine's defaults otherwise. */
  params: v.optional(dict(v.unknown())),
  /** Block outputs analysed below the top layer (default 2: the groups Explain Batch shows and their circuit). */
  blocks: v.optional(index),
  /** At most this many classes (the most frequent wrong predictions first); default 4. */
  maxClasses: v.optional(index),
});
export type AnalyseBatchParams = v.InferOutput<typeof AnalyseBatchParamsSchema>;

export const AnalyseBatchOutcomeSchema = v.object({
  /** One per analysed class: the result file (in the store), reused or run now. */
  analyses: v.array(v.object({ file: str, classIndex: index, className: str, images: index, reused: v.boolean(), ms: num })),
  /** Wrong classes left out (beyond maxClasses). */
  leftOut: v.array(index),
});
export type AnalyseBatchOutcome = v.InferOutput<typeof AnalyseBatchOutcomeSchema>;

/** Params of the worker's `compareCheckpoints` job: two exports of the same model at two pauses, on one batch. */
export const CompareCheckpointsParamsSchema = v.object({
  previous: str,
  current: str,
  /** The batch both are run on (float32 `.npy`, the model's input layout). */
  images: str,
  /** Analyses of the previous checkpoint: their groups are what the change is summarised by. */
  results: v.array(str),
  provider: ExecutionProviderSchema,
  threads: v.optional(index),
});
export type CompareCheckpointsParams = v.InferOutput<typeof CompareCheckpointsParamsSchema>;

/** How much one group's channels changed between two checkpoints. */
export const GroupChangeSchema = v.object({
  layer: str,
  /** `G<i>` of the previous checkpoint's analysis of `className`, or `top channels` (the eighth that changed most) when no analysis exists. */
  group: str,
  className: v.optional(str),
  channels: v.array(index),
  /** Mean over the group's channels of |mean activation now - before| / (mean |activation before| + eps), on the batch. */
  activationChange: num,
  /** Relative change of the weights that produce the layer (its producing Conv/Gemm), ||W1 - W0|| / ||W0||; absent when unknown. */
  weightChange: v.optional(num),
});
export type GroupChange = v.InferOutput<typeof GroupChangeSchema>;

export const CheckpointComparisonSchema = v.object({
  previous: str,
  current: str,
  /** Largest change first. */
  groups: v.array(GroupChangeSchema),
  /** Per layer, the mean relative activation change over all its channels. */
  layers: v.array(v.object({ layer: str, activationChange: num, channels: index })),
  /** Top-class agreement of the two checkpoints on the batch. */
  agreement: num,
  batchSize: index,
});
export type CheckpointComparison = v.InferOutput<typeof CheckpointComparisonSchema>;

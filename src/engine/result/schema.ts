/**
 * The result document of one class analysis (docs/design.md 4): versioned JSON, read back with a runtime check.
 * Layers are listed top first. Neuron ids are channel indices of their layer; crop ids index `crops.table`.
 * A sub-concept's `conceptVector` lives in the space of the layer BELOW its neuron's layer (the lower layer's
 * channel means), and its `weights` go to its neuron's `coreInputs` (channels of the layer below), aligned.
 */
import * as v from 'valibot';
import { UsageError } from '../errors';
import { check, count, dict, index, int, num } from '../util/checked';

export const RESULT_FORMAT = 'neurflow.result';
export const RESULT_VERSION = 1;

const str = v.string();
const nums = v.array(num);
const strs = v.array(str);
const range = v.strictTuple([int, int], 'is not a range [min, max]');

export const NormalisationSchema = v.picklist(['correct', 'reference']);
export type Normalisation = v.InferOutput<typeof NormalisationSchema>;
export const SelectionSchema = v.picklist(['predicted', 'labelled']);
export type SelectionMode = v.InferOutput<typeof SelectionSchema>;

export const AnalysisParamsSchema = v.object({
  /** Layer names, top first (the first is the logits layer). */
  layers: v.array(str, 'is not a list of names'),
  classIndex: index,
  selection: SelectionSchema,
  tau: count,
  /** Top crops per neuron (m). */
  topCrops: count,
  granularities: nums,
  strideRatio: num,
  igSteps: count,
  igMethod: v.picklist(['gausslegendre', 'riemann_trapezoid']),
  /** The paper's settings with no approximation (results made before the fast analysis existed were exact). */
  exact: v.optional(v.boolean(), true),
  subconceptRange: range,
  groupRange: range,
  /** Fixed group counts per layer name (unset: silhouette). */
  groupCounts: dict(count),
  normalisation: NormalisationSchema,
  representatives: index,
  debugThreshold: num,
  debugGranularities: nums,
  /** Representative pairs per group used by debugging (the authors' num_top_vecs; 0 = all pairs). */
  debugTopPairs: index,
  seed: int,
});
export type AnalysisParams = v.InferOutput<typeof AnalysisParamsSchema>;

/** [image, granularity, x0, y0, x1, y1] (x1/y1 exclusive, in preprocessed-input pixels). */
export const CropRowSchema = v.strictTuple([num, num, num, num, num, num], 'is not a crop row [image, granularity, x0, y0, x1, y1]');
export type CropRow = v.InferOutput<typeof CropRowSchema>;

export const SubconceptSchema = v.object({
  crops: v.array(index),
  representatives: v.array(index),
  conceptVector: nums,
  activation: num,
  weights: nums,
  rawWeights: nums,
});
export type SubconceptResult = v.InferOutput<typeof SubconceptSchema>;

export const NeuronSchema = v.object({
  channel: index,
  /** Mean |IG| from each upper neuron that chose it as a core input (empty on the top layer). */
  parents: v.array(v.object({ neuron: index, igMeanAbs: num })),
  /** Top crops by activation (crop ids), when the neuron was analysed. */
  topCrops: v.array(index),
  /** Core inputs (channels of the layer below) ranked by mean |IG|, with those means. */
  coreInputs: v.array(index),
  coreInputsIg: nums,
  subconcepts: v.array(SubconceptSchema),
});
export type NeuronResult = v.InferOutput<typeof NeuronSchema>;

export const LABEL_SOURCES = ['language-model', 'data', 'user'] as const;

export const GroupLabelSchema = v.object({
  text: str,
  source: v.picklist(LABEL_SOURCES, `is not a label source (${LABEL_SOURCES.join(', ')})`),
  /** The label check's share of crops classified correctly (language-model labels). */
  confidence: v.optional(num),
  /** The language model that wrote the label ("name (vendor)"), for source 'language-model'. */
  model: v.optional(str),
  /** One sentence behind the label: the model's description, or the data a data label comes from. */
  detail: v.optional(str),
  /** Why a data label was used instead of a language model, e.g. "No language model available: ...". */
  reason: v.optional(str),
  /** The label check: crops the model classified correctly out of those shown (confidence = correct / total). */
  check: v.optional(v.object({ correct: index, total: index })),
});
export type GroupLabel = v.InferOutput<typeof GroupLabelSchema>;

export const GroupSchema = v.object({
  /** Indices into the layer's `pairs`. */
  members: v.array(index),
  /** Members nearest the group centre, nearest first. */
  representatives: v.array(index),
  label: v.optional(GroupLabelSchema),
});
export type GroupResult = v.InferOutput<typeof GroupSchema>;

export const GroupingSchema = v.object({
  count: index,
  auto: v.boolean(),
  /** (neuron channel, sub-concept index) of every pair, in neuron order then sub-concept order. */
  pairs: v.array(v.strictTuple([index, index], 'is not a pair [channel, sub-concept]')),
  groups: v.array(GroupSchema),
  silhouette: nums,
});
export type GroupingResult = v.InferOutput<typeof GroupingSchema>;

export const LayerSchema = v.object({
  name: str,
  tensor: str,
  /** Shape without the batch dimension. */
  shape: v.array(index),
  neurons: v.array(NeuronSchema),
  /** Absent on the lowest layer (its neurons have no layer below to explain them). */
  grouping: v.optional(GroupingSchema),
});
export type LayerResult = v.InferOutput<typeof LayerSchema>;

export const CircuitSchema = v.object({
  upper: str,
  lower: str,
  edges: v.array(v.object({ from: index, to: index, weight: num })),
});
export type CircuitResult = v.InferOutput<typeof CircuitSchema>;

export const FidelityRowSchema = v.object({
  layer: str,
  /** Core neurons of the layer. */
  neurons: index,
  /** Neurons masked (the most important core neurons, at most a share of the channels) and channels in all. */
  masked: index,
  channels: index,
  /** Class accuracy: nothing masked; core masked; random masked (mean over seeds). */
  baseline: num,
  core: num,
  random: num,
  /** Class accuracy keeping only the masked set (others zeroed): core vs random. */
  coreRetained: num,
  randomRetained: num,
  randomSeeds: index,
  /**
   * Mean probability of the class over its images: nothing masked, core masked, random masked (mean over seeds).
   * Accuracy saturates on robust layers (both maskings keep every image); the probability still tells them apart.
   */
  baselineProb: v.optional(num),
  coreProb: v.optional(num),
  randomProb: v.optional(num),
});
export type FidelityRow = v.InferOutput<typeof FidelityRowSchema>;

/** The paper's verdict for one layer: masking the core hurts the class more (accuracy, then mean probability on a tie). */
export function coreHurtsMore(row: FidelityRow): boolean {
  if (row.core !== row.random) return row.core < row.random;
  return row.coreProb !== undefined && row.randomProb !== undefined && row.coreProb < row.randomProb;
}

/** The result document; `scripts/make-schemas.mjs` publishes it as JSON Schema (schemas/neurflow-result.schema.json). */
export const ResultDocumentSchema = v.object({
  format: v.literal(RESULT_FORMAT, (i) => `is ${JSON.stringify(i.input)}, expected "${RESULT_FORMAT}"`),
  version: v.pipe(v.number('is not a positive integer'), v.integer('is not a positive integer'), v.minValue(1, 'is not a positive integer')),
  createdAt: str,
  /** False when the analysis was cancelled: `layers` holds the layers finished so far. */
  complete: v.boolean(),
  key: str,
  model: v.object({
    path: str,
    sha256: str,
    inputName: str,
    inputShape: v.array(v.union([int, str], 'is not a dimension (a number or a name)')),
    labels: strs,
    /** The preprocessing settings used (src/engine/data/preprocess.ts). */
    preprocessing: v.unknown(),
  }),
  runtime: v.object({ provider: str, threads: index, versions: dict(str) }),
  dataset: v.object({ root: str, layout: str, fingerprint: str, imageCount: index }),
  class: v.object({ index, name: str, selection: SelectionSchema, images: strs }),
  params: AnalysisParamsSchema,
  crops: v.object({ table: v.array(CropRowSchema), thumbnails: dict(str) }),
  layers: v.array(LayerSchema),
  circuit: v.array(CircuitSchema),
  /** The scan's accuracy and confusion (src/engine/data/scan.ts), when run. */
  scan: v.optional(v.unknown()),
  fidelity: v.optional(v.array(FidelityRowSchema)),
  timings: dict(num),
  /** What the fast analysis approximated (absent for an exact run; src/engine/analysis/pipeline.ts). */
  approximations: v.optional(
    v.object({
      igLadder: v.array(count),
      tolerance: num,
      neurons: index,
      keptAt: v.array(index),
      refined: index,
      maxRelativeCompletenessError: num,
    }),
  ),
});
export type ResultDocument = v.InferOutput<typeof ResultDocumentSchema>;

/**
 * Checks a parsed document and returns it typed. Refuses other formats and newer versions with a message that
 * names the file; every field is checked against ResultDocumentSchema and the first wrong one is named.
 */
export function validateResult(value: unknown, source = 'result'): ResultDocument {
  const fail = (what: string): never => {
    throw new UsageError(`${source}: not a NeurFlow result: ${what}`);
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('not a JSON object');
  const { format, version } = value as { format?: unknown; version?: unknown };
  if (format === RESULT_FORMAT && typeof version === 'number' && Number.isInteger(version) && version > RESULT_VERSION) {
    throw new UsageError(
      `${source}: result version ${version} was written by a newer NeurFlow (this one reads up to version ${RESULT_VERSION}); update the extension or CLI`,
    );
  }
  const r = check(ResultDocumentSchema, value);
  return r.ok ? r.value : fail(r.error);
}

/**
 * The worker jobs behind the result panel: scan a dataset (class picker), analyse a class, and, on a
 * saved result, explain one image, mask a group, and find where a layer's module is defined. Params and results
 * of the `WorkerMethods` entries in ./worker.ts. Plain JSON data; paths are absolute unless said otherwise.
 */
import * as v from 'valibot';
import { PreprocessingSettingsSchema } from '../engine/data/sidecar';
import type { ScanResult } from '../engine/data/scan';
import { AnalysisParamsSchema, type ResultDocument } from '../engine/result/schema';
import { count, index, num } from '../engine/util/checked';
import type { ClassProb } from './batch';
import type { ImageGroupScore } from './webview';
import { ExecutionProviderSchema } from './provider';

const str = v.string();

/** A preset name or explicit settings; absent: the model's sidecar (or the `none` preset). */
export const PreprocessingChoiceSchema = v.union([v.picklist(['imagenet', 'none']), PreprocessingSettingsSchema]);
export type PreprocessingChoice = v.InferOutput<typeof PreprocessingChoiceSchema>;

const runtime = {
  provider: ExecutionProviderSchema,
  /** onnxruntime intra-op threads (absent: one per core). */
  threads: v.optional(index),
};

const scanFields = {
  ...runtime,
  model: str,
  /** Dataset folder (ImageFolder) or CSV manifest. */
  data: str,
  preprocessing: v.optional(PreprocessingChoiceSchema),
};
export const ScanParamsSchema = v.object(scanFields);
export type ScanParams = v.InferOutput<typeof ScanParamsSchema>;

/** What the class picker needs from a scan (the full scan stays in the worker for the analysis). */
export interface ScanSummary {
  /** Display names, index = class index. */
  classes: string[];
  /** Images predicted as / labelled as each class. */
  predicted: number[];
  labelled: number[];
  images: number;
  accuracy: number;
  skipped: number;
  warnings: string[];
  /** Where the preprocessing came from (`sidecar`, `folder`, `option`, `default`). */
  preprocessingSource: string;
  provider: string;
  /** The scan came from the worker's cache (same model, dataset and preprocessing). */
  cached: boolean;
  /** Confusion matrix (rows: label, columns: prediction), for the class picker's hints. */
  confusion?: number[][];
}

export const AnalyseParamsSchema = v.object({
  ...scanFields,
  classIndex: index,
  /** Layer names or tensors, top first (the first is the logits layer). */
  layers: v.array(str),
  params: v.optional(v.partial(v.omit(AnalysisParamsSchema, ['layers', 'classIndex']))),
  /** Folder of stored results (reuse + save). */
  store: str,
  /** Run even when a stored result matches. */
  force: v.optional(v.boolean()),
});
export type AnalyseParams = v.InferOutput<typeof AnalyseParamsSchema>;

export interface AnalyseOutcome {
  doc: ResultDocument;
  /** The full scan of the dataset (for the Mistakes view). */
  scan: ScanResult;
  /** Where the result is saved: the store's file, or `<key>.partial.neurflow-result.json` when cancelled. */
  file: string;
  /** A stored result with the same key was reused (no model run). */
  reused: boolean;
}

/** On a saved result: the model is the one the result records (checked by sha256). */
const onResult = {
  ...runtime,
  /** The result file. */
  result: str,
  /** Absolute path of the image file. */
  image: str,
};

export const ExplainImageParamsSchema = v.object({
  ...onResult,
  layer: str,
  /** Group count of the layer (another count than the saved one re-groups first, without a model run). */
  groupCount: count,
  threshold: v.optional(num),
});
export type ExplainImageParams = v.InferOutput<typeof ExplainImageParamsSchema>;

export interface ImageExplanation {
  layer: string;
  groupCount: number;
  threshold: number;
  /** Highest score first. */
  groups: ImageGroupScore[];
  /** The model's top predictions on the image. */
  top: ClassProb[];
}

export const MaskGroupParamsSchema = v.object({ ...onResult, layer: str, channels: v.array(index), classIndex: index });
export type MaskGroupParams = v.InferOutput<typeof MaskGroupParamsSchema>;

export interface MaskOutcome {
  before: number;
  after: number;
  topBefore: ClassProb[];
  top: ClassProb[];
}

export const LocateModuleParamsSchema = v.object({
  model: str,
  /** The layer's tensor (its producer node, and the nodes of the same module, carry the metadata). */
  tensor: str,
  /** The layer's name (module path such as `layer2.1`), used when the graph has no better one. */
  layer: str,
});
export type LocateModuleParams = v.InferOutput<typeof LocateModuleParamsSchema>;

/** A source position from a node's stack trace, as written by the exporter (file may be from another machine). */
export interface TraceFrame {
  file: string;
  /** 1-based. */
  line: number;
  function?: string;
}

export interface ModuleLocation {
  /** Module path (`layer2.1`, `features.5`), from the name scope metadata or the node names. */
  modulePath: string;
  /** Class names along the module path from `pkg.torch.onnx.class_hierarchy`, when the exporter wrote them. */
  classes: string[];
  /** Frames of `pkg.torch.onnx.stack_trace` on the module's nodes, innermost last. */
  frames: TraceFrame[];
  /** The node the location was read from. */
  node: string;
}

export const RegroupParamsSchema = v.object({
  result: str,
  layer: str,
  /** null: back to the silhouette's choice. */
  count: v.nullable(count),
});
export type RegroupParams = v.InferOutput<typeof RegroupParamsSchema>;

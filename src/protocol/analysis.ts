/**
 * The worker jobs behind the result panel: scan a dataset (class picker), analyse a class, and, on a
 * saved result, explain one image, mask a group, and find where a layer's module is defined. Params and results
 * of the `WorkerMethods` entries in ./worker.ts. Plain JSON data; paths are absolute unless said otherwise.
 */
import type { PreprocessingSettings, PresetName } from '../engine/data/sidecar';
import type { ScanResult } from '../engine/data/scan';
import type { AnalysisParams, ResultDocument } from '../engine/result/schema';
import type { ClassProb } from './batch';
import type { ImageGroupScore } from './webview';
import type { ExecutionProvider } from './provider';

/** A preset name or explicit settings; absent: the model's sidecar (or the `none` preset). */
export type PreprocessingChoice = PresetName | PreprocessingSettings;

interface RuntimeParams {
  provider: ExecutionProvider;
  /** onnxruntime intra-op threads (absent: one per core). */
  threads?: number;
}

export interface ScanParams extends RuntimeParams {
  model: string;
  /** Dataset folder (ImageFolder) or CSV manifest. */
  data: string;
  preprocessing?: PreprocessingChoice;
}

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
}

export interface AnalyseParams extends ScanParams {
  classIndex: number;
  /** Layer names or tensors, top first (the first is the logits layer). */
  layers: string[];
  params?: Partial<Omit<AnalysisParams, 'layers' | 'classIndex'>>;
  /** Folder of stored results (reuse + save). */
  store: string;
  /** Run even when a stored result matches. */
  force?: boolean;
}

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
interface OnResult extends RuntimeParams {
  /** The result file. */
  result: string;
  /** Absolute path of the image file. */
  image: string;
}

export interface ExplainImageParams extends OnResult {
  layer: string;
  /** Group count of the layer (another count than the saved one re-groups first, without a model run). */
  groupCount: number;
  threshold?: number;
}

export interface ImageExplanation {
  layer: string;
  groupCount: number;
  threshold: number;
  /** Highest score first. */
  groups: ImageGroupScore[];
  /** The model's top predictions on the image. */
  top: ClassProb[];
}

export interface MaskGroupParams extends OnResult {
  layer: string;
  channels: number[];
  classIndex: number;
}

export interface MaskOutcome {
  before: number;
  after: number;
  topBefore: ClassProb[];
  top: ClassProb[];
}

export interface LocateModuleParams {
  model: string;
  /** The layer's tensor (its producer node, and the nodes of the same module, carry the metadata). */
  tensor: string;
  /** The layer's name (module path such as `layer2.1`), used when the graph has no better one. */
  layer: string;
}

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

export interface RegroupParams {
  result: string;
  layer: string;
  /** null: back to the silhouette's choice. */
  count: number | null;
}

/**
 * The result document of one class analysis (docs/design.md 4): versioned JSON, read back with a runtime check.
 * Layers are listed top first. Neuron ids are channel indices of their layer; crop ids index `crops.table`.
 * A sub-concept's `conceptVector` lives in the space of the layer BELOW its neuron's layer (the lower layer's
 * channel means), and its `weights` go to its neuron's `coreInputs` (channels of the layer below), aligned.
 */
import { UsageError } from '../errors';

export const RESULT_FORMAT = 'neurflow.result';
export const RESULT_VERSION = 1;

export type Normalisation = 'correct' | 'reference';
export type SelectionMode = 'predicted' | 'labelled';

export interface AnalysisParams {
  /** Layer names, top first (the first is the logits layer). */
  layers: string[];
  classIndex: number;
  selection: SelectionMode;
  tau: number;
  /** Top crops per neuron (m). */
  topCrops: number;
  granularities: number[];
  strideRatio: number;
  igSteps: number;
  igMethod: 'gausslegendre' | 'riemann_trapezoid';
  subconceptRange: [number, number];
  groupRange: [number, number];
  /** Fixed group counts per layer name (unset: silhouette). */
  groupCounts: Record<string, number>;
  normalisation: Normalisation;
  representatives: number;
  debugThreshold: number;
  debugGranularities: number[];
  /** Representative pairs per group used by debugging (the authors' num_top_vecs; 0 = all pairs). */
  debugTopPairs: number;
  seed: number;
}

/** [image, granularity, x0, y0, x1, y1] (x1/y1 exclusive, in preprocessed-input pixels). */
export type CropRow = [number, number, number, number, number, number];

export interface SubconceptResult {
  crops: number[];
  representatives: number[];
  conceptVector: number[];
  activation: number;
  weights: number[];
  rawWeights: number[];
}

export interface NeuronResult {
  channel: number;
  /** Mean |IG| from each upper neuron that chose it as a core input (empty on the top layer). */
  parents: { neuron: number; igMeanAbs: number }[];
  /** Top crops by activation (crop ids), when the neuron was analysed. */
  topCrops: number[];
  /** Core inputs (channels of the layer below) ranked by mean |IG|, with those means. */
  coreInputs: number[];
  coreInputsIg: number[];
  subconcepts: SubconceptResult[];
}

export interface GroupLabel {
  text: string;
  source: 'language-model' | 'data' | 'user';
  /** The label check's share of crops classified correctly (language-model labels). */
  confidence?: number;
  /** The language model that wrote the label ("name (vendor)"), for source 'language-model'. */
  model?: string;
  /** One sentence behind the label: the model's description, or the data a data label comes from. */
  detail?: string;
  /** Why a data label was used instead of a language model, e.g. "No language model available: ...". */
  reason?: string;
  /** The label check: crops the model classified correctly out of those shown (confidence = correct / total). */
  check?: { correct: number; total: number };
}

export interface GroupResult {
  /** Indices into the layer's `pairs`. */
  members: number[];
  /** Members nearest the group centre, nearest first. */
  representatives: number[];
  label?: GroupLabel;
}

export interface GroupingResult {
  count: number;
  auto: boolean;
  /** (neuron channel, sub-concept index) of every pair, in neuron order then sub-concept order. */
  pairs: [number, number][];
  groups: GroupResult[];
  silhouette: number[];
}

export interface LayerResult {
  name: string;
  tensor: string;
  /** Shape without the batch dimension. */
  shape: number[];
  neurons: NeuronResult[];
  /** Absent on the lowest layer (its neurons have no layer below to explain them). */
  grouping?: GroupingResult;
}

export interface CircuitResult {
  upper: string;
  lower: string;
  edges: { from: number; to: number; weight: number }[];
}

export interface FidelityRow {
  layer: string;
  /** Core neurons of the layer. */
  neurons: number;
  /** Neurons masked (the most important core neurons, at most a share of the channels) and channels in all. */
  masked: number;
  channels: number;
  /** Class accuracy: nothing masked; core masked; random masked (mean over seeds). */
  baseline: number;
  core: number;
  random: number;
  /** Class accuracy keeping only the masked set (others zeroed): core vs random. */
  coreRetained: number;
  randomRetained: number;
  randomSeeds: number;
  /**
   * Mean probability of the class over its images: nothing masked, core masked, random masked (mean over seeds).
   * Accuracy saturates on robust layers (both maskings keep every image); the probability still tells them apart.
   */
  baselineProb?: number;
  coreProb?: number;
  randomProb?: number;
}

/** The paper's verdict for one layer: masking the core hurts the class more (accuracy, then mean probability on a tie). */
export function coreHurtsMore(row: FidelityRow): boolean {
  if (row.core !== row.random) return row.core < row.random;
  return row.coreProb !== undefined && row.randomProb !== undefined && row.coreProb < row.randomProb;
}

export interface ResultDocument {
  format: typeof RESULT_FORMAT;
  version: number;
  createdAt: string;
  /** False when the analysis was cancelled: `layers` holds the layers finished so far. */
  complete: boolean;
  key: string;
  model: {
    path: string; sha256: string; inputName: string; inputShape: (number | string)[]; labels: string[];
    preprocessing: unknown;
  };
  runtime: { provider: string; threads: number; versions: Record<string, string> };
  dataset: { root: string; layout: string; fingerprint: string; imageCount: number };
  class: { index: number; name: string; selection: SelectionMode; images: string[] };
  params: AnalysisParams;
  crops: { table: CropRow[]; thumbnails: Record<string, string> };
  layers: LayerResult[];
  circuit: CircuitResult[];
  scan?: unknown;
  fidelity?: FidelityRow[];
  timings: Record<string, number>;
}

function fail(source: string, what: string): never {
  throw new UsageError(`${source}: not a NeurFlow result: ${what}`);
}

function need(cond: unknown, source: string, what: string): void {
  if (!cond) fail(source, what);
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const LABEL_SOURCES: readonly string[] = ['language-model', 'data', 'user'];
const isNumArray = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === 'number');

/**
 * Checks a parsed document and returns it typed. Refuses other formats and newer versions with a message that
 * names the file; checks the structure the viewers rely on (layers, neurons, groups, circuit, crops).
 */
export function validateResult(value: unknown, source = 'result'): ResultDocument {
  need(isObj(value), source, 'not a JSON object');
  const doc = value as Record<string, unknown>;
  need(doc.format === RESULT_FORMAT, source, `field "format" is ${JSON.stringify(doc.format)}, expected "${RESULT_FORMAT}"`);
  need(typeof doc.version === 'number' && Number.isInteger(doc.version) && doc.version >= 1, source, 'field "version" is not a positive integer');
  if ((doc.version as number) > RESULT_VERSION) {
    throw new UsageError(`${source}: result version ${doc.version} was written by a newer NeurFlow (this one reads up to version ${RESULT_VERSION}); update the extension or CLI`);
  }
  for (const k of ['model', 'runtime', 'dataset', 'class', 'params', 'crops', 'timings']) need(isObj(doc[k]), source, `field "${k}" missing or not an object`);
  need(typeof doc.complete === 'boolean', source, 'field "complete" is not a boolean');
  need(typeof (doc.model as Record<string, unknown>).sha256 === 'string', source, 'field "model.sha256" missing');
  const params = doc.params as Record<string, unknown>;
  need(Array.isArray(params.layers) && params.layers.every((l) => typeof l === 'string'), source, 'field "params.layers" is not a list of names');
  const crops = doc.crops as Record<string, unknown>;
  need(Array.isArray(crops.table) && crops.table.every((r) => isNumArray(r) && (r as number[]).length === 6), source, 'field "crops.table" is not a list of [image, granularity, x0, y0, x1, y1]');
  need(isObj(crops.thumbnails), source, 'field "crops.thumbnails" is not an object');
  need(Array.isArray(doc.layers), source, 'field "layers" is not a list');
  (doc.layers as unknown[]).forEach((l, i) => {
    const where = `layers[${i}]`;
    need(isObj(l) && typeof l.name === 'string' && isNumArray(l.shape) && Array.isArray(l.neurons), source, `${where} lacks name, shape or neurons`);
    const layer = l as Record<string, unknown>;
    (layer.neurons as unknown[]).forEach((n, j) => {
      need(isObj(n) && typeof n.channel === 'number' && isNumArray(n.coreInputs) && Array.isArray(n.subconcepts), source, `${where}.neurons[${j}] lacks channel, coreInputs or subconcepts`);
    });
    if (layer.grouping !== undefined) {
      const g = layer.grouping as Record<string, unknown>;
      need(isObj(g) && typeof g.count === 'number' && Array.isArray(g.pairs) && Array.isArray(g.groups), source, `${where}.grouping lacks count, pairs or groups`);
      (g.groups as unknown[]).forEach((grp, k) => {
        const label = isObj(grp) ? grp.label : undefined;
        need(label === undefined || (isObj(label) && typeof label.text === 'string' && LABEL_SOURCES.includes(label.source as string)),
          source, `${where}.grouping.groups[${k}].label lacks text or a source (${LABEL_SOURCES.join(', ')})`);
      });
    }
  });
  need(Array.isArray(doc.circuit), source, 'field "circuit" is not a list');
  (doc.circuit as unknown[]).forEach((c, i) => {
    need(isObj(c) && typeof c.upper === 'string' && typeof c.lower === 'string' && Array.isArray(c.edges), source, `circuit[${i}] lacks upper, lower or edges`);
  });
  return doc as unknown as ResultDocument;
}

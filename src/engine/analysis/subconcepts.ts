/**
 * Core inputs and sub-concepts of one core neuron (docs/design.md 3.3 steps 3-4), as a pure function of its top crops'
 * lower-layer channel means, their IG matrix and the neuron's activations on them.
 */
import { PARAMS } from '../params';
import { UsageError } from '../errors';
import { WardTree, chooseClusterCount, nearestToCentre, type Points } from './cluster';

/**
 * `correct`: each sub-concept's weights divided by the sum of their absolute values.
 * `reference`: the authors' `_rescale_scores`, which normalises in place while iterating, so later weights are
 * divided by sums that already contain rescaled values (reproduces their numbers).
 */
export type Normalisation = 'correct' | 'reference';

export interface NeuronEvidence {
  /** Crop ids of the neuron's top-m crops, in descending activation order. */
  crops: readonly number[];
  /** The neuron's activation on each of those crops. */
  activations: ArrayLike<number>;
  /** Lower-layer channel means of each crop (m rows of C_lower). */
  lowerVectors: Points;
  /** IG of the neuron w.r.t. each lower channel on each crop (m rows of C_lower; spatial-mean reduced). */
  ig: Points;
}

export interface SubconceptOptions {
  /** Core inputs kept per neuron. */
  tau: number;
  /** Largest sub-concept count tried (the range is [2, min(maxClusters, m - 1)]). */
  maxClusters: number;
  /** Representatives per sub-concept. */
  representatives: number;
  normalisation: Normalisation;
}

export const DEFAULT_SUBCONCEPT_OPTIONS: SubconceptOptions = {
  tau: PARAMS.tau.default,
  maxClusters: 5,
  representatives: 5,
  normalisation: 'correct',
};

export interface Subconcept {
  /** Index of the sub-concept within its neuron (0-based, by first appearance among the top crops). */
  index: number;
  /** Crop ids of its members, in the neuron's top-crop order. */
  crops: number[];
  /** Crop ids nearest its centre (measured on the core-input channels), nearest first. */
  representatives: number[];
  /** Mean lower-layer vector of its members (all lower channels). */
  conceptVector: Float64Array;
  /** Mean activation of the neuron over its members. */
  activation: number;
  /** Mean IG of each core input over its members (aligned with `coreInputs`). */
  rawWeights: number[];
  /** Normalised edge weights to the core inputs (aligned with `coreInputs`). */
  weights: number[];
}

export interface NeuronAnalysis {
  /** Lower channels ranked by mean |IG| over the top crops, the top `tau` (descending, ties by channel). */
  coreInputs: number[];
  /** Mean |IG| of every lower channel over the top crops. */
  igMeanAbs: Float64Array;
  /** Silhouette scores for k = 2, 3, ... (empty when the range allowed only 2). */
  silhouette: number[];
  subconcepts: Subconcept[];
}

/** Mean over rows of |x| per column. */
export function meanAbsColumns(rows: Points): Float64Array {
  const out = new Float64Array(rows[0]?.length ?? 0);
  for (const r of rows) for (let c = 0; c < out.length; c++) out[c] += Math.abs(r[c]);
  for (let c = 0; c < out.length; c++) out[c] /= rows.length;
  return out;
}

/** Indices of the `k` largest values, descending, ties by index (deterministic). */
export function topK(values: ArrayLike<number>, k: number): number[] {
  const idx = Array.from({ length: values.length }, (_, i) => i);
  idx.sort((a, b) => values[b] - values[a] || a - b);
  return idx.slice(0, Math.min(k, idx.length));
}

/** Normalises one sub-concept's weights (see `Normalisation`). */
export function normaliseWeights(raw: readonly number[], mode: Normalisation): number[] {
  const w = [...raw];
  if (mode === 'reference') {
    for (let i = 0; i < w.length; i++) {
      let s = 0;
      for (const v of w) s += Math.abs(v);
      w[i] = w[i] / (s + 1e-7);
    }
    return w;
  }
  let s = 0;
  for (const v of w) s += Math.abs(v);
  return s > 0 ? w.map((v) => v / s) : w.map(() => 0);
}

function meanRows(rows: Points, members: readonly number[]): Float64Array {
  const out = new Float64Array(rows[members[0]].length);
  for (const m of members) for (let c = 0; c < out.length; c++) out[c] += rows[m][c];
  for (let c = 0; c < out.length; c++) out[c] /= members.length;
  return out;
}

/** Core inputs and sub-concepts of one neuron from its top crops. */
export function analyseNeuron(ev: NeuronEvidence, options: SubconceptOptions = DEFAULT_SUBCONCEPT_OPTIONS): NeuronAnalysis {
  const m = ev.crops.length;
  if (m < 2) throw new UsageError(`sub-concepts need at least 2 top crops (got ${m})`);
  if (ev.lowerVectors.length !== m || ev.ig.length !== m || ev.activations.length !== m) {
    throw new UsageError(
      `neuron evidence: ${m} crops but ${ev.lowerVectors.length} lower vectors, ${ev.ig.length} IG rows, ${ev.activations.length} activations`,
    );
  }
  const igMeanAbs = meanAbsColumns(ev.ig);
  const coreInputs = topK(igMeanAbs, options.tau);
  const tree = WardTree.fromPoints(ev.lowerVectors);
  const choice = chooseClusterCount(tree, options.maxClusters);
  const subconcepts: Subconcept[] = [];
  for (let s = 0; s < choice.k; s++) {
    const members: number[] = [];
    choice.labels.forEach((l, i) => {
      if (l === s) members.push(i);
    });
    const rawWeights = coreInputs.map((v) => members.reduce((acc, i) => acc + ev.ig[i][v], 0) / members.length);
    const reps = nearestToCentre(ev.lowerVectors, members, options.representatives, coreInputs);
    subconcepts.push({
      index: s,
      crops: members.map((i) => ev.crops[i]),
      representatives: reps.map((i) => ev.crops[i]),
      conceptVector: meanRows(ev.lowerVectors, members),
      activation: members.reduce((acc, i) => acc + ev.activations[i], 0) / members.length,
      rawWeights,
      weights: normaliseWeights(rawWeights, options.normalisation),
    });
  }
  return { coreInputs, igMeanAbs, silhouette: choice.scores, subconcepts };
}

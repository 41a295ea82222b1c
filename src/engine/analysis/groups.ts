/**
 * Neuron groups of a layer (docs/design.md 3.3 step 5): Ward clustering of the concept vectors of all (neuron,
 * sub-concept) pairs of the layer, the count chosen by silhouette (the authors' `cluster_concept_vectors`) or set
 * by the user. The Ward tree is kept so another count is a cut, not a new clustering.
 */
import { UsageError } from '../errors';
import { WardTree, chooseClusterCount, nearestToCentre, type Points } from './cluster';

export interface Group {
  /** Pair indices (into the layer's pair list), in pair order. */
  members: number[];
  /** Pair indices nearest the group centre, nearest first (at most `representatives` when set). */
  representatives: number[];
}

export interface Grouping {
  count: number;
  /** Whether the count was chosen by silhouette. */
  auto: boolean;
  /** Group of each pair. */
  labels: Int32Array;
  groups: Group[];
  /** Silhouette per count tried (auto only; count = 2 + index). */
  silhouette: number[];
}

export interface GroupOptions {
  /** A fixed number of groups (clamped to the number of pairs); the silhouette chooses when unset. */
  count?: number;
  /** Largest count the silhouette tries (the authors: 100). */
  maxGroups?: number;
  /** Representatives kept per group (the authors' `num_top_vecs`); all members when unset. */
  representatives?: number;
}

/** What the member neurons of a group are read from: a result's grouping, or the debugger's. */
export interface GroupMembership {
  /** (neuron channel, sub-concept) of each pair. */
  pairs: readonly (readonly number[])[];
  groups: readonly { members: readonly number[] }[];
}

/** The neurons (channels) of group `g`: its member pairs' channels, each once, ascending. */
export function memberChannels(grouping: GroupMembership, g: number): number[] {
  return [...new Set(grouping.groups[g].members.map((p) => grouping.pairs[p][0]))].sort((a, b) => a - b);
}

/** The neurons of every group of a layer (memberChannels of each). */
export function groupNeurons(grouping: GroupMembership): number[][] {
  return grouping.groups.map((_, g) => memberChannels(grouping, g));
}

/** Groups of one layer's concept vectors. Pass `tree` (from an earlier call) to re-cut without re-clustering. */
export function groupPairs(vectors: Points, options: GroupOptions = {}, tree?: WardTree): { grouping: Grouping; tree: WardTree } {
  const n = vectors.length;
  if (n === 0) throw new UsageError('no concept vectors to group');
  const t = tree ?? WardTree.fromPoints(vectors);
  let labels: Int32Array;
  let silhouette: number[] = [];
  const auto = options.count === undefined;
  if (options.count !== undefined) {
    if (!Number.isInteger(options.count) || options.count < 1) throw new UsageError(`group count ${options.count}: must be a positive integer`);
    labels = t.labels(Math.min(options.count, n));
  } else if (n <= 2) {
    labels = t.labels(n);
  } else {
    const choice = chooseClusterCount(t, options.maxGroups ?? 100);
    labels = choice.labels;
    silhouette = choice.scores;
  }
  const count = Math.max(...labels) + 1;
  const groups: Group[] = [];
  for (let g = 0; g < count; g++) {
    const members: number[] = [];
    labels.forEach((l, i) => {
      if (l === g) members.push(i);
    });
    groups.push({ members, representatives: nearestToCentre(vectors, members, options.representatives) });
  }
  return { grouping: { count, auto, labels, groups, silhouette }, tree: t };
}

/**
 * Group of each pair restricted to the groups' representatives (the authors' `cluster_concept_vectors` with
 * `num_top_vecs`): pairs that are not representatives map to -1.
 */
export function representativeLabels(grouping: Grouping): Int32Array {
  const out = new Int32Array(grouping.labels.length).fill(-1);
  grouping.groups.forEach((g, gi) => {
    for (const p of g.representatives) out[p] = gi;
  });
  return out;
}

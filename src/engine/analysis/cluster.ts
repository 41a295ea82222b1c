/**
 * Clustering for sub-concepts and neuron groups (docs/design.md 3.3 steps 4-5): Ward linkage from `ml-hclust`
 * (`agnes`, method `ward2` = Ward on Euclidean distances, which reproduces scikit-learn's
 * `AgglomerativeClustering(linkage='ward')`), cut to k clusters; the silhouette score (Euclidean, as scikit-learn
 * defines it); the authors' choice of k by the best silhouette; the adjusted Rand index to compare partitions.
 *
 * Labels are numbered by first appearance (the cluster of point 0 is 0, ...), so results are deterministic.
 */
import { agnes, type Cluster } from 'ml-hclust';
import { UsageError } from '../errors';

/** Points as rows; every row has the same length. */
export type Points = readonly ArrayLike<number>[];

/** Pairwise Euclidean distances, n x n row-major (float64). */
export function distanceMatrix(points: Points): Float64Array {
  const n = points.length;
  const d = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const a = points[i];
    for (let j = 0; j < i; j++) {
      const b = points[j];
      let s = 0;
      for (let k = 0; k < a.length; k++) {
        const diff = a[k] - b[k];
        s += diff * diff;
      }
      d[i * n + j] = d[j * n + i] = Math.sqrt(s);
    }
  }
  return d;
}

/** A Ward dendrogram that can be cut to any number of clusters without recomputing the linkage. */
export class WardTree {
  private readonly root: Cluster;

  constructor(
    readonly n: number,
    readonly distances: Float64Array,
  ) {
    if (n < 1) throw new UsageError('Ward clustering needs at least one point');
    const rows: number[][] = [];
    for (let i = 0; i < n; i++) rows.push(Array.from(distances.subarray(i * n, (i + 1) * n)));
    this.root = agnes(rows, { method: 'ward2', isDistanceMatrix: true });
  }

  static fromPoints(points: Points): WardTree {
    return new WardTree(points.length, distanceMatrix(points));
  }

  /** Labels of the k-cluster cut, numbered by first appearance. */
  labels(k: number): Int32Array {
    if (!Number.isInteger(k) || k < 1 || k > this.n) {
      throw new UsageError(`cannot cut ${this.n} points into ${k} clusters`);
    }
    const raw = new Int32Array(this.n).fill(-1);
    if (this.n === 1) return new Int32Array(1);
    this.root.group(k).children.forEach((child, c) => {
      for (const i of child.isLeaf ? [child.index] : child.indices()) raw[i] = c;
    });
    return renumber(raw);
  }
}

/** Renumbers labels by first appearance. */
export function renumber(labels: ArrayLike<number>): Int32Array {
  const map = new Map<number, number>();
  const out = new Int32Array(labels.length);
  for (let i = 0; i < labels.length; i++) {
    let v = map.get(labels[i]);
    if (v === undefined) {
      v = map.size;
      map.set(labels[i], v);
    }
    out[i] = v;
  }
  return out;
}

/** Ward clustering of points into k clusters. */
export function wardLabels(points: Points, k: number): Int32Array {
  return WardTree.fromPoints(points).labels(k);
}

/**
 * Mean silhouette coefficient (scikit-learn's `silhouette_score`, Euclidean): per point
 * s = (b - a) / max(a, b) with a the mean distance to its own cluster's other points and b the smallest mean
 * distance to another cluster; 0 for a point alone in its cluster.
 */
export function silhouetteScore(distances: Float64Array, labels: ArrayLike<number>): number {
  const n = labels.length;
  let k = 0;
  for (let i = 0; i < n; i++) k = Math.max(k, labels[i] + 1);
  if (k < 2 || k > n - 1) throw new UsageError(`silhouette needs 2 <= clusters <= n - 1 (got ${k} clusters of ${n} points)`);
  const sizes = new Float64Array(k);
  for (let i = 0; i < n; i++) sizes[labels[i]]++;
  const sums = new Float64Array(k);
  let total = 0;
  for (let i = 0; i < n; i++) {
    sums.fill(0);
    const row = i * n;
    for (let j = 0; j < n; j++) sums[labels[j]] += distances[row + j];
    const own = labels[i];
    if (sizes[own] <= 1) continue;
    const a = sums[own] / (sizes[own] - 1);
    let b = Infinity;
    for (let c = 0; c < k; c++) if (c !== own && sizes[c] > 0) b = Math.min(b, sums[c] / sizes[c]);
    const m = Math.max(a, b);
    total += m > 0 ? (b - a) / m : 0;
  }
  return total / n;
}

export interface ClusterChoice {
  k: number;
  labels: Int32Array;
  /** Silhouette score per k tried (k = kMin + index). */
  scores: number[];
}

/**
 * The authors' `_find_optimal_number_of_clusters`: k in [kMin, min(n - 1, kMax)] with the best silhouette
 * (first best wins); when that range allows at most 2 clusters the answer is 2 without scoring.
 */
export function chooseClusterCount(tree: WardTree, kMax: number, kMin = 2): ClusterChoice {
  const hi = Math.min(tree.n - 1, kMax);
  if (hi <= kMin) {
    const k = Math.min(kMin, tree.n);
    return { k, labels: tree.labels(k), scores: [] };
  }
  let best = -Infinity;
  let bestK = kMin;
  let bestLabels = tree.labels(kMin);
  const scores: number[] = [];
  for (let k = kMin; k <= hi; k++) {
    const labels = tree.labels(k);
    const s = silhouetteScore(tree.distances, labels);
    scores.push(s);
    if (s > best) {
      best = s;
      bestK = k;
      bestLabels = labels;
    }
  }
  return { k: bestK, labels: bestLabels, scores };
}

/** Adjusted Rand index of two partitions of the same points (1 = identical up to renaming). */
export function adjustedRandIndex(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  if (b.length !== n) throw new UsageError(`adjusted Rand index: partitions of ${n} and ${b.length} points`);
  const ra = renumber(a);
  const rb = renumber(b);
  const table = new Map<number, number>();
  const ka = Math.max(0, ...ra) + 1;
  const kb = Math.max(0, ...rb) + 1;
  const rowSums = new Float64Array(ka);
  const colSums = new Float64Array(kb);
  for (let i = 0; i < n; i++) {
    const key = ra[i] * kb + rb[i];
    table.set(key, (table.get(key) ?? 0) + 1);
    rowSums[ra[i]]++;
    colSums[rb[i]]++;
  }
  const c2 = (x: number) => (x * (x - 1)) / 2;
  let index = 0;
  for (const v of table.values()) index += c2(v);
  let sa = 0;
  let sb = 0;
  for (const v of rowSums) sa += c2(v);
  for (const v of colSums) sb += c2(v);
  const expected = (sa * sb) / c2(n);
  const max = (sa + sb) / 2;
  if (max === expected) return 1;
  return (index - expected) / (max - expected);
}

/** Euclidean centre (mean) of the rows selected by `members`. */
export function centroid(points: Points, members: readonly number[]): Float64Array {
  const dim = points[members[0]].length;
  const c = new Float64Array(dim);
  for (const m of members) for (let k = 0; k < dim; k++) c[k] += points[m][k];
  for (let k = 0; k < dim; k++) c[k] /= members.length;
  return c;
}

/**
 * The members nearest their cluster's centre (the authors' `_get_closest_indices`): distances measured on
 * `channels` only (all when omitted); ascending distance, ties by member order; at most `count` (all when omitted).
 */
export function nearestToCentre(points: Points, members: readonly number[], count?: number, channels?: readonly number[]): number[] {
  const pick = (p: ArrayLike<number>) => (channels ? channels.map((c) => p[c]) : Array.from(p));
  const sub = members.map((m) => pick(points[m]));
  const centre = centroid(
    sub,
    sub.map((_, i) => i),
  );
  const dist = sub.map((p) => Math.sqrt(p.reduce((s, v, k) => s + (v - centre[k]) ** 2, 0)));
  const order = members.map((_, i) => i).sort((x, y) => dist[x] - dist[y] || x - y);
  return order.slice(0, count ?? order.length).map((i) => members[i]);
}

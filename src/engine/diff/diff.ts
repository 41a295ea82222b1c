/**
 * The diff of two NeurFlow results of the same class (`neurflow diff A B`), e.g. a model before and after
 * fine-tuning: per layer, the neuron groups matched one to one (Hungarian, on the Jaccard similarity of their
 * member neurons when both results have the layer with the same channel count, else of the crops that activate
 * them), the groups only in A (gone) or only in B (new), each group's share of the circuit weight into its layer
 * (a matched group whose share drops is weakened), and every circuit edge with its weight before and after.
 *
 * Where "Compare with Previous Checkpoint" (src/worker/jobs/compareCheckpoints.ts) measures how the activations of
 * the previous analysis's groups changed on a debug batch, this compares two finished analyses: no model runs.
 */
import { UsageError } from '../errors';
import type { GroupingResult, LayerResult, ResultDocument } from '../result/schema';
import { groupNeurons } from '../analysis/groups';
import { maxAssignment } from './assign';

export interface DiffOptions {
  /** Smallest similarity of a match (default 0.2): less similar groups count as gone in A and new in B. */
  minSimilarity?: number;
  /** A matched group is weakened when its share of the weight into its layer falls below this fraction of A's (default 0.5). */
  weakenedRatio?: number;
  /** Names of the two results in messages (default "A" and "B"). */
  names?: [string, string];
}

export interface GroupMatch {
  a: number;
  b: number;
  /** Jaccard similarity of the member sets (neurons, or activating crops; see the layer's `by`). */
  similarity: number;
  /** The group's share of the circuit weight into its layer (the top layer: its share of the layer's sub-concepts). */
  shareA: number;
  shareB: number;
  /** weakened: shareB < weakenedRatio x shareA. */
  weakened: boolean;
}

export interface GroupOnly {
  group: number;
  share: number;
  /** The group's member neurons (channels). */
  neurons: number[];
}

export interface LayerDiff {
  layer: string;
  /** What the similarity compares: member neurons (same layer shape in both), or activating crops. */
  by: 'neurons' | 'crops';
  matched: GroupMatch[];
  onlyInA: GroupOnly[];
  onlyInB: GroupOnly[];
}

export interface EdgeDiff {
  /** The upper layer of the edge; `lowerLayer` the one below. */
  layer: string;
  lowerLayer: string;
  /** Group indices in A and B (null: the group has no counterpart in that result). */
  upperA: number | null;
  lowerA: number | null;
  upperB: number | null;
  lowerB: number | null;
  weightA: number;
  weightB: number;
}

export interface ResultDiff {
  a: string;
  b: string;
  class: string;
  layers: LayerDiff[];
  edges: EdgeDiff[];
  /** Groups of A that are gone (no match in B) or weakened, in layer order. */
  goneOrWeakened: { layer: string; group: number; status: 'gone' | 'weakened'; shareA: number; shareB: number; matchedB: number | null }[];
  /** Layers only one of the results has. */
  layersOnlyInA: string[];
  layersOnlyInB: string[];
}

/** Crop identities (image path, granularity, box) of each group: the crops of its members' sub-concepts. */
function groupCrops(doc: ResultDocument, layer: LayerResult): string[][] {
  const grouping = layer.grouping!;
  const byChannel = new Map(layer.neurons.map((n) => [n.channel, n]));
  const id = (crop: number) => {
    const [image, g, ...box] = doc.crops.table[crop];
    return `${doc.class.images[image]}|${g}|${box.join(',')}`;
  };
  return grouping.groups.map((g) => {
    const out = new Set<string>();
    for (const p of g.members) {
      const [channel, sub] = grouping.pairs[p];
      for (const c of byChannel.get(channel)?.subconcepts[sub]?.crops ?? []) out.add(id(c));
    }
    return [...out];
  });
}

/** Jaccard similarity of two sets (two empty sets: 1). */
export function jaccard<T>(a: readonly T[], b: readonly T[]): number {
  if (a.length === 0 && b.length === 0) return 1;
  const sa = new Set(a);
  const sb = new Set(b);
  let inter = 0;
  for (const x of sb) if (sa.has(x)) inter++;
  return inter / (sa.size + sb.size - inter);
}

/** Each group's share of the circuit weight into `layer` (from the layer above); the top layer: its share of the sub-concepts. */
function groupShares(doc: ResultDocument, layer: LayerResult): number[] {
  const grouping = layer.grouping!;
  const into = doc.circuit.find((c) => c.lower === layer.name);
  const shares = new Array<number>(grouping.groups.length).fill(0);
  if (into && into.edges.length > 0) {
    for (const e of into.edges) if (e.to < shares.length) shares[e.to] += Math.abs(e.weight);
  } else {
    grouping.groups.forEach((g, i) => {
      shares[i] = g.members.length;
    });
  }
  const total = shares.reduce((s, x) => s + x, 0);
  return total > 0 ? shares.map((s) => s / total) : shares;
}

/** Refuses two results that cannot be compared, naming the files and fields. */
function checkComparable(a: ResultDocument, b: ResultDocument, [na, nb]: [string, string]): void {
  if (a.class.index !== b.class.index && a.class.name !== b.class.name) {
    throw new UsageError(
      `${na} and ${nb} explain different classes: class.name ${JSON.stringify(a.class.name)} (index ${a.class.index}) vs ${JSON.stringify(b.class.name)} (index ${b.class.index}); a diff compares two results of the same class`,
    );
  }
  const grouped = (d: ResultDocument) => d.layers.filter((l) => l.grouping).map((l) => l.name);
  const common = grouped(a).filter((n) => grouped(b).includes(n));
  if (common.length === 0) {
    throw new UsageError(
      `${na} and ${nb} have no grouped layer in common (layers[].name: ${grouped(a).join(', ') || 'none'} vs ${grouped(b).join(', ') || 'none'}): analyse both with the same --layers`,
    );
  }
}

/** Matches the groups of one layer present in both results. */
function diffLayer(a: ResultDocument, la: LayerResult, b: ResultDocument, lb: LayerResult, options: Required<Omit<DiffOptions, 'names'>>): LayerDiff {
  const ga = la.grouping!,
    gb = lb.grouping!;
  const sameShape = la.shape.length === lb.shape.length && la.shape.every((d, i) => d === lb.shape[i]);
  const by = sameShape ? 'neurons' : 'crops';
  const na = groupNeurons(ga),
    nb = groupNeurons(gb);
  const setsA: readonly (number | string)[][] = by === 'neurons' ? na : groupCrops(a, la);
  const setsB: readonly (number | string)[][] = by === 'neurons' ? nb : groupCrops(b, lb);
  // Ties (groups with the same neurons, e.g. two sub-concepts of the same neurons) are broken by the member
  // (neuron, sub-concept) pairs and then by the group index, so a result diffed with itself matches each group to itself.
  const pairs = (g: GroupingResult, i: number) => g.groups[i].members.map((p) => `${g.pairs[p][0]}:${g.pairs[p][1]}`);
  const sim = setsA.map((sa) => setsB.map((sb) => jaccard(sa, sb)));
  const score = sim.map((row, i) => row.map((s, j) => s + (by === 'neurons' ? 1e-3 * jaccard(pairs(ga, i), pairs(gb, j)) : 0) + (i === j ? 1e-6 : 0)));
  const assignment = maxAssignment(score);
  const shareA = groupShares(a, la),
    shareB = groupShares(b, lb);
  const matched: GroupMatch[] = [];
  const usedB = new Set<number>();
  assignment.forEach((j, i) => {
    if (j < 0 || sim[i][j] < options.minSimilarity) return;
    usedB.add(j);
    matched.push({ a: i, b: j, similarity: sim[i][j], shareA: shareA[i], shareB: shareB[j], weakened: shareB[j] < options.weakenedRatio * shareA[i] });
  });
  const matchedA = new Set(matched.map((m) => m.a));
  return {
    layer: la.name,
    by,
    matched,
    onlyInA: ga.groups.flatMap((_, i) => (matchedA.has(i) ? [] : [{ group: i, share: shareA[i], neurons: na[i] }])),
    onlyInB: gb.groups.flatMap((_, j) => (usedB.has(j) ? [] : [{ group: j, share: shareB[j], neurons: nb[j] }])),
  };
}

/** Every circuit edge of A and B between layers both have, with its counterpart through the group matching. */
function diffEdges(a: ResultDocument, b: ResultDocument, layers: Map<string, LayerDiff>): EdgeDiff[] {
  const out: EdgeDiff[] = [];
  for (const ca of a.circuit) {
    const cb = b.circuit.find((c) => c.upper === ca.upper && c.lower === ca.lower);
    const up = layers.get(ca.upper),
      low = layers.get(ca.lower);
    if (!cb || !up || !low) continue;
    const aToB = (d: LayerDiff) => new Map(d.matched.map((m) => [m.a, m.b]));
    const bToA = (d: LayerDiff) => new Map(d.matched.map((m) => [m.b, m.a]));
    const [upAB, lowAB, upBA, lowBA] = [aToB(up), aToB(low), bToA(up), bToA(low)];
    const weightB = new Map(cb.edges.map((e) => [`${e.from}>${e.to}`, e.weight]));
    const seenB = new Set<string>();
    for (const e of ca.edges) {
      const ub = upAB.get(e.from) ?? null,
        lb = lowAB.get(e.to) ?? null;
      const key = `${ub}>${lb}`;
      if (ub !== null && lb !== null) seenB.add(key);
      out.push({
        layer: ca.upper,
        lowerLayer: ca.lower,
        upperA: e.from,
        lowerA: e.to,
        upperB: ub,
        lowerB: lb,
        weightA: e.weight,
        weightB: ub !== null && lb !== null ? (weightB.get(key) ?? 0) : 0,
      });
    }
    for (const e of cb.edges) {
      if (seenB.has(`${e.from}>${e.to}`)) continue;
      const ua = upBA.get(e.from) ?? null,
        la = lowBA.get(e.to) ?? null;
      out.push({ layer: ca.upper, lowerLayer: ca.lower, upperA: ua, lowerA: la, upperB: e.from, lowerB: e.to, weightA: 0, weightB: e.weight });
    }
  }
  return out;
}

/** The diff of two results of the same class (see the file comment). */
export function diffResults(a: ResultDocument, b: ResultDocument, options: DiffOptions = {}): ResultDiff {
  const names = options.names ?? ['A', 'B'];
  checkComparable(a, b, names);
  const opts = { minSimilarity: options.minSimilarity ?? 0.2, weakenedRatio: options.weakenedRatio ?? 0.5 };
  const layers: LayerDiff[] = [];
  for (const la of a.layers) {
    const lb = b.layers.find((l) => l.name === la.name);
    if (la.grouping && lb?.grouping) layers.push(diffLayer(a, la, b, lb, opts));
  }
  const byName = new Map(layers.map((l) => [l.layer, l]));
  const goneOrWeakened: ResultDiff['goneOrWeakened'] = [];
  for (const l of layers) {
    const events = [
      ...l.onlyInA.map((g) => ({ layer: l.layer, group: g.group, status: 'gone' as const, shareA: g.share, shareB: 0, matchedB: null })),
      ...l.matched
        .filter((m) => m.weakened)
        .map((m) => ({ layer: l.layer, group: m.a, status: 'weakened' as const, shareA: m.shareA, shareB: m.shareB, matchedB: m.b })),
    ];
    goneOrWeakened.push(...events.sort((x, y) => x.group - y.group));
  }
  const grouped = (d: ResultDocument) => new Set(d.layers.filter((l) => l.grouping).map((l) => l.name));
  const [ga, gb] = [grouped(a), grouped(b)];
  return {
    a: names[0],
    b: names[1],
    class: a.class.name,
    layers,
    edges: diffEdges(a, b, byName),
    goneOrWeakened,
    layersOnlyInA: [...ga].filter((n) => !gb.has(n)),
    layersOnlyInB: [...gb].filter((n) => !ga.has(n)),
  };
}

/**
 * Which crops stand for a neuron group of a result document: its representative crops (the representative
 * pairs' sub-concept representatives), all of its crops, and the lower groups that feed it (the circuit) with
 * their own representative crops.
 */
import { UsageError } from '../errors';
import type { GroupingResult, LayerResult, ResultDocument } from '../result/schema';

/** A group of a result: layer name and index into that layer's `grouping.groups`. */
export interface GroupRef {
  layer: string;
  group: number;
}

export interface LocatedGroup {
  layer: LayerResult;
  /** Position of the layer in `doc.layers` (top first). */
  layerIndex: number;
  grouping: GroupingResult;
  index: number;
}

export function findGroup(doc: ResultDocument, ref: GroupRef): LocatedGroup {
  const layerIndex = doc.layers.findIndex((l) => l.name === ref.layer);
  if (layerIndex < 0) throw new UsageError(`layer ${ref.layer} is not in this result (layers: ${doc.layers.map((l) => l.name).join(', ')})`);
  const layer = doc.layers[layerIndex];
  if (!layer.grouping) throw new UsageError(`layer ${ref.layer} has no groups (the lowest layer of an analysis has none)`);
  if (!Number.isInteger(ref.group) || ref.group < 0 || ref.group >= layer.grouping.groups.length) {
    throw new UsageError(`layer ${ref.layer} has no group ${ref.group} (it has ${layer.grouping.groups.length})`);
  }
  return { layer, layerIndex, grouping: layer.grouping, index: ref.group };
}

/** Every group of every grouped layer, top layer first. */
export function allGroups(doc: ResultDocument): GroupRef[] {
  return doc.layers.flatMap((l) => (l.grouping?.groups ?? []).map((_, group) => ({ layer: l.name, group })));
}

/** Interleaves lists: first items of each, then second items, ...; drops repeats. */
function roundRobin(lists: readonly (readonly number[])[]): number[] {
  const out: number[] = [];
  const seen = new Set<number>();
  const longest = Math.max(0, ...lists.map((l) => l.length));
  for (let k = 0; k < longest; k++) {
    for (const l of lists) {
      if (k < l.length && !seen.has(l[k])) {
        seen.add(l[k]);
        out.push(l[k]);
      }
    }
  }
  return out;
}

export interface GroupCrops {
  /** Representative crops, most representative first: the representative pairs' sub-concept representatives
   * (round robin over the pairs, nearest the centre first), then the other members'. No duplicates. */
  ranked: number[];
  /** Every crop of every member sub-concept, ascending, no duplicates. */
  all: number[];
}

function subconceptOf(layer: LayerResult, pair: [number, number]) {
  const neuron = layer.neurons.find((n) => n.channel === pair[0]);
  const sc = neuron?.subconcepts[pair[1]];
  if (!sc) throw new UsageError(`layer ${layer.name}: pair (neuron ${pair[0]}, sub-concept ${pair[1]}) is not in the layer's neurons`);
  return sc;
}

export function groupCrops(doc: ResultDocument, ref: GroupRef): GroupCrops {
  const { layer, grouping, index } = findGroup(doc, ref);
  const g = grouping.groups[index];
  const reps = new Set(g.representatives);
  const order = [...g.representatives, ...g.members.filter((m) => !reps.has(m))];
  const lists = order.map((p) => subconceptOf(layer, grouping.pairs[p]).representatives);
  const repCount = g.representatives.length;
  const ranked = [...new Set([...roundRobin(lists.slice(0, repCount)), ...roundRobin(lists.slice(repCount))])];
  const all = [...new Set(g.members.flatMap((p) => subconceptOf(layer, grouping.pairs[p]).crops))].sort((a, b) => a - b);
  return { ranked, all };
}

/** The crops among `crops` that have a thumbnail in the document, in order. */
export function withThumbnails(doc: ResultDocument, crops: readonly number[]): number[] {
  return crops.filter((c) => doc.crops.thumbnails[String(c)] !== undefined);
}

/** A group of the layer below that feeds a group (a positive circuit edge). */
export interface FeedingUnit {
  layer: string;
  /** Group index in the lower layer. */
  index: number;
  /** Circuit weight (positive). */
  weight: number;
  /** `weight` over the summed absolute weights of the group's edges to the layer below. */
  share: number;
  /** Its representative crops that have thumbnails, most representative first. */
  crops: number[];
}

/**
 * The lower groups with positive circuit weight into the group, strongest first (ties: lower index), at most
 * `max`, each with at most `cropsPer` crops. Empty for the lowest grouped layer (the layer below has no groups).
 */
export function feedingUnits(doc: ResultDocument, ref: GroupRef, max = 3, cropsPer = 3): FeedingUnit[] {
  const { layer, layerIndex, index } = findGroup(doc, ref);
  const lower = doc.layers[layerIndex + 1];
  const circuit = doc.circuit.find((c) => c.upper === layer.name && c.lower === lower?.name);
  if (!lower?.grouping || !circuit || max <= 0) return [];
  const count = lower.grouping.groups.length;
  const edges = circuit.edges.filter((e) => e.from === index && e.to < count);
  const total = edges.reduce((s, e) => s + Math.abs(e.weight), 0);
  return edges
    .filter((e) => e.weight > 0)
    .sort((a, b) => b.weight - a.weight || a.to - b.to)
    .map((e) => ({
      layer: lower.name,
      index: e.to,
      weight: e.weight,
      share: total > 0 ? e.weight / total : 0,
      crops: withThumbnails(doc, groupCrops(doc, { layer: lower.name, group: e.to }).ranked).slice(0, cropsPer),
    }))
    .filter((u) => u.crops.length > 0)
    .slice(0, max);
}

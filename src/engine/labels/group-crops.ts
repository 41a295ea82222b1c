/**
 * Which crops stand for a neuron group of a result document: its representative crops (the representative
 * pairs' sub-concept representatives), all of its crops, and the lower groups that feed it with their own
 * representative crops (from the circuit; from the lower layer's neurons when that layer has no groups).
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
      if (k < l.length && !seen.has(l[k])) { seen.add(l[k]); out.push(l[k]); }
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

/** A lower unit that feeds a group: a group of the layer below, or a neuron when that layer has no groups. */
export interface FeedingUnit {
  layer: string;
  kind: 'group' | 'neuron';
  /** Group index, or the neuron's channel. */
  index: number;
  /** Circuit weight (groups) or summed edge weight of the group's pairs (neurons); positive. */
  weight: number;
  /** `weight` over the summed absolute weights of everything below that the group connects to. */
  share: number;
  /** Its representative crops that have thumbnails, most representative first. */
  crops: number[];
}

/**
 * The lower units with positive weight into the group, strongest first (ties: lower index), at most `max`, each
 * with at most `cropsPer` crops. Empty for a group of the lowest grouped layer when the layer below was not kept.
 */
export function feedingUnits(doc: ResultDocument, ref: GroupRef, max = 3, cropsPer = 3): FeedingUnit[] {
  const { layer, layerIndex, grouping, index } = findGroup(doc, ref);
  const lower = doc.layers[layerIndex + 1];
  if (!lower || max <= 0) return [];
  const circuit = doc.circuit.find((c) => c.upper === layer.name && c.lower === lower.name);
  let units: { kind: FeedingUnit['kind']; index: number; weight: number; crops: number[] }[];
  if (circuit && lower.grouping) {
    units = circuit.edges.filter((e) => e.from === index).map((e) => ({
      kind: 'group' as const, index: e.to, weight: e.weight,
      crops: e.to < lower.grouping!.groups.length ? groupCrops(doc, { layer: lower.name, group: e.to }).ranked : [],
    }));
  } else {
    // No groups below: the group's pairs' edge weights to their neurons' core inputs, summed per lower neuron.
    const byChannel = new Map<number, number>();
    for (const p of grouping.groups[index].members) {
      const [channel, s] = grouping.pairs[p];
      const neuron = layer.neurons.find((n) => n.channel === channel);
      const w = neuron?.subconcepts[s]?.weights ?? [];
      neuron?.coreInputs.forEach((v, k) => byChannel.set(v, (byChannel.get(v) ?? 0) + (w[k] ?? 0)));
    }
    units = [...byChannel].map(([channel, weight]) => ({
      kind: 'neuron' as const, index: channel, weight,
      crops: lower.neurons.find((n) => n.channel === channel)?.topCrops ?? [],
    }));
  }
  const total = units.reduce((s, u) => s + Math.abs(u.weight), 0);
  return units
    .filter((u) => u.weight > 0)
    .sort((a, b) => b.weight - a.weight || a.index - b.index)
    .slice(0, max)
    .map((u) => ({
      layer: lower.name, kind: u.kind, index: u.index, weight: u.weight,
      share: total > 0 ? u.weight / total : 0, crops: withThumbnails(doc, u.crops).slice(0, cropsPer),
    }))
    .filter((u) => u.crops.length > 0);
}

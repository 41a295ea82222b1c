/**
 * What the views show about the groups of a result document: per group its member neurons (channel,
 * sub-concept), its crops ranked by how representative they are, a thumbnail and a label. Pure functions of the
 * document (no DOM), shared by the circuit, group and mistakes views and testable in Node.
 */
import type { CropRow, LayerResult, ResultDocument } from '../../src/engine/result/schema';

export interface GroupMember {
  /** Index into the layer's `grouping.pairs`. */
  pair: number;
  channel: number;
  /** Sub-concept index of the neuron. */
  subconcept: number;
  /** Crops of the sub-concept. */
  crops: number;
  /** Mean activation of the neuron over the sub-concept's crops. */
  activation: number;
}

export interface GroupInfo {
  /** `layer/G<index>`: the node id in the circuit and the item name reported to the host. */
  id: string;
  layer: string;
  index: number;
  /** Members in pair order; `representative` ones first in `ranked`. */
  members: GroupMember[];
  /** Distinct channels (the neurons masked by "Mask group"), ascending. */
  channels: number[];
  /** The group's crops: its representative pairs' representative crops first, then the other members', no
   * duplicates. */
  crops: number[];
  /** Data URI of the first crop that has a thumbnail. */
  thumbnail?: string;
  label?: string;
  /** "G2 · 5 neurons" or the label. */
  caption: string;
}

export const groupId = (layer: string, index: number) => `${layer}/G${index}`;

export function parseGroupId(id: string): { layer: string; index: number } | undefined {
  const m = /^(.*)\/G(\d+)$/.exec(id);
  return m ? { layer: m[1], index: Number(m[2]) } : undefined;
}

function neuronByChannel(layer: LayerResult): Map<number, LayerResult['neurons'][number]> {
  return new Map(layer.neurons.map((n) => [n.channel, n]));
}

/** The groups of a grouped layer (empty for the lowest layer, which has none). */
export function layerGroups(doc: ResultDocument, layer: LayerResult): GroupInfo[] {
  const grouping = layer.grouping;
  if (!grouping) return [];
  const neurons = neuronByChannel(layer);
  const thumbs = doc.crops.thumbnails;
  return grouping.groups.map((g, index) => {
    const members: GroupMember[] = g.members.map((pair) => {
      const [channel, s] = grouping.pairs[pair];
      const sc = neurons.get(channel)?.subconcepts[s];
      return { pair, channel, subconcept: s, crops: sc?.crops.length ?? 0, activation: sc?.activation ?? 0 };
    });
    const order = [...g.representatives, ...g.members.filter((m) => !g.representatives.includes(m))];
    const crops: number[] = [];
    const seen = new Set<number>();
    for (const pair of order) {
      const [channel, s] = grouping.pairs[pair];
      for (const c of neurons.get(channel)?.subconcepts[s]?.representatives ?? []) {
        if (!seen.has(c)) {
          seen.add(c);
          crops.push(c);
        }
      }
    }
    const channels = [...new Set(members.map((m) => m.channel))].sort((a, b) => a - b);
    const thumbCrop = crops.find((c) => thumbs[String(c)] !== undefined);
    const label = g.label?.text;
    const caption = label ?? `G${index} · ${channels.length} neuron${channels.length === 1 ? '' : 's'}`;
    return {
      id: groupId(layer.name, index),
      layer: layer.name,
      index,
      members,
      channels,
      crops,
      thumbnail: thumbCrop === undefined ? undefined : thumbs[String(thumbCrop)],
      label,
      caption,
    };
  });
}

/** A crop of the result: its source image (relative path), granularity and box in model-input pixels. */
export interface CropRef {
  id: number;
  image: string;
  granularity: number;
  box: [number, number, number, number];
  thumbnail?: string;
}

export function cropRef(doc: ResultDocument, id: number): CropRef {
  const row: CropRow = doc.crops.table[id];
  return {
    id,
    image: doc.class.images[row[0]] ?? `image ${row[0]}`,
    granularity: row[1],
    box: [row[2], row[3], row[4], row[5]],
    thumbnail: doc.crops.thumbnails[String(id)],
  };
}

/** The model's input size [height, width] as the result records it (preprocessing, else the input shape). */
export function inputSize(doc: ResultDocument): [number, number] {
  const pre = doc.model.preprocessing as { size?: unknown } | undefined;
  if (pre && Array.isArray(pre.size) && pre.size.length === 2) return [Number(pre.size[0]), Number(pre.size[1])];
  const s = doc.model.inputShape;
  const h = Number(s[s.length - 2]);
  const w = Number(s[s.length - 1]);
  return [Number.isFinite(h) ? h : 224, Number.isFinite(w) ? w : 224];
}

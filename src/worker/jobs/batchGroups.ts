/**
 * The groups behind a batch's mistakes, from one saved analysis: image debugging of the samples at a grouped
 * layer (docs/design.md 3.3 step 7), their top groups with evidence boxes and representative thumbnails, and the
 * mask-group what-if (step 8) for each shown group, one masked run per group over the samples that show it.
 */
import type { AnalysisBackend, Tensor32 } from '../../engine/analysis/backend';
import { debugImages } from '../../engine/analysis/debug-image';
import { topPredictions } from '../../engine/analysis/mask';
import { memberChannels } from '../../engine/analysis/groups';
import { UsageError } from '../../engine/errors';
import type { ResultDocument } from '../../engine/result/schema';
import type { ClassProb, SampleGroup } from '../../protocol/batch';

export interface BatchInput {
  /** Per sample, its CHW image (views into the batch). */
  images: Float32Array[];
  channels: number;
  height: number;
  width: number;
  /** Probabilities of each sample before any masking. */
  probs: Float64Array[];
  labels: Int32Array;
  predicted: Int32Array;
  names: string[];
  /** Turns logits of the model into probabilities (softmax unless the model already ends in one). */
  toProbs(logits: Float32Array, row: number, k: number): Float64Array;
}

/** The default layer: the highest grouped layer below the logits. */
export function defaultLayer(doc: ResultDocument): string {
  const grouped = doc.layers.slice(1).find((l) => l.grouping) ?? doc.layers.find((l) => l.grouping);
  if (!grouped) throw new UsageError(`${doc.model.path}: the analysis of class ${doc.class.name} has no grouped layer`);
  return grouped.name;
}

/**
 * The layers a batch can be explained at: the grouped layers below the logits (the top layer is the class itself:
 * masking it would always "change the prediction most"), top first; the top layer only when nothing else is grouped.
 */
export function groupedLayers(doc: ResultDocument): string[] {
  const below = doc.layers.slice(1).filter((l) => l.grouping);
  return (below.length > 0 ? below : doc.layers.filter((l) => l.grouping)).map((l) => l.name);
}

/** How much masking a sample's groups changes the class its analysis explains: the largest probability drop. */
function maskDrop(role: 'predicted' | 'label', groups: readonly SampleGroup[]): number {
  let drop = 0;
  for (const g of groups) drop = Math.max(drop, role === 'predicted' ? g.mask.predictedBefore - g.mask.predictedAfter : g.mask.labelBefore - g.mask.labelAfter);
  return drop;
}

/**
 * The layer the batch view shows first: the grouped layer where masking a sample's groups lowers the explained
 * class's probability most, averaged over the samples explained there (a layer where masking changes nothing
 * explains nothing). `effects` lists each layer's mean drop, in the order the layers first appear (top first).
 * Ties keep the higher layer. Undefined when no sample has per-layer groups.
 */
export function chooseLayer(
  samples: readonly { explanation?: { role: 'predicted' | 'label'; layers?: { layer: string; groups: SampleGroup[] }[] } }[],
): { layer: string; effects: { layer: string; drop: number; samples: number }[] } | undefined {
  const sums = new Map<string, { sum: number; n: number }>();
  for (const s of samples) {
    for (const at of s.explanation?.layers ?? []) {
      const e = sums.get(at.layer) ?? { sum: 0, n: 0 };
      e.sum += maskDrop(s.explanation!.role, at.groups);
      e.n++;
      sums.set(at.layer, e);
    }
  }
  const effects = [...sums].map(([layer, e]) => ({ layer, drop: e.sum / e.n, samples: e.n }));
  if (effects.length === 0) return undefined;
  const best = effects.reduce((a, b) => (b.drop > a.drop ? b : a));
  return { layer: best.layer, effects };
}

const area = (b: readonly number[]) => (b[2] - b[0]) * (b[3] - b[1]);

export const classProbs = (p: Float64Array, names: string[], count: number): ClassProb[] =>
  topPredictions(p, count).map((t) => ({ class: t.class, name: names[t.class] ?? `class ${t.class}`, prob: t.prob }));

/** Thumbnails of the group's representative pairs: each pair's first representative crop. */
function representativeThumbs(doc: ResultDocument, layerName: string, group: number, max = 4): string[] {
  const layer = doc.layers.find((l) => l.name === layerName)!;
  const g = layer.grouping!.groups[group];
  const out: string[] = [];
  for (const p of g.representatives.length > 0 ? g.representatives : g.members) {
    const [channel, s] = layer.grouping!.pairs[p];
    const sub = layer.neurons.find((n) => n.channel === channel)?.subconcepts[s];
    for (const crop of sub?.representatives ?? []) {
      const thumb = doc.crops.thumbnails[String(crop)];
      if (thumb && !out.includes(thumb)) {
        out.push(thumb);
        break;
      }
    }
    if (out.length >= max) break;
  }
  return out;
}

/**
 * Top groups of each sample (indices into `input.images`) at `layerName` of `doc`, with masking what-ifs.
 * Returns one list per requested sample.
 */
export async function explainSamples(
  backend: AnalysisBackend,
  doc: ResultDocument,
  layerName: string,
  samples: readonly number[],
  input: BatchInput,
  topGroups: number,
  signal: AbortSignal,
): Promise<SampleGroup[][]> {
  const geometry = { height: input.height, width: input.width };
  const debugs = await debugImages(
    backend,
    doc,
    samples.map((i) => input.images[i]),
    input.channels,
    geometry,
    { layer: layerName, signal },
  );
  const layer = doc.layers.find((l) => l.name === layerName)!;
  const out: SampleGroup[][] = debugs.map((d) =>
    d.ranked.slice(0, topGroups).map((r) => {
      const grouping = d.grouping;
      const channels = memberChannels(grouping, r.group);
      const boxes = r.evidence
        .map((c) => d.crops[c].box)
        .sort((a, b) => area(a) - area(b))
        .slice(0, 8);
      return {
        group: r.group,
        label: grouping.groups[r.group].label?.text,
        score: r.score,
        evidence: boxes.map((b) => [...b] as [number, number, number, number]),
        bestBox: [...d.crops[r.bestCrop].box] as [number, number, number, number],
        channels,
        representatives: grouping === layer.grouping ? representativeThumbs(doc, layerName, r.group) : [],
        mask: { predictedBefore: 0, predictedAfter: 0, labelBefore: 0, labelAfter: 0, top: [] },
      };
    }),
  );
  // One masked run per group, over the samples that show it.
  const byGroup = new Map<number, { sample: number; slot: SampleGroup }[]>();
  out.forEach((groups, k) =>
    groups.forEach((slot) => {
      const list = byGroup.get(slot.group) ?? [];
      list.push({ sample: samples[k], slot });
      byGroup.set(slot.group, list);
    }),
  );
  const plane = input.channels * input.height * input.width;
  for (const [, list] of byGroup) {
    if (signal.aborted) throw new UsageError('Explain Batch was cancelled');
    const data = new Float32Array(list.length * plane);
    list.forEach((e, i) => data.set(input.images[e.sample], i * plane));
    const batch: Tensor32 = { data, dims: [list.length, input.channels, input.height, input.width] };
    const logits = await backend.maskedLogits(batch, layer.tensor, list[0].slot.channels, signal);
    const k = logits.dims[1];
    list.forEach((e, i) => {
      const after = input.toProbs(logits.data, i, k);
      const before = input.probs[e.sample];
      const pred = input.predicted[e.sample],
        label = input.labels[e.sample];
      e.slot.mask = {
        predictedBefore: before[pred],
        predictedAfter: after[pred],
        labelBefore: before[label],
        labelAfter: after[label],
        top: classProbs(after, input.names, 3),
      };
    });
  }
  return out;
}

/**
 * Image debugging (docs/design.md 3.3 step 7) of many images at every grouped layer of a result in one pass of the
 * model per batch of crops, keeping what the shortcut finder needs per (layer, group, image): whether the group
 * is present (score >= threshold), its tightest evidence box (the best-scoring evidence crop at the smallest
 * granularity that has any), how much of the image its evidence at that granularity covers, and the layer's
 * channel means of that crop (to compare evidence across images).
 */
import type { AnalysisBackend } from '../analysis/backend';
import { rowsOf } from '../analysis/backend';
import { boxesOverlap, cropBatch, imageCrops, windowSize, windowStride, type Box, type Crop, type CropGeometry } from '../analysis/crops';
import { debugGroups, type DebugPair } from '../analysis/debug';
import { pairGroups } from '../analysis/regroup';
import { groupNeurons } from '../analysis/groups';
import { UsageError } from '../errors';
import type { LayerResult, ResultDocument } from '../result/schema';

export interface GroupPresence {
  /** exp(max log-barrier) over the image's crops. */
  score: number;
  /** score >= threshold and at least one evidence crop. */
  present: boolean;
  /** Granularity of the tightest evidence (1 when absent). */
  granularity: number;
  /** Where the evidence is: the intersection of the evidence crops at that granularity that overlap the best one,
   * padded by half a window stride (the windows' step, i.e. how precisely they place it); the image's best crop
   * when absent. */
  box: Box;
  /** Share of the image covered by the union of the evidence crops at that granularity (0 when absent). */
  coverage: number;
  /** Channel means of the layer on `box`'s crop. */
  vector: Float32Array;
}

export interface LayerEvidence {
  layer: string;
  tensor: string;
  /** Distinct channels of each group (what masking zeroes). */
  channels: number[][];
  /** presence[group][image]. */
  presence: GroupPresence[][];
  /** Mean channel-mean vector over every crop of every image: the baseline evidence vectors are compared against. */
  meanCrop: Float32Array;
}

/** The grouped layers of a result below its top (logits) layer: masking the class logit itself says nothing. */
export function auditLayers(doc: ResultDocument): LayerResult[] {
  return doc.layers.slice(1).filter((l) => l.grouping && l.grouping.groups.length > 0);
}

/** The evidence's location from overlapping evidence windows (see GroupPresence.box). */
export function locate(windows: readonly Box[], best: Box, granularity: number, geom: CropGeometry, strideRatio: number): Box {
  const near = windows.filter((b) => boxesOverlap(b, best));
  const cut: Box = [...best] as Box;
  for (const b of near) {
    cut[0] = Math.max(cut[0], b[0]);
    cut[1] = Math.max(cut[1], b[1]);
    cut[2] = Math.min(cut[2], b[2]);
    cut[3] = Math.min(cut[3], b[3]);
  }
  const padX = Math.floor(windowStride(windowSize(granularity, geom.width), geom.width, strideRatio) / 2);
  const padY = Math.floor(windowStride(windowSize(granularity, geom.height), geom.height, strideRatio) / 2);
  return [Math.max(0, cut[0] - padX), Math.max(0, cut[1] - padY), Math.min(geom.width, cut[2] + padX), Math.min(geom.height, cut[3] + padY)];
}

function coverageOf(boxes: readonly Box[], geom: CropGeometry): number {
  const { height, width } = geom;
  const covered = new Uint8Array(height * width);
  let n = 0;
  for (const [x0, y0, x1, y1] of boxes) {
    for (let y = y0; y < y1; y++)
      for (let x = x0; x < x1; x++)
        if (!covered[y * width + x]) {
          covered[y * width + x] = 1;
          n++;
        }
  }
  return n / (height * width);
}

/** Debugs `images` (preprocessed CHW) at every audit layer of `doc`. */
export async function layerEvidence(
  backend: AnalysisBackend,
  doc: ResultDocument,
  images: readonly Float32Array[],
  channels: number,
  geom: CropGeometry,
  options: { signal?: AbortSignal; onProgress?: (done: number, total: number) => void } = {},
): Promise<LayerEvidence[]> {
  const layers = auditLayers(doc);
  const threshold = doc.params.debugThreshold;
  const crops: Crop[] = imageCrops(geom, doc.params.debugGranularities, doc.params.strideRatio);
  const setups = layers.map((layer) => {
    const grouping = layer.grouping!;
    const groupOf = pairGroups(grouping, doc.params.debugTopPairs);
    const byChannel = new Map(layer.neurons.map((n) => [n.channel, n]));
    const pairs: DebugPair[] = grouping.pairs.map(([channel, s], i) => ({
      neuron: channel,
      group: groupOf[i],
      activation: byChannel.get(channel)!.subconcepts[s].activation,
    }));
    const groupChannels = groupNeurons(grouping);
    const width = layer.shape[0];
    return { layer, pairs, groupChannels, presence: grouping.groups.map(() => [] as GroupPresence[]), sum: new Float64Array(width), n: 0 };
  });
  const perBatch = Math.max(1, Math.floor(1024 / crops.length));
  for (let start = 0; start < images.length; start += perBatch) {
    if (options.signal?.aborted) throw new UsageError('audit cancelled');
    const part = images.slice(start, start + perBatch);
    const all = part.flatMap((_, i) => crops.map((c) => ({ ...c, image: i })));
    const means = await backend.channelMeans(
      { data: cropBatch(all, part, channels, geom), dims: [all.length, channels, geom.height, geom.width] },
      layers.map((l) => l.tensor),
      options.signal,
    );
    setups.forEach((s, li) => {
      const rows = rowsOf(means[li]);
      for (const row of rows) {
        for (let c = 0; c < row.length && c < s.sum.length; c++) s.sum[c] += row[c];
        s.n++;
      }
      part.forEach((_, i) => {
        const mine = rows.slice(i * crops.length, (i + 1) * crops.length);
        const res = debugGroups(mine, s.pairs, threshold);
        for (const r of res) {
          const present = r.score >= threshold && r.evidence.length > 0;
          let chosen = r.bestCrop;
          let granularity = 1;
          let coverage = 0;
          let box: Box = [...crops[chosen].box] as Box;
          if (present) {
            granularity = Math.min(...r.evidence.map((c) => crops[c].granularity));
            const tight = r.evidence.filter((c) => crops[c].granularity === granularity);
            chosen = tight.reduce((b, c) => (r.logBarrier[c] > r.logBarrier[b] ? c : b), tight[0]);
            coverage = coverageOf(
              tight.map((c) => crops[c].box),
              geom,
            );
            box = locate(
              tight.map((c) => crops[c].box),
              crops[chosen].box,
              granularity,
              geom,
              doc.params.strideRatio,
            );
          }
          s.presence[r.group][start + i] = {
            score: r.score,
            present,
            granularity,
            box,
            coverage,
            vector: Float32Array.from(mine[chosen]),
          };
        }
      });
    });
    options.onProgress?.(Math.min(start + perBatch, images.length), images.length);
  }
  return setups.map((s) => ({
    layer: s.layer.name,
    tensor: s.layer.tensor,
    channels: s.groupChannels,
    // A group without representative pairs is never scored: absent on every image.
    presence: s.presence.map((list) => Array.from({ length: images.length }, (_, i) => list[i] ?? absent(list, geom))),
    meanCrop: Float32Array.from(s.sum, (v) => (s.n > 0 ? v / s.n : 0)),
  }));
}

function absent(list: GroupPresence[], geom: CropGeometry): GroupPresence {
  const any = list.find(Boolean);
  return { score: 0, present: false, granularity: 1, box: [0, 0, geom.width, geom.height], coverage: 0, vector: new Float32Array(any?.vector.length ?? 0) };
}

/**
 * Debugging one image against a saved result (docs/design.md 3.3 step 7): the image's crops at the debug
 * granularities, their channel means at the layer, and every group's log-barrier score and evidence crops,
 * ranked. Uses the stored groups, or re-groups the stored concept vectors at another count.
 */
import { UsageError } from '../errors';
import type { GroupingResult, ResultDocument } from '../result/schema';
import { rowsOf, type AnalysisBackend } from './backend';
import { cropBatch, imageCrops, type Crop, type CropGeometry } from './crops';
import { debugGroups, rankGroups, type DebugPair, type GroupDebug } from './debug';
import { pairGroups, regroupLayer } from './regroup';

export interface DebugOptions {
  layer: string;
  /** Group count (default: the stored grouping). */
  groups?: number;
  threshold?: number;
  granularities?: number[];
  strideRatio?: number;
  /** Pairs nearest each group centre that represent it (the authors' num_top_vecs; 0 = all). */
  topPairs?: number;
  signal?: AbortSignal;
}

export interface ImageDebug {
  layer: string;
  crops: Crop[];
  /** Groups, highest score first. */
  ranked: GroupDebug[];
  grouping: GroupingResult;
}

/** Debugs preprocessed CHW images (one result per image) at one layer of a result. */
export async function debugImages(
  backend: AnalysisBackend,
  doc: ResultDocument,
  images: readonly Float32Array[],
  channels: number,
  geometry: CropGeometry,
  options: DebugOptions,
): Promise<ImageDebug[]> {
  const layer = doc.layers.find((l) => l.name === options.layer);
  if (!layer) throw new UsageError(`layer ${options.layer} is not in this result (layers: ${doc.layers.map((l) => l.name).join(', ')})`);
  if (!layer.grouping)
    throw new UsageError(
      `layer ${options.layer} has no groups (the lowest layer of an analysis is not explained); pick one of ${doc.layers
        .filter((l) => l.grouping)
        .map((l) => l.name)
        .join(', ')}`,
    );
  const grouping =
    options.groups !== undefined && options.groups !== layer.grouping.count ? regroupLayer(layer, options.groups, doc.params.representatives) : layer.grouping;
  const topPairs = options.topPairs ?? doc.params.debugTopPairs;
  const groupOf = pairGroups(grouping, topPairs);
  const pairs: DebugPair[] = grouping.pairs.map(([channel, s], i) => ({
    neuron: channel,
    group: groupOf[i],
    activation: layer.neurons.find((n) => n.channel === channel)!.subconcepts[s].activation,
  }));
  const crops = imageCrops(geometry, options.granularities ?? doc.params.debugGranularities, options.strideRatio ?? doc.params.strideRatio);
  const out: ImageDebug[] = [];
  const perBatch = Math.max(1, Math.floor(512 / crops.length));
  for (let start = 0; start < images.length; start += perBatch) {
    if (options.signal?.aborted) throw new UsageError('debugging cancelled');
    const part = images.slice(start, start + perBatch);
    const all = part.flatMap((_, i) => crops.map((c) => ({ ...c, image: i })));
    const means = await backend.channelMeans(
      { data: cropBatch(all, part, channels, geometry), dims: [all.length, channels, geometry.height, geometry.width] },
      [layer.tensor],
      options.signal,
    );
    const rows = rowsOf(means[0]);
    part.forEach((_, i) => {
      const res = debugGroups(rows.slice(i * crops.length, (i + 1) * crops.length), pairs, options.threshold ?? doc.params.debugThreshold);
      out.push({ layer: layer.name, crops, ranked: rankGroups(res), grouping });
    });
  }
  return out;
}

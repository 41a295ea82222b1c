/**
 * Faithfulness (DESIGN 5.4, the paper's protocol): per layer, the class accuracy (share of the class's images
 * still predicted as the class) after zeroing the layer's core neurons, against zeroing as many random neurons
 * of the layer (mean over seeds). Core neurons should hurt more.
 */
import type { FidelityRow, ResultDocument } from '../result/schema';
import type { AnalysisBackend, Tensor32 } from './backend';
import { argmaxRows } from './mask';
import type { ProgressEvent } from './pipeline';

/** mulberry32: a small seeded generator, so random baselines are reproducible. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` distinct channels out of `total`, drawn with `rand` (partial Fisher-Yates). */
export function randomChannels(total: number, count: number, rand: () => number): number[] {
  const idx = Array.from({ length: total }, (_, i) => i);
  for (let i = 0; i < Math.min(count, total); i++) {
    const j = i + Math.floor(rand() * (total - i));
    [idx[i], idx[j]] = [idx[j], idx[i]];
  }
  return idx.slice(0, Math.min(count, total)).sort((a, b) => a - b);
}

export interface FidelityOptions {
  seeds?: number;
  seed?: number;
  signal?: AbortSignal;
  onProgress?: (e: ProgressEvent) => void;
}

/** Accuracy on the class when `channels` of `tensor` are zeroed. */
async function accuracy(backend: AnalysisBackend, inputs: Tensor32, tensor: string, channels: readonly number[], cls: number, signal?: AbortSignal): Promise<number> {
  const preds = argmaxRows(await backend.maskedLogits(inputs, tensor, channels, signal));
  return preds.filter((p) => p === cls).length / preds.length;
}

/** The fidelity table for every layer below the top of a result. `inputs` are the class's images. */
export async function fidelityTable(backend: AnalysisBackend, doc: ResultDocument, inputs: Tensor32, options: FidelityOptions = {}): Promise<FidelityRow[]> {
  const seeds = options.seeds ?? 5;
  const cls = doc.class.index;
  const rows: FidelityRow[] = [];
  const layers = doc.layers.slice(1);
  for (const [li, layer] of layers.entries()) {
    options.onProgress?.({ stage: 'fidelity', layer: layer.name, done: li, total: layers.length, message: `Fidelity: masking ${layer.name}` });
    const core = layer.neurons.map((n) => n.channel);
    const baseline = await accuracy(backend, inputs, layer.tensor, [], cls, options.signal);
    const masked = await accuracy(backend, inputs, layer.tensor, core, cls, options.signal);
    let random = 0;
    for (let s = 0; s < seeds; s++) {
      const rand = seededRandom((options.seed ?? doc.params.seed) * 1000 + s + 1);
      random += await accuracy(backend, inputs, layer.tensor, randomChannels(layer.shape[0], core.length, rand), cls, options.signal);
    }
    rows.push({ layer: layer.name, neurons: core.length, baseline, core: masked, random: random / seeds, randomSeeds: seeds });
  }
  return rows;
}

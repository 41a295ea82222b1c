/**
 * Faithfulness (docs/design.md 5.4, the paper's protocol): per layer, the class accuracy (share of the class's images
 * still predicted as the class) after zeroing the layer's core neurons, against zeroing as many random neurons
 * of the layer (mean over seeds): core neurons should hurt more. Also the paper's "retaining" variant: keep only
 * the core neurons (zero the rest) against keeping as many random ones: core neurons should keep more.
 */
import type { FidelityRow, ResultDocument } from '../result/schema';
import type { AnalysisBackend, Tensor32 } from './backend';
import { argmaxRows } from './mask';
import { softmax } from '../util/probs';
import type { ProgressEvent } from './pipeline';
import { seededRandom } from '../util/random';

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
  /**
   * Most neurons masked per layer, as a share of the layer's channels (default 0.5): when the core set covers
   * more, its most important neurons (summed mean |IG| from the layer above) are masked, as the authors'
   * `num_features` option does; masking (nearly) every channel says nothing about which ones matter.
   */
  maxFraction?: number;
  signal?: AbortSignal;
  onProgress?: (e: ProgressEvent) => void;
}

/** Mean of each row's softmax probability of class `cls`. */
function meanClassProbability(logits: Tensor32, cls: number): number {
  const n = logits.dims[0];
  const k = logits.data.length / n;
  let sum = 0;
  for (let r = 0; r < n; r++) sum += softmax(logits.data, r * k, k)[cls];
  return sum / n;
}

/** Accuracy on the class and its mean probability when `channels` of `tensor` are zeroed (or all others, with `retain`). */
async function effect(
  backend: AnalysisBackend,
  inputs: Tensor32,
  tensor: string,
  channels: readonly number[],
  total: number,
  cls: number,
  retain: boolean,
  signal?: AbortSignal,
): Promise<{ accuracy: number; probability: number }> {
  const keep = new Set(channels);
  const zeroed = retain ? Array.from({ length: total }, (_, c) => c).filter((c) => !keep.has(c)) : [...channels];
  const logits = await backend.maskedLogits(inputs, tensor, zeroed, signal);
  const preds = argmaxRows(logits);
  return { accuracy: preds.filter((p) => p === cls).length / preds.length, probability: meanClassProbability(logits, cls) };
}

/** Core neurons of a layer by importance (summed mean |IG| over the upper neurons that chose them), ties by channel. */
export function rankedCore(layer: ResultDocument['layers'][number]): number[] {
  const score = (n: (typeof layer.neurons)[number]) => n.parents.reduce((s, p) => s + p.igMeanAbs, 0);
  return [...layer.neurons].sort((a, b) => score(b) - score(a) || a.channel - b.channel).map((n) => n.channel);
}

/**
 * The fidelity table for every layer below the top of a result. `inputs` are the class's images. Per layer:
 * masking the (most important) core neurons vs as many random ones, and retaining only them vs only as many
 * random ones (the paper's single-layer masking and retaining).
 */
export async function fidelityTable(backend: AnalysisBackend, doc: ResultDocument, inputs: Tensor32, options: FidelityOptions = {}): Promise<FidelityRow[]> {
  const seeds = options.seeds ?? 5;
  const cls = doc.class.index;
  const rows: FidelityRow[] = [];
  const layers = doc.layers.slice(1);
  for (const [li, layer] of layers.entries()) {
    options.onProgress?.({ stage: 'fidelity', layer: layer.name, done: li, total: layers.length, message: `Fidelity: masking ${layer.name}` });
    const total = layer.shape[0];
    const n = Math.max(1, Math.min(layer.neurons.length, Math.floor(total * (options.maxFraction ?? 0.5))));
    const core = rankedCore(layer).slice(0, n);
    const run = (channels: readonly number[], retain: boolean) => effect(backend, inputs, layer.tensor, channels, total, cls, retain, options.signal);
    const baseline = await run([], false);
    const masked = await run(core, false);
    const retained = await run(core, true);
    let random = 0;
    let randomProb = 0;
    let randomRetained = 0;
    for (let s = 0; s < seeds; s++) {
      const channels = randomChannels(total, n, seededRandom((options.seed ?? doc.params.seed) * 1000 + s + 1));
      const r = await run(channels, false);
      random += r.accuracy;
      randomProb += r.probability;
      randomRetained += (await run(channels, true)).accuracy;
    }
    rows.push({
      layer: layer.name,
      neurons: layer.neurons.length,
      masked: n,
      channels: total,
      baseline: baseline.accuracy,
      core: masked.accuracy,
      random: random / seeds,
      coreRetained: retained.accuracy,
      randomRetained: randomRetained / seeds,
      randomSeeds: seeds,
      baselineProb: baseline.probability,
      coreProb: masked.probability,
      randomProb: randomProb / seeds,
    });
  }
  return rows;
}

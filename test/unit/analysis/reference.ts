/**
 * Loads the authors' NeurFlow reference run (shared/reference/neurflow) for the analysis tests: per framework
 * layer L ("5".."1"), the neurons with their top crops, IG matrices, lower vectors and the stored results.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { readNpy } from '../../../src/engine/io/npy';

export interface RefNeuron {
  id: number;
  critical: number[];
  crops: number[];
  activations: number[];
  labels: number[];
  nClusters: number;
  raw: Record<string, Record<string, number>>;
  rescaled: Record<string, Record<string, number>>;
  activationValues: Record<string, number>;
  conceptVectors: Record<string, number[]>;
  topImages: Record<string, number[]>;
  meanAbsIg: number[];
  lowerVectors: Float32Array[];
  ig: Float32Array[];
}

export interface RefLayer {
  L: string;
  upper: string;
  lower: string;
  order: number[];
  neurons: RefNeuron[];
}

export function loadReferenceLayers(dir: string): RefLayer[] {
  const doc = JSON.parse(readFileSync(path.join(dir, 'neurons.json'), 'utf8'));
  return ['5', '4', '3', '2', '1'].map((L) => {
    const layer = doc.layers[L];
    const ig = readNpy(path.join(dir, layer.ig_scores_file));
    const vecs = readNpy(path.join(dir, layer.lower_vecs_file));
    const [, m, c] = ig.shape;
    const rows = (data: Float32Array, n: number) => Array.from({ length: m }, (_, i) => data.subarray((n * m + i) * c, (n * m + i + 1) * c));
    const neurons = (layer.neuron_order as number[]).map((id, n) => {
      const r = layer.neurons[String(id)];
      return {
        id,
        critical: r.critical_lower_neurons_ranked,
        crops: r.top50_crop_indices,
        activations: r.top50_activations,
        labels: r.top50_sub_concept_labels,
        nClusters: r.silhouette_n_clusters,
        raw: r.lower_layer_cneus_raw,
        rescaled: r.lower_layer_cneus_rescaled,
        activationValues: r.activation_values,
        conceptVectors: r.concept_vectors,
        topImages: r.top_image_indices,
        meanAbsIg: r.mean_abs_ig_per_lower_channel,
        lowerVectors: rows(vecs.data as Float32Array, n),
        ig: rows(ig.data as Float32Array, n),
      };
    });
    return { L, upper: layer.upper_module, lower: layer.lower_module, order: layer.neuron_order, neurons };
  });
}

/** For each of our labels, the reference label most of its members carry. */
export function labelMap(ours: ArrayLike<number>, ref: ArrayLike<number>): Map<number, number> {
  const counts = new Map<number, Map<number, number>>();
  for (let i = 0; i < ours.length; i++) {
    const m = counts.get(ours[i]) ?? new Map<number, number>();
    m.set(ref[i], (m.get(ref[i]) ?? 0) + 1);
    counts.set(ours[i], m);
  }
  const out = new Map<number, number>();
  for (const [k, m] of counts) out.set(k, [...m.entries()].sort((a, b) => b[1] - a[1])[0][0]);
  return out;
}

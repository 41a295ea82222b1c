/**
 * The NeurFlow analysis of one class (docs/design.md 3.3 steps 2-6): crops of the class's images, one batched pass for
 * the channel means of every layer, core neurons from the top layer down (top-m crops, IG, top-tau inputs,
 * sub-concepts), groups per layer and the group circuit. Progress is reported per stage and neuron; an abort
 * stops within one IG batch and returns the layers finished so far (`complete: false`).
 */
import { UsageError } from '../errors';
import type { AnalysisParams } from '../result/schema';
import { rowsOf, spatialSize, type AnalysisBackend, type Tensor32 } from './backend';
import { circuitEdges, groupCircuit, type CircuitEdge } from './circuit';
import type { WardTree } from './cluster';
import { cropBatch, cropTable, type Crop, type CropGeometry } from './crops';
import { groupPairs, type Grouping } from './groups';
import { analyseNeuron, topK, type NeuronAnalysis } from './subconcepts';

export interface LayerSpec {
  name: string;
  tensor: string;
  /** Shape without the batch dimension. */
  shape: number[];
}

export interface ProgressEvent {
  stage: 'activations' | 'neurons' | 'groups' | 'thumbnails' | 'debug' | 'fidelity';
  layer?: string;
  done: number;
  total: number;
  message: string;
}

export interface AnalysisInput {
  backend: AnalysisBackend;
  /** Layers top first; the first is the class logits layer. */
  layers: readonly LayerSpec[];
  /** Preprocessed CHW images of the class. */
  images: readonly Float32Array[];
  channels: number;
  geometry: CropGeometry;
  params: AnalysisParams;
  onProgress?: (e: ProgressEvent) => void;
  signal?: AbortSignal;
}

export interface AnalysedNeuron {
  channel: number;
  parents: { neuron: number; igMeanAbs: number }[];
  /** Global crop indices, by descending activation (empty when not analysed). */
  topCrops: number[];
  analysis?: NeuronAnalysis;
}

export interface AnalysedLayer {
  spec: LayerSpec;
  neurons: AnalysedNeuron[];
  /** Whether every neuron of the layer was analysed (false for the lowest layer and after a cancel). */
  analysed: boolean;
  grouping?: Grouping;
  tree?: WardTree;
}

export interface AnalysisRun {
  crops: Crop[];
  layers: AnalysedLayer[];
  circuit: { upper: string; lower: string; edges: CircuitEdge[] }[];
  complete: boolean;
  timings: Record<string, number>;
}

/** Crops per activation batch: about 64 MB of pixels, at most 512. */
function cropBatchSize(channels: number, g: CropGeometry): number {
  return Math.max(1, Math.min(512, Math.floor((64 << 20) / (channels * g.height * g.width * 4))));
}

export class Cancelled extends Error {
  constructor() {
    super('analysis cancelled');
  }
}

function checkAbort(signal?: AbortSignal): void {
  if (signal?.aborted) throw new Cancelled();
}

/** Channel means of every layer for every crop, in one batched pass of the full model. */
export async function cropMeans(
  input: Pick<AnalysisInput, 'backend' | 'layers' | 'images' | 'channels' | 'geometry' | 'signal' | 'onProgress'>,
  crops: readonly Crop[],
): Promise<Float32Array[][]> {
  const { backend, layers, images, channels, geometry, signal } = input;
  const tensors = layers.map((l) => l.tensor);
  const per = layers.map(() => [] as Float32Array[]);
  const batch = cropBatchSize(channels, geometry);
  for (let start = 0; start < crops.length; start += batch) {
    checkAbort(signal);
    const part = crops.slice(start, start + batch);
    const pixels = cropBatch(part, images, channels, geometry);
    const out = await backend.channelMeans({ data: pixels, dims: [part.length, channels, geometry.height, geometry.width] }, tensors, signal);
    out.forEach((t, li) => {
      for (const row of rowsOf(t)) per[li].push(row.slice());
    });
    input.onProgress?.({
      stage: 'activations',
      done: Math.min(start + batch, crops.length),
      total: crops.length,
      message: `Activations of ${crops.length} crops`,
    });
  }
  return per;
}

/** Analyses one core neuron of `upper` against the layer below. */
async function analyseCoreNeuron(input: AnalysisInput, crops: readonly Crop[], means: Float32Array[][], li: number, neuron: AnalysedNeuron): Promise<void> {
  const { backend, layers, params, images, channels, geometry, signal } = input;
  const upper = layers[li];
  const lower = layers[li + 1];
  const acts = means[li].map((row) => row[neuron.channel]);
  const top = topK(acts, params.topCrops);
  const topCrops = top.map((i) => crops[i]);
  const pixels: Tensor32 = {
    data: cropBatch(topCrops, images, channels, geometry),
    dims: [top.length, channels, geometry.height, geometry.width],
  };
  const a = await backend.activation(pixels, lower.tensor, signal);
  checkAbort(signal);
  const igSum = await backend.integratedGradients(lower.tensor, upper.tensor, a, neuron.channel, signal);
  const positions = spatialSize(a.dims);
  const ig = rowsOf(igSum).map((r) => r.map((v) => v / positions));
  neuron.topCrops = top;
  neuron.analysis = analyseNeuron(
    {
      crops: top,
      activations: top.map((i) => acts[i]),
      lowerVectors: top.map((i) => means[li + 1][i]),
      ig,
    },
    {
      tau: params.tau,
      maxClusters: params.subconceptRange[1],
      representatives: params.representatives,
      normalisation: params.normalisation,
    },
  );
}

/** Pairs (neuron index, sub-concept index) of an analysed layer, in neuron then sub-concept order. */
export function layerPairs(layer: AnalysedLayer): { neuron: number; sub: number }[] {
  return layer.neurons.flatMap((n, ni) => (n.analysis?.subconcepts ?? []).map((_, s) => ({ neuron: ni, sub: s })));
}

/** Groups of an analysed layer (count from the params or by silhouette). Reuses the layer's Ward tree. */
export function groupLayer(layer: AnalysedLayer, params: AnalysisParams, count?: number): void {
  const pairs = layerPairs(layer);
  if (pairs.length === 0) return;
  const vectors = pairs.map((p) => layer.neurons[p.neuron].analysis!.subconcepts[p.sub].conceptVector);
  const { grouping, tree } = groupPairs(
    vectors,
    {
      count: count ?? params.groupCounts[layer.spec.name],
      maxGroups: params.groupRange[1],
      representatives: params.representatives,
    },
    layer.tree,
  );
  layer.grouping = grouping;
  layer.tree = tree;
}

/** Circuit between two adjacent grouped layers. */
export function layerCircuit(upper: AnalysedLayer, lower: AnalysedLayer): CircuitEdge[] {
  const up = layerPairs(upper).map((p) => {
    const n = upper.neurons[p.neuron];
    return { neuron: n.channel, inputs: n.analysis!.coreInputs, weights: n.analysis!.subconcepts[p.sub].weights };
  });
  const low = layerPairs(lower).map((p) => ({ neuron: lower.neurons[p.neuron].channel }));
  const c = groupCircuit(up, upper.grouping!.labels, upper.grouping!.count, low, lower.grouping!.labels, lower.grouping!.count);
  return circuitEdges(c);
}

/** Runs the analysis. Never throws on cancellation: returns what finished with `complete: false`. */
export async function runAnalysis(input: AnalysisInput): Promise<AnalysisRun> {
  const { layers, params, images, geometry, signal } = input;
  if (layers.length < 2) throw new UsageError('the analysis needs at least two layers (the logits and one below)');
  if (images.length === 0) throw new UsageError(`no images of class ${params.classIndex} to analyse`);
  const timings: Record<string, number> = {};
  const t0 = performance.now();
  const crops = cropTable(images.length, geometry, params.granularities, params.strideRatio);
  const result: AnalysedLayer[] = [];
  let complete = false;
  try {
    const means = await cropMeans(input, crops);
    timings.activations = (performance.now() - t0) / 1000;
    let core: AnalysedNeuron[] = [{ channel: params.classIndex, parents: [], topCrops: [] }];
    for (let li = 0; li < layers.length; li++) {
      const layer: AnalysedLayer = { spec: layers[li], neurons: core, analysed: false };
      result.push(layer);
      if (li === layers.length - 1) break;
      const tl = performance.now();
      for (const [k, neuron] of core.entries()) {
        checkAbort(signal);
        input.onProgress?.({
          stage: 'neurons',
          layer: layers[li].name,
          done: k,
          total: core.length,
          message: `Layer ${layers[li].name}: core neurons ${k}/${core.length}`,
        });
        await analyseCoreNeuron(input, crops, means, li, neuron);
      }
      layer.analysed = true;
      timings[`layer:${layers[li].name}`] = (performance.now() - tl) / 1000;
      const below = new Map<number, AnalysedNeuron>();
      for (const n of core) {
        const a = n.analysis!;
        for (const v of a.coreInputs) {
          const entry = below.get(v) ?? { channel: v, parents: [], topCrops: [] };
          entry.parents.push({ neuron: n.channel, igMeanAbs: a.igMeanAbs[v] });
          below.set(v, entry);
        }
      }
      core = [...below.values()].sort((a, b) => a.channel - b.channel);
    }
    complete = true;
  } catch (e) {
    // Anything thrown once the signal fired (our Cancelled, the runtime's AbortError) is the cancellation.
    if (!(e instanceof Cancelled) && !signal?.aborted) throw e;
    for (const l of result)
      if (!l.analysed)
        for (const n of l.neurons) {
          n.analysis = undefined;
          n.topCrops = [];
        }
  }
  const tg = performance.now();
  const grouped = result.filter((l) => l.analysed);
  grouped.forEach((l, i) => {
    input.onProgress?.({ stage: 'groups', layer: l.spec.name, done: i, total: grouped.length, message: 'Clustering groups' });
    groupLayer(l, params);
  });
  const circuit: AnalysisRun['circuit'] = [];
  for (let i = 0; i + 1 < grouped.length; i++) {
    circuit.push({ upper: grouped[i].spec.name, lower: grouped[i + 1].spec.name, edges: layerCircuit(grouped[i], grouped[i + 1]) });
  }
  timings.groups = (performance.now() - tg) / 1000;
  // Keep only the layers that hold something: analysed ones plus the core set right below the last of them.
  const keep = result.slice(0, Math.min(result.length, grouped.length + 1));
  timings.total = (performance.now() - t0) / 1000;
  return { crops, layers: keep, circuit, complete, timings };
}

/**
 * The NeurFlow analysis of one class (docs/design.md 3.3 steps 2-6): crops of the class's images, one batched pass for
 * the channel means of every layer, core neurons from the top layer down (top-m crops, IG, top-tau inputs,
 * sub-concepts), groups per layer and the group circuit. Progress is reported per stage and neuron; an abort
 * stops within one IG batch and returns the layers finished so far (`complete: false`).
 */
import { UsageError } from '../errors';
import type { AnalysisParams } from '../result/schema';
import { FAST_IG } from '../params';
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
  /**
   * Called when a layer is finished and at least two layers are grouped: the run so far (the finished layers,
   * grouped, and their circuit; `complete: false`), so a viewer can draw the upper circuit while the rest runs.
   */
  onLayer?: (partial: AnalysisRun) => Promise<void> | void;
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

/** What the fast analysis approximated (absent when `params.exact`): docs/design.md 3.4. */
export interface Approximations {
  /** Gauss-Legendre node counts of the IG passes tried before the full `igSteps` (FAST_IG.ladder). */
  igLadder: number[];
  /** The largest relative completeness error a kept pass may have (the last rung's; the one-node rung's is 1e-4). */
  tolerance: number;
  /** Core neurons analysed; how many kept each rung's pass; how many needed the full `igSteps` pass. */
  neurons: number;
  keptAt: number[];
  refined: number;
  /** The largest relative completeness error among the coarse results kept (the bound). */
  maxRelativeCompletenessError: number;
}

export interface AnalysisRun {
  crops: Crop[];
  layers: AnalysedLayer[];
  circuit: { upper: string; lower: string; edges: CircuitEdge[] }[];
  complete: boolean;
  timings: Record<string, number>;
  approximations?: Approximations;
}

/** Crops per activation batch: about 64 MB of pixels, at most 512. */
function cropBatchSize(channels: number, g: CropGeometry): number {
  return Math.max(1, Math.min(512, Math.floor((64 << 20) / (channels * g.height * g.width * 4))));
}

/** The time left as words ("1 min 20 s"). */
export function duration(seconds: number): string {
  const s = Math.max(1, Math.round(seconds));
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ''}`;
}

/**
 * ", about 40 s left in this layer, 2 min in all": from the pace of the layer so far; later layers are assumed to
 * take as long as this one (their core sets are only known when this one ends), so the total is marked "about".
 */
function eta(elapsed: number, done: number, total: number, layer: number, layers: number): string {
  if (done === 0 || elapsed < 1) return '';
  const layerLeft = (elapsed / done) * (total - done);
  const laterLayers = Math.max(0, layers - 2 - layer);
  const all = layerLeft + laterLayers * (elapsed / done) * total;
  return `, about ${duration(layerLeft)} left in this layer${laterLayers > 0 ? `, ${duration(all)} in all` : ''}`;
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

/** Lower-layer maps of a set of crops, computed once for every core neuron of a layer whose top crops they are. */
interface MapCache {
  rows: Map<number, number>;
  maps: Tensor32;
}

/** Bytes of lower-layer maps held at once per layer (the top crops of as many core neurons as fit). */
const MAP_CACHE_BYTES = 256 * 2 ** 20;

/** The next run of core neurons (from `first`) whose top crops' lower maps fit the cache together. */
function nextNeuronRun(tops: readonly number[][], first: number, mapBytes: number): { end: number; crops: number[] } {
  const union = new Set<number>();
  let end = first;
  while (end < tops.length) {
    const added = tops[end].filter((c) => !union.has(c));
    if (end > first && (union.size + added.length) * mapBytes > MAP_CACHE_BYTES) break;
    for (const c of added) union.add(c);
    end++;
  }
  return { end, crops: [...union].sort((a, b) => a - b) };
}

/** The lower-layer maps of `ids` (crop indices), in batches of the activation stage's size. */
async function lowerMaps(input: AnalysisInput, crops: readonly Crop[], ids: readonly number[], tensor: string): Promise<MapCache> {
  const { backend, images, channels, geometry, signal } = input;
  const batch = cropBatchSize(channels, geometry);
  const parts: Tensor32[] = [];
  for (let start = 0; start < ids.length; start += batch) {
    checkAbort(signal);
    const part = ids.slice(start, start + batch).map((i) => crops[i]);
    parts.push(
      await backend.activation(
        { data: cropBatch(part, images, channels, geometry), dims: [part.length, channels, geometry.height, geometry.width] },
        tensor,
        signal,
      ),
    );
  }
  const per = parts.length > 0 ? parts[0].data.length / parts[0].dims[0] : 0;
  const data = new Float32Array(ids.length * per);
  let offset = 0;
  for (const p of parts) {
    data.set(p.data, offset);
    offset += p.data.length;
  }
  const dims = parts.length > 0 ? [ids.length, ...parts[0].dims.slice(1)] : [0];
  return { rows: new Map(ids.map((c, k) => [c, k])), maps: { data, dims } };
}

/** Relative gap between the tau-th and the next mean |IG| (1 when there are no more than tau channels). */
function tauGap(ig: readonly Float32Array[], tau: number): number {
  const c = ig[0]?.length ?? 0;
  if (c <= tau) return 1;
  const means = new Float64Array(c);
  for (const row of ig) for (let k = 0; k < c; k++) means[k] += Math.abs(row[k]);
  const sorted = Array.from(means).sort((a, b) => b - a);
  return sorted[tau - 1] > 0 ? (sorted[tau - 1] - sorted[tau]) / sorted[tau - 1] : 1;
}

/** Counts of the fast analysis's IG passes, filled as neurons are analysed. */
interface IgTally {
  neurons: number;
  keptAt: number[];
  refined: number;
  maxError: number;
}

/** One layer's place on the ladder: its first rung, and how its first FAST_IG.probe neurons fared on rung 0. */
interface LadderStart {
  rung: number;
  probed: number;
  failed: number;
}

/**
 * Analyses one core neuron of `upper` against the layer below, its top crops' lower maps taken from `cache`.
 * Unless `params.exact`, IG climbs FAST_IG.ladder: a rung is kept when its relative completeness error is within
 * the rung's tolerance and the top-tau set is clear of the next channel by more than it; past the last rung the full
 * `igSteps` pass runs.
 */
async function analyseCoreNeuron(
  input: AnalysisInput,
  means: Float32Array[][],
  li: number,
  neuron: AnalysedNeuron,
  top: number[],
  cache: MapCache,
  tally: IgTally,
  start: LadderStart,
): Promise<void> {
  const { backend, layers, params, signal } = input;
  const upper = layers[li];
  const lower = layers[li + 1];
  const acts = means[li].map((row) => row[neuron.channel]);
  // F_u(a) of each top crop: the channel mean the activations stage measured (spares IG its endpoint rows).
  const values = top.map((c) => acts[c]);
  const per = cache.maps.data.length / Math.max(1, cache.maps.dims[0]);
  const data = new Float32Array(top.length * per);
  top.forEach((c, k) => {
    const r = cache.rows.get(c)!;
    data.set(cache.maps.data.subarray(r * per, (r + 1) * per), k * per);
  });
  const a: Tensor32 = { data, dims: [top.length, ...cache.maps.dims.slice(1)] };
  checkAbort(signal);
  const positions = spatialSize(a.dims);
  const perPosition = (t: Tensor32) => rowsOf(t).map((r) => r.map((v) => v / positions));
  tally.neurons++;
  let ig: Float32Array[] | undefined;
  for (let rung = start.rung; !params.exact && !ig && rung < FAST_IG.ladder.length && FAST_IG.ladder[rung] < params.igSteps; rung++) {
    const coarse = await backend.integratedGradients(lower.tensor, upper.tensor, a, neuron.channel, signal, { steps: FAST_IG.ladder[rung], values });
    const rows = perPosition(coarse);
    const error = coarse.relativeCompletenessError;
    const kept = error !== undefined && error <= FAST_IG.tolerances[rung] && tauGap(rows, params.tau) > error;
    if (kept) {
      ig = rows;
      tally.keptAt[rung]++;
      tally.maxError = Math.max(tally.maxError, error);
    }
    if (rung === 0 && start.probed < FAST_IG.probe) {
      start.probed++;
      if (!kept) start.failed++;
      // Most of the layer's probes failed the first rung: its other neurons start on the second.
      if (start.probed === FAST_IG.probe && 2 * start.failed > FAST_IG.probe) start.rung = 1;
    }
  }
  if (!params.exact && !ig) tally.refined++;
  ig ??= perPosition(await backend.integratedGradients(lower.tensor, upper.tensor, a, neuron.channel, signal, { values }));
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

/** The finished layers, grouped, and the circuit between them. */
function groupedCircuit(finished: AnalysedLayer[], params: AnalysisParams): AnalysisRun['circuit'] {
  for (const l of finished) if (!l.grouping) groupLayer(l, params);
  const circuit: AnalysisRun['circuit'] = [];
  for (let i = 0; i + 1 < finished.length; i++) {
    circuit.push({ upper: finished[i].spec.name, lower: finished[i + 1].spec.name, edges: layerCircuit(finished[i], finished[i + 1]) });
  }
  return circuit;
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
  const tally: IgTally = { neurons: 0, keptAt: FAST_IG.ladder.map(() => 0), refined: 0, maxError: 0 };
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
      const start: LadderStart = { rung: 0, probed: 0, failed: 0 };
      const lower = layers[li + 1];
      let mapsTime = 0;
      const tops = core.map((n) =>
        topK(
          means[li].map((row) => row[n.channel]),
          params.topCrops,
        ),
      );
      const mapBytes = 4 * lower.shape.reduce((a, b) => a * b, 1);
      for (let first = 0; first < core.length; ) {
        const run = nextNeuronRun(tops, first, mapBytes);
        const tm = performance.now();
        const cache = await lowerMaps(input, crops, run.crops, lower.tensor);
        mapsTime += (performance.now() - tm) / 1000;
        for (let k = first; k < run.end; k++) {
          checkAbort(signal);
          const elapsed = (performance.now() - tl) / 1000;
          input.onProgress?.({
            stage: 'neurons',
            layer: layers[li].name,
            done: k,
            total: core.length,
            message: `Layer ${layers[li].name}: core neurons ${k}/${core.length}${eta(elapsed, k, core.length, li, layers.length)}`,
          });
          await analyseCoreNeuron(input, means, li, core[k], tops[k], cache, tally, start);
        }
        first = run.end;
      }
      layer.analysed = true;
      // The next layer runs another segment: this one's IG sessions (weights, arena) go now, not at the end.
      await input.backend.releaseGradients?.(lower.tensor, layers[li].tensor);
      timings[`layer:${layers[li].name}`] = (performance.now() - tl) / 1000;
      // Of which: the lower maps of the layer's top crops (prefix runs of the model).
      timings[`maps:${layers[li].name}`] = mapsTime;
      if (input.onLayer && li >= 1 && li + 2 < layers.length) {
        const finished = result.filter((l) => l.analysed);
        await input.onLayer({ crops, layers: finished, circuit: groupedCircuit(finished, params), complete: false, timings: { ...timings } });
      }
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
  });
  const circuit = groupedCircuit(grouped, params);
  timings.groups = (performance.now() - tg) / 1000;
  // Keep only the layers that hold something: analysed ones plus the core set right below the last of them.
  const keep = result.slice(0, Math.min(result.length, grouped.length + 1));
  timings.total = (performance.now() - t0) / 1000;
  const approximations: Approximations | undefined = params.exact
    ? undefined
    : {
        igLadder: [...FAST_IG.ladder],
        tolerance: Math.max(...FAST_IG.tolerances),
        neurons: tally.neurons,
        keptAt: tally.keptAt,
        refined: tally.refined,
        maxRelativeCompletenessError: tally.maxError,
      };
  return { crops, layers: keep, circuit, complete, timings, approximations };
}

/**
 * Turns an analysis run into the result document (docs/design.md 4): the crop table compacted to the crops the result
 * refers to (ids renumbered in the authors' crop order), thumbnails for the crops the views show, layers top
 * first with neurons, sub-concepts and groups, and the circuit.
 */
import type { AnalysisParams, CropRow, LayerResult, ResultDocument, SelectionMode } from '../result/schema';
import { RESULT_FORMAT, RESULT_VERSION } from '../result/schema';
import type { AnalysisRun, AnalysedLayer, ProgressEvent } from './pipeline';
import { forEachConcurrent } from '../util/concurrent';
import { cropThumbnail, type ToRgb } from './thumbnails';

/** Thumbnails encoded at once: sharp encodes on libuv's pool, so a few in flight keep every core busy. */
const THUMBNAIL_CONCURRENCY = 4;

export interface DocumentContext {
  key: string;
  model: ResultDocument['model'];
  runtime: ResultDocument['runtime'];
  dataset: ResultDocument['dataset'];
  class: { index: number; name: string; selection: SelectionMode; images: string[] };
  params: AnalysisParams;
  /** Preprocessed images (for thumbnails) with their geometry. */
  images: readonly Float32Array[];
  channels: number;
  height: number;
  width: number;
  toRgb: ToRgb;
  /** Top crops per neuron that get a thumbnail besides the representatives (default 10). */
  thumbnailsPerNeuron?: number;
  /**
   * Thumbnails already made for this run, by crop index into `run.crops` (filled here): the partial documents of a
   * progressive run and its final one share it, so each crop is encoded once.
   */
  thumbnailCache?: Map<number, string>;
  onProgress?: (e: ProgressEvent) => void;
}

const r6 = (v: number) => Number(v.toPrecision(6));

function referencedCrops(run: AnalysisRun): { all: Set<number>; shown: Set<number> } {
  const all = new Set<number>();
  const shown = new Set<number>();
  for (const l of run.layers)
    for (const n of l.neurons) {
      n.topCrops.forEach((c) => all.add(c));
      for (const s of n.analysis?.subconcepts ?? []) s.representatives.forEach((c) => shown.add(c));
    }
  return { all, shown };
}

function layerResult(l: AnalysedLayer, id: (c: number) => number): LayerResult {
  const out: LayerResult = {
    name: l.spec.name,
    tensor: l.spec.tensor,
    shape: l.spec.shape,
    neurons: l.neurons.map((n) => ({
      channel: n.channel,
      parents: n.parents.map((p) => ({ neuron: p.neuron, igMeanAbs: p.igMeanAbs })),
      topCrops: n.topCrops.map(id),
      coreInputs: n.analysis?.coreInputs ?? [],
      coreInputsIg: n.analysis ? n.analysis.coreInputs.map((v) => n.analysis!.igMeanAbs[v]) : [],
      subconcepts: (n.analysis?.subconcepts ?? []).map((s) => ({
        crops: s.crops.map(id),
        representatives: s.representatives.map(id),
        conceptVector: Array.from(s.conceptVector, r6),
        activation: s.activation,
        weights: s.weights,
        rawWeights: s.rawWeights,
      })),
    })),
  };
  if (l.grouping) {
    const pairs: [number, number][] = l.neurons.flatMap((n) => (n.analysis?.subconcepts ?? []).map((_, s) => [n.channel, s] as [number, number]));
    out.grouping = {
      count: l.grouping.count,
      auto: l.grouping.auto,
      pairs,
      silhouette: l.grouping.silhouette,
      groups: l.grouping.groups.map((g) => ({ members: g.members, representatives: g.representatives })),
    };
  }
  return out;
}

export async function buildDocument(run: AnalysisRun, ctx: DocumentContext): Promise<ResultDocument> {
  const { all, shown } = referencedCrops(run);
  const perNeuron = ctx.thumbnailsPerNeuron ?? 10;
  for (const l of run.layers) for (const n of l.neurons) n.topCrops.slice(0, perNeuron).forEach((c) => shown.add(c));
  const ids = [...all].sort((a, b) => a - b);
  const local = new Map(ids.map((g, i) => [g, i]));
  const id = (c: number) => local.get(c)!;
  const table: CropRow[] = ids.map((g) => {
    const c = run.crops[g];
    return [c.image, c.granularity, ...c.box] as CropRow;
  });
  const todo = [...shown].sort((a, b) => a - b);
  const cache = ctx.thumbnailCache ?? new Map<number, string>();
  const t0 = performance.now();
  await forEachConcurrent(todo, THUMBNAIL_CONCURRENCY, async (g, k) => {
    if (k % 50 === 0) ctx.onProgress?.({ stage: 'thumbnails', done: k, total: todo.length, message: 'Rendering crops' });
    if (!cache.has(g)) cache.set(g, await cropThumbnail(run.crops[g], ctx.images, ctx.channels, ctx.height, ctx.width, ctx.toRgb));
  });
  const thumbnails: Record<string, string> = {};
  for (const g of todo) thumbnails[String(id(g))] = cache.get(g)!;
  const timings = { ...run.timings, thumbnails: (performance.now() - t0) / 1000 };
  return {
    format: RESULT_FORMAT,
    version: RESULT_VERSION,
    createdAt: new Date().toISOString(),
    complete: run.complete,
    key: ctx.key,
    model: ctx.model,
    runtime: ctx.runtime,
    dataset: ctx.dataset,
    class: ctx.class,
    params: ctx.params,
    crops: { table, thumbnails },
    layers: run.layers.map((l) => layerResult(l, id)),
    circuit: run.circuit.map((c) => ({ upper: c.upper, lower: c.lower, edges: c.edges.map((e) => ({ from: e.upper, to: e.lower, weight: e.weight })) })),
    timings,
    ...(run.approximations ? { approximations: run.approximations } : {}),
  };
}

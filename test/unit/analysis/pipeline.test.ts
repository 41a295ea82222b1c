import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { runAnalysis, type ProgressEvent } from '../../../src/engine/analysis/pipeline';
import { OrtAnalysisBackend } from '../../../src/engine/analysis/ort-backend';
import { analysisIg, releaseSegmentGradients } from '../../../src/engine/analysis/ig-adapter';
import { adjustedRandIndex } from '../../../src/engine/analysis/cluster';
import { buildDocument, type DocumentContext } from '../../../src/engine/analysis/document';
import { minMaxRgb } from '../../../src/engine/analysis/thumbnails';
import { regroupDocument } from '../../../src/engine/analysis/regroup';
import { DEFAULT_PARAMS } from '../../../src/engine/analysis/job';
import { validateResult, type AnalysisParams } from '../../../src/engine/result/schema';
import { sessionCache } from '../../../src/engine/runtime/sessions';
import { sharedPath } from '../../helpers/shared';
import { loadReferenceSetting, type ReferenceSetting } from './fixture';

function backendFor(setting: ReferenceSetting) {
  return new OrtAnalysisBackend(setting.model, {
    threads: 2,
    ig: (m, lower, upper, a, target, signal, o) => analysisIg(m, lower, upper, a, target, { steps: o?.steps ?? 50, threads: 2 }, signal, o?.values),
  });
}

test("top three layers of the reference run: core sets, sub-concepts, groups and circuit as the authors'", async (t) => {
  const dir = sharedPath(t, 'reference/neurflow');
  if (!dir) return;
  t.after(async () => {
    await sessionCache.clear();
    await releaseSegmentGradients();
  });
  const setting = await loadReferenceSetting(path.resolve(dir, '../..'));
  const neurons = JSON.parse(readFileSync(path.join(dir, 'neurons.json'), 'utf8')).layers;
  const groups = JSON.parse(readFileSync(path.join(dir, 'groups.json'), 'utf8'));
  const layers = setting.layers.slice(0, 3);
  const params: AnalysisParams = {
    ...DEFAULT_PARAMS,
    layers: layers.map((l) => l.name),
    classIndex: 3,
    tau: 8,
    normalisation: 'reference',
    groupCounts: { fc: 3, 'layer3.1': 3 },
    exact: true,
  };
  const events: ProgressEvent[] = [];
  const run = await runAnalysis({
    backend: backendFor(setting),
    layers,
    images: setting.images,
    channels: 3,
    geometry: { height: 64, width: 64 },
    params,
    onProgress: (e) => events.push(e),
  });
  assert.ok(run.complete);
  assert.equal(run.approximations, undefined, 'an exact run approximates nothing');
  assert.deepEqual(
    run.layers.map((l) => l.spec.name),
    ['fc', 'layer3.1', 'layer3.0'],
  );
  assert.ok(events.some((e) => e.stage === 'neurons' && e.layer === 'layer3.1'));
  // Core sets: fc's 8 inputs, then the union of layer3.1's (framework layers 5 and 4).
  const coreOf = (L: string) =>
    new Set<number>(Object.values(neurons[L].neurons).flatMap((n) => (n as { critical_lower_neurons_ranked: number[] }).critical_lower_neurons_ranked));
  assert.deepEqual(
    run.layers[1].neurons.map((n) => n.channel),
    [...coreOf('5')].sort((a, b) => a - b),
  );
  assert.deepEqual(
    run.layers[2].neurons.map((n) => n.channel),
    [...coreOf('4')].sort((a, b) => a - b),
  );
  // Sub-concepts per neuron: same partition of the same top crops.
  for (const [li, L] of [
    [0, '5'],
    [1, '4'],
  ] as const) {
    for (const n of run.layers[li].neurons) {
      const ref = neurons[L].neurons[String(n.channel)];
      assert.deepEqual(
        [...n.topCrops].sort((a, b) => a - b),
        [...ref.top50_crop_indices].sort((a: number, b: number) => a - b),
      );
      const ours = ref.top50_crop_indices.map((c: number) => n.analysis!.subconcepts.findIndex((s) => s.crops.includes(c)));
      assert.equal(adjustedRandIndex(ours, ref.top50_sub_concept_labels), 1, `neuron ${n.channel}`);
    }
  }
  // Circuit fc -> layer3.1 (2 and 3 groups) against circuit_n3["5->4"], groups matched through their pairs.
  const context: DocumentContext = {
    key: 'k',
    model: { path: 'm', sha256: setting.model.sha256, inputName: 'input', inputShape: [1, 3, 64, 64], labels: [], preprocessing: {} },
    runtime: { provider: 'cpu', threads: 2, versions: {} },
    dataset: { root: '', layout: 'imagefolder', fingerprint: '', imageCount: 85 },
    class: { index: 3, name: 'triangle', selection: 'predicted', images: setting.paths },
    params,
    images: setting.images,
    channels: 3,
    height: 64,
    width: 64,
    toRgb: minMaxRgb,
    thumbnailsPerNeuron: 2,
  };
  const doc = await buildDocument(run, context);
  validateResult(JSON.parse(JSON.stringify(doc)));
  assert.ok(Object.values(doc.crops.thumbnails).every((u) => u.startsWith('data:image/webp;base64,')));
  // A progressive run's documents share one thumbnail cache: same thumbnails, and a cached crop is not encoded again.
  const cache = new Map<number, string>();
  assert.deepEqual((await buildDocument(run, { ...context, thumbnailCache: cache })).crops.thumbnails, doc.crops.thumbnails);
  assert.equal(cache.size, Object.keys(doc.crops.thumbnails).length);
  cache.set([...cache.keys()][0], 'data:image/webp;base64,cached');
  const reused = await buildDocument(run, { ...context, thumbnailCache: cache });
  assert.equal(Object.values(reused.crops.thumbnails).filter((u) => u.endsWith(',cached')).length, 1);
  const refScores = groups.circuit_n3['5->4'].scores;
  // Our group -> the reference group of its first pair (our sub-concept -> the reference label of its first crop).
  const groupMap = (layer: (typeof doc.layers)[number], L: string) => {
    const mapping = groups.groups[L].n3.mapping ?? groups.groups[L].n3_fallback.mapping;
    const analysed = run.layers.find((l) => l.spec.name === layer.name)!;
    const m = new Map<number, number>();
    layer.grouping!.groups.forEach((g, gi) => {
      const [ch, s] = layer.grouping!.pairs[g.members[0]];
      const ref = neurons[L].neurons[String(ch)];
      const firstCrop = analysed.neurons.find((x) => x.channel === ch)!.analysis!.subconcepts[s].crops[0];
      const refLabel = ref.top50_sub_concept_labels[ref.top50_crop_indices.indexOf(firstCrop)];
      m.set(gi, mapping.find((r: number[]) => r[0] === ch && r[1] === refLabel)[2]);
    });
    return m;
  };
  const up = groupMap(doc.layers[0], '5');
  const low = groupMap(doc.layers[1], '4');
  let worst = 0;
  for (const e of doc.circuit[0].edges) {
    const r = refScores[String(up.get(e.from))][String(low.get(e.to))];
    worst = Math.max(worst, Math.abs(e.weight - r) / Math.abs(r));
  }
  t.diagnostic(`circuit fc->layer3.1: ${doc.circuit[0].edges.length} edges, max rel err ${worst.toExponential(2)}; timings ${JSON.stringify(run.timings)}`);
  assert.ok(worst < 1e-3);
  // Re-grouping from the document reproduces the stored grouping.
  const again = regroupDocument(doc, 'layer3.1', 3);
  assert.deepEqual(
    again.layers[1].grouping!.groups.map((g) => g.members),
    doc.layers[1].grouping!.groups.map((g) => g.members),
  );
});

test("the fast default on the whole reference run: every layer's core set as the authors' (Jaccard >= 0.95), the approximation recorded", async (t) => {
  const dir = sharedPath(t, 'reference/neurflow');
  if (!dir) return;
  t.after(async () => {
    await sessionCache.clear();
    await releaseSegmentGradients();
  });
  const setting = await loadReferenceSetting(path.resolve(dir, '../..'));
  const neurons = JSON.parse(readFileSync(path.join(dir, 'neurons.json'), 'utf8')).layers;
  const params: AnalysisParams = { ...DEFAULT_PARAMS, layers: setting.layers.map((l) => l.name), classIndex: 3, tau: 8, normalisation: 'reference' };
  assert.equal(params.exact, false, 'the default is the fast analysis');
  const partials: { layers: string[]; circuits: number; complete: boolean; at: number }[] = [];
  const t0 = performance.now();
  const run = await runAnalysis({
    backend: backendFor(setting),
    layers: setting.layers,
    images: setting.images,
    channels: 3,
    geometry: { height: 64, width: 64 },
    params,
    onLayer: (p) => {
      partials.push({ layers: p.layers.map((l) => l.spec.name), circuits: p.circuit.length, complete: p.complete, at: (performance.now() - t0) / 1000 });
      assert.ok(p.layers.every((l) => l.analysed && l.grouping));
    },
  });
  // Progressive results: after each layer from the second on (not the last, which is the final result), the
  // finished layers grouped with their circuit.
  assert.deepEqual(
    partials.map((p) => p.layers.length),
    [2, 3, 4],
  );
  assert.deepEqual(
    partials.map((p) => p.circuits),
    [1, 2, 3],
  );
  assert.ok(partials.every((p) => !p.complete));
  assert.deepEqual(partials[0].layers, ['fc', 'layer3.1']);
  // Framework layer L (5 = top) holds the core inputs chosen by layers_top_first[5 - L].
  const lines: string[] = [];
  for (const [li, L] of ['5', '4', '3', '2', '1'].entries()) {
    const ref = new Set<number>(
      Object.values(neurons[L].neurons).flatMap((n) => (n as { critical_lower_neurons_ranked: number[] }).critical_lower_neurons_ranked),
    );
    const ours = new Set(run.layers[li + 1].neurons.map((n) => n.channel));
    const jaccard = [...ours].filter((c) => ref.has(c)).length / new Set([...ours, ...ref]).size;
    lines.push(`${run.layers[li + 1].spec.name} ${jaccard.toFixed(3)}`);
    assert.ok(jaccard >= 0.95, `core set of ${run.layers[li + 1].spec.name}: Jaccard ${jaccard}`);
  }
  const a = run.approximations!;
  t.diagnostic(
    `fast: Jaccard ${lines.join(', ')}; ${JSON.stringify(a)}; first circuit after ${partials[0].at.toFixed(1)} s; timings ${JSON.stringify(run.timings)}`,
  );
  assert.deepEqual(a.igLadder, [1, 8]);
  assert.equal(
    a.keptAt.reduce((s, n) => s + n, a.refined),
    a.neurons,
    'every neuron is kept on one rung or refined',
  );
  assert.equal(
    a.neurons,
    run.layers.filter((l) => l.analysed).reduce((n, l) => n + l.neurons.length, 0),
  );
  assert.ok(a.refined < a.neurons, 'most neurons keep the coarse pass');
  assert.ok(a.maxRelativeCompletenessError <= a.tolerance);
});

test('cancelling stops within a second and keeps the finished layers (complete: false)', async (t) => {
  const dir = sharedPath(t, 'reference/neurflow');
  if (!dir) return;
  t.after(async () => {
    await sessionCache.clear();
    await releaseSegmentGradients();
  });
  const setting = await loadReferenceSetting(path.resolve(dir, '../..'));
  const layers = setting.layers.slice(0, 4);
  const params: AnalysisParams = { ...DEFAULT_PARAMS, layers: layers.map((l) => l.name), classIndex: 3, tau: 4 };
  const controller = new AbortController();
  let abortedAt = 0;
  const run = await runAnalysis({
    backend: backendFor(setting),
    layers,
    images: setting.images.slice(0, 20),
    channels: 3,
    geometry: { height: 64, width: 64 },
    params,
    signal: controller.signal,
    onProgress: (e) => {
      if (e.stage === 'neurons' && e.layer === 'layer3.1' && e.done === 1 && !abortedAt) {
        abortedAt = performance.now();
        controller.abort();
      }
    },
  });
  const latency = performance.now() - abortedAt;
  t.diagnostic(`stopped ${latency.toFixed(0)} ms after the cancel request`);
  assert.ok(abortedAt > 0 && latency < 1000);
  assert.equal(run.complete, false);
  assert.deepEqual(
    run.layers.map((l) => [l.spec.name, l.analysed, !!l.grouping]),
    [
      ['fc', true, true],
      ['layer3.1', false, false],
    ],
  );
  assert.ok(run.layers[1].neurons.every((n) => n.analysis === undefined && n.parents.length > 0));
  assert.equal(run.circuit.length, 0);
});

/**
 * The fast analysis's IG ladder (FAST_IG in src/engine/params.ts) on a backend whose completeness error is set per
 * node count: which passes run, which are kept, what the result's approximations say, and that each layer's IG
 * sessions are released when the layer is done.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AnalysisBackend, IgCallOptions, IgTensor, Tensor32 } from '../../../src/engine/analysis/backend';
import { DEFAULT_PARAMS } from '../../../src/engine/analysis/job';
import { runAnalysis, type LayerSpec } from '../../../src/engine/analysis/pipeline';
import { FAST_IG } from '../../../src/engine/params';

const LAYERS: LayerSpec[] = [
  { name: 'fc', tensor: 'logits', shape: [3] },
  { name: 'block2', tensor: 'b2', shape: [12, 2, 2] },
  { name: 'block1', tensor: 'b1', shape: [10, 2, 2] },
  { name: 'block0', tensor: 'b0', shape: [8, 2, 2] },
];

/** A small deterministic generator, so every run sees the same activations and attributions. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Channel values of a layer for one input: a fixed function of its pixels. */
function channelValue(x: Float32Array, offset: number, c: number): number {
  let v = 0;
  for (let i = 0; i < 8; i++) v += x[offset + ((c * 7 + i * 13) % 48)] * ((i % 3) + 1);
  return v;
}

class LadderBackend implements AnalysisBackend {
  readonly provider = 'test';
  readonly threads = 1;
  /** Node counts of every IG call, in order (the full pass shows as 50). */
  calls: number[] = [];
  released: string[] = [];
  constructor(private readonly errorAt: (steps: number) => number) {}

  private means(inputs: Tensor32, spec: LayerSpec): Tensor32 {
    const n = inputs.dims[0];
    const per = inputs.data.length / n;
    const c = spec.shape[0];
    const data = new Float32Array(n * c);
    for (let i = 0; i < n; i++) for (let k = 0; k < c; k++) data[i * c + k] = channelValue(inputs.data, i * per, k + spec.tensor.length);
    return { data, dims: [n, c] };
  }

  async channelMeans(inputs: Tensor32, tensors: readonly string[]): Promise<Tensor32[]> {
    return tensors.map((t) => this.means(inputs, LAYERS.find((l) => l.tensor === t)!));
  }

  async activation(inputs: Tensor32, tensor: string): Promise<Tensor32> {
    const spec = LAYERS.find((l) => l.tensor === tensor)!;
    const m = this.means(inputs, spec);
    const positions = spec.shape.slice(1).reduce((a, b) => a * b, 1);
    const data = new Float32Array(m.data.length * positions);
    m.data.forEach((v, i) => data.fill(v, i * positions, (i + 1) * positions));
    return { data, dims: [inputs.dims[0], ...spec.shape] };
  }

  async integratedGradients(_lower: string, _upper: string, a: Tensor32, target: number, _s?: AbortSignal, o?: IgCallOptions): Promise<IgTensor> {
    const steps = o?.steps ?? 50;
    this.calls.push(steps);
    const [n, c] = a.dims;
    const random = lcg(target * 1000 + n);
    // The same attributions at every node count (only the reported error differs): a clear top-3 set per target.
    const data = new Float32Array(n * c).map((_, i) => (((i % c) + 3 * target) % c < 3 ? 10 : 1 * (0.5 + random())));
    return { data, dims: [n, c], relativeCompletenessError: this.errorAt(steps) };
  }

  async maskedLogits(inputs: Tensor32): Promise<Tensor32> {
    return this.means(inputs, LAYERS[0]);
  }

  async releaseGradients(lower: string, upper: string): Promise<void> {
    this.released.push(`${lower}->${upper}`);
  }
}

async function analyse(errorAt: (steps: number) => number, exact = false) {
  const backend = new LadderBackend(errorAt);
  const random = lcg(7);
  const images = Array.from({ length: 6 }, () => new Float32Array(3 * 4 * 4).map(() => random()));
  const run = await runAnalysis({
    backend,
    layers: LAYERS,
    images,
    channels: 3,
    geometry: { height: 4, width: 4 },
    params: { ...DEFAULT_PARAMS, exact, tau: 3, topCrops: 5, granularities: [1, 0.5], layers: LAYERS.map((l) => l.name), classIndex: 1 },
  });
  const neurons = run.layers.filter((l) => l.analysed).map((l) => l.neurons.length);
  return { backend, run, neurons, total: neurons.reduce((a, b) => a + b, 0) };
}

test('a segment exact at one node (positively homogeneous) keeps the one-node pass for every core neuron', async () => {
  const { backend, run, total } = await analyse(() => 0);
  assert.deepEqual(backend.calls, new Array(total).fill(1));
  assert.deepEqual(run.approximations, {
    igLadder: [...FAST_IG.ladder],
    tolerance: 0.05,
    neurons: total,
    keptAt: [total, 0],
    refined: 0,
    maxRelativeCompletenessError: 0,
  });
});

test('a layer whose probes fail the first rung starts its other neurons on the second; nothing needs the full pass', async () => {
  const { backend, run, neurons, total } = await analyse((steps) => (steps === 1 ? 0.3 : 0.01));
  const expected = neurons.flatMap((count) => Array.from({ length: count }, (_, k) => (k < FAST_IG.probe ? [1, 8] : [8])).flat());
  assert.deepEqual(backend.calls, expected);
  assert.ok(
    neurons.some((c) => c > FAST_IG.probe),
    'some layer has more neurons than the probe',
  );
  assert.deepEqual(run.approximations?.keptAt, [0, total]);
  assert.equal(run.approximations?.refined, 0);
  assert.equal(run.approximations?.maxRelativeCompletenessError, 0.01);
});

test('one node within 5% but above float rounding is not kept: completeness can hide per-channel errors', async () => {
  const { backend, run, neurons, total } = await analyse((steps) => (steps === 1 ? 0.01 : 0.02));
  const expected = neurons.flatMap((count) => Array.from({ length: count }, (_, k) => (k < FAST_IG.probe ? [1, 8] : [8])).flat());
  assert.deepEqual(backend.calls, expected);
  assert.deepEqual(run.approximations?.keptAt, [0, total]);
  assert.equal(run.approximations?.maxRelativeCompletenessError, 0.02);
});

test('one node at float rounding (1e-5) is kept', async () => {
  const { run, total } = await analyse((steps) => (steps === 1 ? 1e-5 : 0.02));
  assert.deepEqual(run.approximations?.keptAt, [total, 0]);
  assert.equal(run.approximations?.maxRelativeCompletenessError, 1e-5);
});

test('errors over the tolerance on every rung: the full igSteps pass, counted as refined', async () => {
  const { backend, run, total } = await analyse(() => 0.2);
  assert.equal(backend.calls.filter((s) => s === 50).length, total);
  assert.deepEqual(run.approximations?.keptAt, [0, 0]);
  assert.equal(run.approximations?.refined, total);
});

test('exact: one full pass per core neuron and no approximations recorded; each layer releases its IG sessions', async () => {
  const { backend, run } = await analyse(() => 0, true);
  assert.ok(backend.calls.every((s) => s === 50));
  assert.equal(run.approximations, undefined);
  assert.deepEqual(backend.released, ['b2->logits', 'b1->b2', 'b0->b1']);
});

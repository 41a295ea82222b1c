/**
 * Integrated Gradients and plain gradients of F_j (the spatial mean of upper channel j; upper[:, j] for rank 2)
 * with respect to the lower activation of a segment, on onnxruntime. Each run of the IG model (ig-model.ts)
 * serves one target and a chunk of samples with all their quadrature steps; the step and position sums happen
 * in the graph, so only [samples, C_lower] leaves the runtime.
 */
import { PARAMS } from '../params';
import { GradientError, UsageError } from '../errors';
import { DataType, encodeModel, type ModelProto } from '../onnx/proto';
import { OrtSession, type SessionOptions } from '../runtime/ort';
import { buildValueModel, VALUE_NAMES } from './builder';
import { buildIgModel, IG_NAMES } from './ig-model';
import { segmentEnds } from './prepared';
import { quadrature, type IgMethod } from './quadrature';
import type { ShapeMap } from './types';

export type FloatArray = Float32Array | Float64Array;

export interface IgOptions {
  /** Integration steps (default PARAMS.igSteps, captum's). */
  steps?: number;
  /** Default 'gausslegendre' (captum's default). */
  method?: IgMethod;
  /**
   * Whether to run the two extra rows per sample that give F_j(a) and F_j(0) for `delta` and the completeness
   * error (default true). A caller that knows F_j(a) already (the analysis has every crop's channel means) turns
   * them off: `delta` and `completenessError` are then NaN.
   */
  endpoints?: boolean;
}

/** One attribution request: IG of F_target at sample `sample` of the activation batch. */
export interface IgPair {
  sample: number;
  target: number;
}

export interface IgPairsResult {
  /** [pairs, C_lower]: IG per lower channel, summed over its positions. */
  attributions: Float64Array;
  /** [pairs]: F_j(a) - F_j(0). */
  delta: Float64Array;
  /** [pairs]: |sum_c IG_c - delta| (completeness error). */
  completenessError: Float64Array;
}

export interface IgTargetResult {
  target: number;
  /** [N, C_lower], IG summed over positions. */
  attributions: Float64Array;
  /** [N]: F_j(a) - F_j(0). */
  delta: Float64Array;
  /** [N]: |sum_c IG_c - delta|. */
  completenessError: Float64Array;
  /** max_n completenessError[n] / max_n |delta[n]| (0 when delta is all 0). */
  relativeCompletenessError: number;
}

export interface SegmentGradientOptions extends SessionOptions {
  /** Name used in error messages (default: the segment graph's name). */
  name?: string;
  /**
   * Forward activation bytes of the per-step part one run may hold; bounds the rows (sample x step) per run.
   * Default 64 MiB on CPU and 512 MiB on GPU providers. On CPU a run also holds at most 2 samples (more when
   * their rows take under 4 MiB): runs that stay in the processor caches are the fastest (bench/grad-ig.ts).
   * When one sample's steps exceed the budget, its steps are split over several runs.
   */
  memoryBytes?: number;
  /** Rows per run, overriding memoryBytes. */
  rowsPerRun?: number;
  /**
   * Intra-op threads of the IG session. Default: `threads` (one per core when unset) for segments whose rows hold
   * at least IG_THREADED_ROW values, else 1. Small rows make runs sized for the caches, where ORT's thread pool
   * costs more than it gains (2 threads measured 2-3x slower on a 2-core machine, bench/grad-ig.ts); the blocks
   * of a 224-px ResNet-50 (~150k values a row) run 1.8x faster on 2 threads than on 1 (1 and 8 nodes alike).
   */
  igThreads?: number;
}

const CPU_RUN_BYTES = 64 * 1024 ** 2;
/** Values per row from which the IG session runs on `threads` threads instead of 1 (see igThreads). */
const IG_THREADED_ROW = 65536;
const GPU_RUN_BYTES = 512 * 1024 ** 2;
/** On CPU a run holds 2 samples (for the default 50 + 2 steps), or more while its rows fit in 4 MiB. */
const CPU_SAMPLES_PER_RUN = 2;
const CPU_CACHE_BYTES = 4 * 1024 ** 2;
const DEFAULT_STEPS = PARAMS.igSteps.default;

/** Gradients and IG of one segment (lower -> upper), holding its ORT sessions. */
export class SegmentGradients {
  private value?: Promise<OrtSession>;

  private constructor(
    private readonly ig: OrtSession,
    /** Builds the forward session on first use (values() only; IG gets F_j from its own runs). */
    private readonly makeValue: () => Promise<OrtSession>,
    /** Non-batch dims of the lower activation. */
    readonly lowerDims: number[],
    /** Channels of the upper tensor (the targets j range over these). */
    readonly upperChannels: number,
    readonly elemType: number,
    /** Rows (sample x step) per ORT run. */
    readonly rowsPerRun: number,
  ) {}

  get provider(): string {
    return this.ig.provider;
  }

  static async create(segment: ModelProto, shapes: ShapeMap, options: SegmentGradientOptions = {}): Promise<SegmentGradients> {
    const ends = segmentEnds(segment);
    const name = options.name ?? segment.graph.name ?? 'segment';
    const lower = shapes.get(ends.lower);
    const upper = shapes.get(ends.upper);
    if (!lower || !upper) throw new GradientError(`${name}: static shapes of ${ends.lower} and ${ends.upper} are needed`);
    if (lower.length < 2 || upper.length < 2) throw new GradientError(`${name}: lower and upper tensors need a channel axis (rank >= 2)`);
    const built = buildIgModel(segment, shapes);
    const ig = await OrtSession.create(encodeModel(built.model), `${name} (integrated gradients)`, {
      ...options,
      threads: options.igThreads ?? (built.valuesPerRow >= IG_THREADED_ROW ? options.threads : 1),
    });
    const bytes = ends.elemType === DataType.DOUBLE ? 8 : 4;
    const budget = options.memoryBytes ?? (ig.provider === 'cpu' ? CPU_RUN_BYTES : GPU_RUN_BYTES);
    const rowBytes = Math.max(1, built.valuesPerRow * bytes);
    const cap = ig.provider === 'cpu' ? Math.max(CPU_SAMPLES_PER_RUN * (DEFAULT_STEPS + 2), Math.floor(CPU_CACHE_BYTES / rowBytes)) : 1 << 16;
    const rows = options.rowsPerRun ?? Math.max(1, Math.min(cap, 1 << 16, Math.floor(budget / rowBytes)));
    const makeValue = () => OrtSession.create(encodeModel(buildValueModel(segment, shapes)), `${name} (forward)`, options);
    return new SegmentGradients(ig, makeValue, lower.slice(1), upper[1], ends.elemType, rows);
  }

  private alloc(n: number): FloatArray {
    return this.elemType === DataType.DOUBLE ? new Float64Array(n) : new Float32Array(n);
  }

  private get sampleSize(): number {
    return this.lowerDims.reduce((a, b) => a * b, 1);
  }

  private checkBatch(a: FloatArray, n: number, targets: readonly number[]): void {
    if (a.length !== n * this.sampleSize) {
      throw new UsageError(`lower activation: expected ${n} x [${this.lowerDims.join(', ')}] = ${n * this.sampleSize} values, got ${a.length}`);
    }
    for (const j of targets) {
      if (!Number.isInteger(j) || j < 0 || j >= this.upperChannels)
        throw new UsageError(`target ${j} is not a channel of the upper tensor (0..${this.upperChannels - 1})`);
    }
  }

  /** F_j for every upper channel j: [n, C_upper]. */
  async values(a: FloatArray, n: number): Promise<FloatArray> {
    this.checkBatch(a, n, []);
    this.value ??= this.makeValue();
    const session = await this.value;
    const out = this.alloc(n * this.upperChannels);
    const chunk = Math.max(1, this.rowsPerRun);
    for (let s = 0; s < n; s += chunk) {
      const m = Math.min(chunk, n - s);
      const res = await session.run({ [VALUE_NAMES.a]: { data: a.subarray(s * this.sampleSize, (s + m) * this.sampleSize), dims: [m, ...this.lowerDims] } }, [
        VALUE_NAMES.value,
      ]);
      out.set(res[VALUE_NAMES.value].data as FloatArray, s * this.upperChannels);
    }
    return out;
  }

  /**
   * Runs the IG model for `target` on samples `samples` (indices into `a`) with the steps `alphas`/`weights`:
   * whole samples per run when their steps fit in rowsPerRun, else one sample per run and its steps split over
   * runs. `sink(first, count, firstStep, out)` receives each run's outputs (first: index into samples).
   */
  private async runSamples(
    a: FloatArray,
    samples: readonly number[],
    target: number,
    alphas: readonly number[],
    weights: readonly number[],
    outputs: string[],
    sink: (first: number, count: number, firstStep: number, out: Record<string, FloatArray>) => void,
  ): Promise<void> {
    const size = this.sampleSize;
    const steps = alphas.length;
    const perRun = Math.max(1, Math.floor(this.rowsPerRun / steps));
    const stepsPerRun = Math.min(steps, Math.max(1, this.rowsPerRun));
    const chunks: { first: number; alpha: FloatArray; weight: FloatArray }[] = [];
    for (let k = 0; k < steps; k += stepsPerRun) {
      const end = Math.min(steps, k + stepsPerRun);
      const alpha = this.alloc(end - k);
      const weight = this.alloc(end - k);
      alpha.set(alphas.slice(k, end));
      weight.set(weights.slice(k, end));
      chunks.push({ first: k, alpha, weight });
    }
    const j = { data: BigInt64Array.of(BigInt(target)), dims: [1] };
    for (let first = 0; first < samples.length; first += perRun) {
      const count = Math.min(perRun, samples.length - first);
      const contiguous = samples.slice(first, first + count).every((s, k) => s === samples[first] + k);
      const feedA = contiguous ? a.subarray(samples[first] * size, (samples[first] + count) * size) : this.alloc(count * size);
      if (!contiguous) for (let k = 0; k < count; k++) feedA.set(a.subarray(samples[first + k] * size, (samples[first + k] + 1) * size), k * size);
      for (const chunk of chunks) {
        const res = await this.ig.run(
          {
            [IG_NAMES.a]: { data: feedA, dims: [count, ...this.lowerDims] },
            [IG_NAMES.alpha]: { data: chunk.alpha, dims: [chunk.alpha.length] },
            [IG_NAMES.w]: { data: chunk.weight, dims: [chunk.weight.length] },
            [IG_NAMES.j]: j,
          },
          outputs,
        );
        const out: Record<string, FloatArray> = {};
        for (const o of outputs) out[o] = res[o].data as FloatArray;
        sink(first, count, chunk.first, out);
      }
    }
  }

  /** dF_j/da for each target: one [n, ...lowerDims] map per target. */
  async gradients(a: FloatArray, n: number, targets: readonly number[]): Promise<FloatArray[]> {
    this.checkBatch(a, n, targets);
    const size = this.sampleSize;
    const samples = Array.from({ length: n }, (_, s) => s);
    const maps: FloatArray[] = [];
    for (const j of targets) {
      const map = this.alloc(n * size);
      await this.runSamples(a, samples, j, [1], [1], [IG_NAMES.grad], (first, count, _step, out) =>
        map.set(out[IG_NAMES.grad].subarray(0, count * size), first * size),
      );
      maps.push(map);
    }
    return maps;
  }

  /** IG for arbitrary (sample, target) pairs (e.g. each neuron's own top crops). */
  async integratedGradientsPairs(a: FloatArray, n: number, pairs: readonly IgPair[], options: IgOptions = {}): Promise<IgPairsResult> {
    this.checkBatch(
      a,
      n,
      pairs.map((p) => p.target),
    );
    for (const p of pairs)
      if (!Number.isInteger(p.sample) || p.sample < 0 || p.sample >= n) throw new UsageError(`sample ${p.sample} is outside the batch of ${n}`);
    const { alphas, weights } = quadrature(options.method ?? 'gausslegendre', options.steps ?? DEFAULT_STEPS);
    const steps = alphas.length;
    const C = this.lowerDims[0];
    const endpoints = options.endpoints ?? true;
    // One target per run; its pairs in sample order (contiguous samples feed without a copy). Two extra steps
    // of weight 0 at alpha 1 and 0 give F_j(a) and F_j(0) for the completeness check.
    const byTarget = new Map<number, number[]>();
    pairs.forEach((p, i) => {
      const list = byTarget.get(p.target) ?? [];
      list.push(i);
      byTarget.set(p.target, list);
    });
    const attributions = new Float64Array(pairs.length * C);
    const delta = new Float64Array(pairs.length);
    for (const [target, list] of byTarget) {
      list.sort((x, y) => pairs[x].sample - pairs[y].sample || x - y);
      await this.runSamples(
        a,
        list.map((i) => pairs[i].sample),
        target,
        endpoints ? [...alphas, 1, 0] : alphas,
        endpoints ? [...weights, 0, 0] : weights,
        [IG_NAMES.contrib, IG_NAMES.value],
        (first, count, firstStep, out) => {
          const contrib = out[IG_NAMES.contrib];
          const value = out[IG_NAMES.value];
          const width = value.length / count;
          for (let k = 0; k < count; k++) {
            const pair = list[first + k];
            for (let c = 0; c < C; c++) attributions[pair * C + c] += contrib[k * C + c];
            for (let s = 0; s < width; s++) {
              if (firstStep + s === steps) delta[pair] += value[k * width + s];
              if (firstStep + s === steps + 1) delta[pair] -= value[k * width + s];
            }
          }
        },
      );
    }
    if (!endpoints) {
      delta.fill(Number.NaN);
      return { attributions, delta, completenessError: new Float64Array(pairs.length).fill(Number.NaN) };
    }
    const completenessError = new Float64Array(pairs.length);
    pairs.forEach((_, i) => {
      let sum = 0;
      for (let c = 0; c < C; c++) sum += attributions[i * C + c];
      completenessError[i] = Math.abs(sum - delta[i]);
    });
    return { attributions, delta, completenessError };
  }
  /** IG of each target over every sample of the batch (targets share the batch's runs). */
  async integratedGradients(a: FloatArray, n: number, targets: readonly number[], options: IgOptions = {}): Promise<IgTargetResult[]> {
    const pairs = targets.flatMap((target) => Array.from({ length: n }, (_, sample) => ({ sample, target })));
    const res = await this.integratedGradientsPairs(a, n, pairs, options);
    const C = this.lowerDims[0];
    return targets.map((target, k) => {
      const delta = res.delta.slice(k * n, (k + 1) * n);
      const completenessError = res.completenessError.slice(k * n, (k + 1) * n);
      const maxDelta = Math.max(...Array.from(delta, Math.abs));
      return {
        target,
        attributions: res.attributions.slice(k * n * C, (k + 1) * n * C),
        delta,
        completenessError,
        relativeCompletenessError: maxDelta > 0 ? Math.max(...completenessError) / maxDelta : 0,
      };
    });
  }

  async release(): Promise<void> {
    await this.ig.release();
    if (this.value) await (await this.value).release();
  }
}

/**
 * Integrated Gradients and plain gradients of F_j (the spatial mean of upper channel j; upper[:, j] for rank 2)
 * with respect to the lower activation of a segment, on onnxruntime. All (sample, target, step) rows go
 * through the fused target model (builder.ts) in large batches; only [rows, C_lower] leaves the runtime.
 * Sums over steps and positions are accumulated in float64.
 */
import { GradientError, UsageError } from '../errors';
import { DataType, encodeModel, type ModelProto } from '../onnx/proto';
import { OrtSession, type SessionOptions } from '../runtime/ort';
import { buildTargetModel, buildValueModel, segmentEnds, TARGET_NAMES, VALUE_NAMES } from './builder';
import { quadrature, type IgMethod } from './quadrature';
import type { ShapeMap } from './types';

export type FloatArray = Float32Array | Float64Array;

export interface IgOptions {
  /** Integration steps (default 50, captum's default). */
  steps?: number;
  /** Default 'gausslegendre' (captum's default). */
  method?: IgMethod;
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
  /** Activation memory one run may use, in bytes (default 512 MiB); sets the rows per run. */
  memoryBytes?: number;
  /** Rows per run, overriding memoryBytes. */
  rowsPerRun?: number;
}

const DEFAULT_MEMORY = 512 * 1024 ** 2;

/** Gradients and IG of one segment (lower -> upper), holding its two ORT sessions. */
export class SegmentGradients {
  private constructor(
    private readonly target: OrtSession,
    private readonly value: OrtSession,
    /** Non-batch dims of the lower activation. */
    readonly lowerDims: number[],
    /** Channels of the upper tensor (the targets j range over these). */
    readonly upperChannels: number,
    readonly elemType: number,
    /** Rows (sample x target x step) per ORT run. */
    readonly rowsPerRun: number,
  ) {}

  get provider(): string { return this.target.provider; }

  static async create(segment: ModelProto, shapes: ShapeMap, options: SegmentGradientOptions = {}): Promise<SegmentGradients> {
    const ends = segmentEnds(segment);
    const name = options.name ?? segment.graph.name ?? 'segment';
    const lower = shapes.get(ends.lower);
    const upper = shapes.get(ends.upper);
    if (!lower || !upper) throw new GradientError(`${name}: static shapes of ${ends.lower} and ${ends.upper} are needed`);
    if (lower.length < 2 || upper.length < 2) throw new GradientError(`${name}: lower and upper tensors need a channel axis (rank >= 2)`);
    let perRow = 0;
    for (const n of segment.graph.node) {
      for (const o of n.output) perRow += (shapes.get(o)?.slice(1).reduce((a, b) => a * b, 1) ?? 0);
    }
    const bytes = ends.elemType === DataType.DOUBLE ? 8 : 4;
    const rows = options.rowsPerRun ?? Math.max(1, Math.min(4096, Math.floor((options.memoryBytes ?? DEFAULT_MEMORY) / Math.max(1, 3 * perRow * bytes))));
    const target = await OrtSession.create(encodeModel(buildTargetModel(segment, shapes)), `${name} (backward)`, options);
    const value = await OrtSession.create(encodeModel(buildValueModel(segment, shapes)), `${name} (forward)`, options);
    return new SegmentGradients(target, value, lower.slice(1), upper[1], ends.elemType, rows);
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
      if (!Number.isInteger(j) || j < 0 || j >= this.upperChannels) throw new UsageError(`target ${j} is not a channel of the upper tensor (0..${this.upperChannels - 1})`);
    }
  }

  /** F_j for every upper channel j: [n, C_upper]. */
  async values(a: FloatArray, n: number): Promise<FloatArray> {
    this.checkBatch(a, n, []);
    const out = this.alloc(n * this.upperChannels);
    const chunk = Math.max(1, this.rowsPerRun);
    for (let s = 0; s < n; s += chunk) {
      const m = Math.min(chunk, n - s);
      const res = await this.value.run({ [VALUE_NAMES.a]: { data: a.subarray(s * this.sampleSize, (s + m) * this.sampleSize), dims: [m, ...this.lowerDims] } }, [VALUE_NAMES.value]);
      out.set(res[VALUE_NAMES.value].data as FloatArray, s * this.upperChannels);
    }
    return out;
  }

  /**
   * Runs rows (sample, alpha, target, weight) in chunks; `sink(row, outputs)` receives each chunk's results.
   * Rows of a chunk only feed the samples they use.
   */
  private async runRows(
    a: FloatArray, rowSample: Int32Array, rowAlpha: Float64Array, rowTarget: Int32Array, rowWeight: Float64Array,
    outputs: string[], sink: (first: number, count: number, out: Record<string, FloatArray>) => void,
  ): Promise<void> {
    const size = this.sampleSize;
    const total = rowSample.length;
    for (let first = 0; first < total; first += this.rowsPerRun) {
      const count = Math.min(this.rowsPerRun, total - first);
      const local = new Map<number, number>();
      const rows = new BigInt64Array(count);
      for (let r = 0; r < count; r++) {
        const s = rowSample[first + r];
        if (!local.has(s)) local.set(s, local.size);
        rows[r] = BigInt(local.get(s)!);
      }
      const feedA = this.alloc(local.size * size);
      for (const [s, l] of local) feedA.set(a.subarray(s * size, (s + 1) * size), l * size);
      const alpha = this.alloc(count);
      const t = this.alloc(count * this.upperChannels);
      for (let r = 0; r < count; r++) {
        alpha[r] = rowAlpha[first + r];
        t[r * this.upperChannels + rowTarget[first + r]] = rowWeight[first + r];
      }
      const res = await this.target.run({
        [TARGET_NAMES.a]: { data: feedA, dims: [local.size, ...this.lowerDims] },
        [TARGET_NAMES.rows]: { data: rows, dims: [count] },
        [TARGET_NAMES.alpha]: { data: alpha, dims: [count] },
        [TARGET_NAMES.t]: { data: t, dims: [count, this.upperChannels] },
      }, outputs);
      const out: Record<string, FloatArray> = {};
      for (const o of outputs) out[o] = res[o].data as FloatArray;
      sink(first, count, out);
    }
  }

  /** dF_j/da for each target: one [n, ...lowerDims] map per target. */
  async gradients(a: FloatArray, n: number, targets: readonly number[]): Promise<FloatArray[]> {
    this.checkBatch(a, n, targets);
    const size = this.sampleSize;
    const R = n * targets.length;
    const rowSample = new Int32Array(R);
    const rowTarget = new Int32Array(R);
    targets.forEach((j, k) => { for (let s = 0; s < n; s++) { rowSample[k * n + s] = s; rowTarget[k * n + s] = j; } });
    const maps = targets.map(() => this.alloc(n * size));
    await this.runRows(a, rowSample, new Float64Array(R).fill(1), rowTarget, new Float64Array(R).fill(1), [TARGET_NAMES.grad], (first, count, out) => {
      for (let r = 0; r < count; r++) {
        const row = first + r;
        maps[Math.floor(row / n)].set(out[TARGET_NAMES.grad].subarray(r * size, (r + 1) * size), (row % n) * size);
      }
    });
    return maps;
  }

  /** IG for arbitrary (sample, target) pairs (e.g. each neuron's own top crops). */
  async integratedGradientsPairs(a: FloatArray, n: number, pairs: readonly IgPair[], options: IgOptions = {}): Promise<IgPairsResult> {
    this.checkBatch(a, n, pairs.map((p) => p.target));
    for (const p of pairs) if (!Number.isInteger(p.sample) || p.sample < 0 || p.sample >= n) throw new UsageError(`sample ${p.sample} is outside the batch of ${n}`);
    const { alphas, weights } = quadrature(options.method ?? 'gausslegendre', options.steps ?? 50);
    const steps = alphas.length;
    const C = this.lowerDims[0];
    // Rows ordered by sample (pairs sorted), so a chunk touches few samples.
    const order = pairs.map((_, i) => i).sort((x, y) => pairs[x].sample - pairs[y].sample || x - y);
    const R = pairs.length * steps;
    const rowSample = new Int32Array(R);
    const rowTarget = new Int32Array(R);
    const rowAlpha = new Float64Array(R);
    const rowWeight = new Float64Array(R);
    const rowPair = new Int32Array(R);
    order.forEach((p, k) => {
      for (let s = 0; s < steps; s++) {
        const r = k * steps + s;
        rowSample[r] = pairs[p].sample;
        rowTarget[r] = pairs[p].target;
        rowAlpha[r] = alphas[s];
        rowWeight[r] = weights[s];
        rowPair[r] = p;
      }
    });
    const attributions = new Float64Array(pairs.length * C);
    await this.runRows(a, rowSample, rowAlpha, rowTarget, rowWeight, [TARGET_NAMES.contrib], (first, count, out) => {
      const contrib = out[TARGET_NAMES.contrib];
      for (let r = 0; r < count; r++) {
        const base = rowPair[first + r] * C;
        for (let c = 0; c < C; c++) attributions[base + c] += contrib[r * C + c];
      }
    });
    // Completeness: F_j(a) - F_j(0).
    const fa = await this.values(a, n);
    const f0 = await this.values(this.alloc(this.sampleSize), 1);
    const delta = new Float64Array(pairs.length);
    const completenessError = new Float64Array(pairs.length);
    pairs.forEach((p, i) => {
      delta[i] = fa[p.sample * this.upperChannels + p.target] - f0[p.target];
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
    await this.target.release();
    await this.value.release();
  }
}

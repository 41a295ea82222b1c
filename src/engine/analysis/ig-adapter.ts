/**
 * Integrated Gradients for the analysis on the gradient engine's fused target model (`buildTargetModel`):
 * zero baseline, captum's Gauss-Legendre steps, every (crop, step) row of one target in large batches,
 * accumulated in float64, summed over positions.
 *
 * Temporary home: the gradient engine's own `grad/ig.ts` (same maths) had not landed when this was written;
 * switch `analysisIg` to it when it does.
 */
import { buildTargetModel, TARGET_NAMES } from '../grad/builder';
import type { LoadedModel } from '../onnx/model';
import { encodeModel } from '../onnx/proto';
import { inferShapes } from '../onnx/shapes';
import { segment } from '../onnx/submodel';
import type { ProviderSetting } from '../runtime/ort';
import { sessionCache } from '../runtime/sessions';
import type { Tensor32 } from './backend';
import { Cancelled } from './pipeline';

/** Gauss-Legendre nodes and weights on [0, 1] (captum: 0.5 * (leggauss(n) + 1), 0.5 * weights). */
export function gaussLegendre01(n: number): { alphas: Float64Array; weights: Float64Array } {
  const alphas = new Float64Array(n);
  const weights = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let x = Math.cos((Math.PI * (i + 0.75)) / (n + 0.5));
    let dp = 0;
    for (let it = 0; it < 100; it++) {
      let p0 = 1, p1 = x;
      for (let k = 2; k <= n; k++) [p0, p1] = [p1, ((2 * k - 1) * x * p1 - (k - 1) * p0) / k];
      if (n === 1) { p0 = 1; p1 = x; }
      dp = (n * (x * p1 - p0)) / (x * x - 1);
      const dx = p1 / dp;
      x -= dx;
      if (Math.abs(dx) < 1e-16) break;
    }
    let p0 = 1, p1 = x;
    for (let k = 2; k <= n; k++) [p0, p1] = [p1, ((2 * k - 1) * x * p1 - (k - 1) * p0) / k];
    dp = (n * (x * p1 - p0)) / (x * x - 1);
    alphas[n - 1 - i] = 0.5 * (x + 1);
    weights[n - 1 - i] = 0.5 * (2 / ((1 - x * x) * dp * dp));
  }
  return { alphas, weights };
}

export interface IgSettings {
  steps: number;
  provider?: ProviderSetting;
  threads?: number;
  /** Bytes of lower activation per batch of rows (default 16 MB; the backward graph holds several times that). */
  rowBudget?: number;
}

/** IG of F_target(upper) w.r.t. `a` (activations of `lower`), per lower channel summed over positions. */
export async function analysisIg(
  model: LoadedModel, lower: string, upper: string, a: Tensor32, target: number, settings: IgSettings, signal?: AbortSignal,
): Promise<Tensor32> {
  const shapes = await inferShapes(model);
  const [n, c] = a.dims;
  const per = a.data.length / n;
  const cUpper = shapes.get(upper)![1];
  const { alphas, weights } = gaussLegendre01(settings.steps);
  const totalRows = n * settings.steps;
  const batch = Math.max(settings.steps, Math.floor((settings.rowBudget ?? 16 << 20) / (per * 4)));
  const acc = new Float64Array(n * c);
  const key = { sha256: model.sha256, sub: `ig-target:${lower}->${upper}`, provider: settings.provider ?? 'cpu', threads: settings.threads };
  const build = () => encodeModel(buildTargetModel(segment(model, lower, upper), shapes));
  await sessionCache.use(key, build, model.path, async (session) => {
    for (let start = 0; start < totalRows; start += batch) {
      if (signal?.aborted) throw new Cancelled();
      const r = Math.min(batch, totalRows - start);
      const rows = new BigInt64Array(r);
      const alpha = new Float32Array(r);
      const t = new Float32Array(r * cUpper);
      for (let k = 0; k < r; k++) {
        const row = start + k;
        const sample = Math.floor(row / settings.steps);
        const step = row % settings.steps;
        rows[k] = BigInt(sample);
        alpha[k] = alphas[step];
        t[k * cUpper + target] = weights[step];
      }
      const res = await session.run({
        [TARGET_NAMES.a]: a, [TARGET_NAMES.rows]: { data: rows, dims: [r] }, [TARGET_NAMES.alpha]: { data: alpha, dims: [r] },
        [TARGET_NAMES.t]: { data: t, dims: [r, cUpper] },
      }, [TARGET_NAMES.contrib]);
      const contrib = res[TARGET_NAMES.contrib].data as Float32Array;
      for (let k = 0; k < r; k++) {
        const sample = Math.floor((start + k) / settings.steps);
        for (let ch = 0; ch < c; ch++) acc[sample * c + ch] += contrib[k * c + ch];
      }
    }
  });
  return { data: Float32Array.from(acc), dims: [n, c] };
}

/**
 * Integrated Gradients for the analysis, on the gradient engine (`grad/ig.ts`): one `SegmentGradients` per
 * (model, lower, upper, provider, threads), kept for the whole analysis; a neuron's top crops go through in
 * chunks so a cancel request is seen between them.
 */
import { UsageError } from '../errors';
import { SegmentGradients } from '../grad/ig';
import type { LoadedModel } from '../onnx/model';
import { inferShapes } from '../onnx/shapes';
import { segment } from '../onnx/submodel';
import type { ProviderSetting } from '../runtime/ort';
import type { IgTensor, Tensor32 } from './backend';
import { OrtAnalysisBackend } from './ort-backend';
import { Cancelled } from './pipeline';
import type { AnalysisParams } from '../result/schema';

export interface IgSettings {
  steps: number;
  method?: 'gausslegendre' | 'riemann_trapezoid';
  provider?: ProviderSetting;
  threads?: number;
  /** Samples per IG call (a cancel is noticed between calls; default 25). */
  chunk?: number;
}

const segments = new Map<string, Promise<SegmentGradients>>();

const segmentKey = (model: LoadedModel, lower: string, upper: string, settings: IgSettings) =>
  `${model.sha256}|${lower}|${upper}|${settings.provider ?? 'cpu'}|${settings.threads ?? ''}`;

function segmentGradients(model: LoadedModel, lower: string, upper: string, settings: IgSettings): Promise<SegmentGradients> {
  const key = segmentKey(model, lower, upper, settings);
  let s = segments.get(key);
  if (!s) {
    s = inferShapes(model).then((shapes) =>
      SegmentGradients.create(segment(model, lower, upper), shapes, {
        provider: settings.provider ?? 'cpu',
        threads: settings.threads,
        name: `${model.path} ${lower} -> ${upper}`,
      }),
    );
    s.catch(() => segments.delete(key));
    segments.set(key, s);
  }
  return s;
}

/** Releases the IG sessions of one segment (a later call builds them again). */
async function releaseSegment(model: LoadedModel, lower: string, upper: string, settings: IgSettings): Promise<void> {
  const key = segmentKey(model, lower, upper, settings);
  const s = segments.get(key);
  segments.delete(key);
  if (s)
    await s.then(
      (g) => g.release(),
      () => undefined,
    );
}

/** Releases the IG sessions held for the analysis. */
export async function releaseSegmentGradients(): Promise<void> {
  const all = [...segments.values()];
  segments.clear();
  for (const s of all) await (await s).release();
}

/** F(0) of every upper channel per segment (one row), for the completeness check when F(a) is given. */
const zeroValues = new WeakMap<SegmentGradients, Promise<ArrayLike<number>>>();

function valuesAtZero(grads: SegmentGradients): Promise<ArrayLike<number>> {
  let v = zeroValues.get(grads);
  if (!v) {
    v = grads.values(new Float32Array(grads.lowerDims.reduce((x, y) => x * y, 1)), 1);
    zeroValues.set(grads, v);
  }
  return v;
}

/**
 * IG of F_target(upper) w.r.t. `a` (activations of `lower`), per lower channel summed over positions: [n, C],
 * with the relative completeness error over the batch (sum of |sum_c IG - delta| / sum of |delta|). With
 * `values` (F_target(a) per sample, known to the caller) the two endpoint rows per sample are not run: delta is
 * values - F_target(0), F(0) computed once per segment.
 */
export async function analysisIg(
  model: LoadedModel,
  lower: string,
  upper: string,
  a: Tensor32,
  target: number,
  settings: IgSettings,
  signal?: AbortSignal,
  values?: ArrayLike<number>,
): Promise<IgTensor> {
  const grads = await segmentGradients(model, lower, upper, settings);
  const [n, c] = a.dims;
  if (values && values.length !== n) throw new UsageError(`F(a): ${values.length} values for ${n} samples`);
  const per = a.data.length / n;
  const out = new Float32Array(n * c);
  const chunk = Math.max(1, settings.chunk ?? 25);
  const f0 = values ? (await valuesAtZero(grads))[target] : 0;
  let error = 0;
  let delta = 0;
  for (let s = 0; s < n; s += chunk) {
    if (signal?.aborted) throw new Cancelled();
    const m = Math.min(chunk, n - s);
    const [res] = await grads.integratedGradients(a.data.subarray(s * per, (s + m) * per), m, [target], {
      steps: settings.steps,
      method: settings.method ?? 'gausslegendre',
      endpoints: !values,
    });
    out.set(res.attributions, s * c);
    for (let k = 0; k < m; k++) {
      let sum = 0;
      for (let ch = 0; ch < c; ch++) sum += res.attributions[k * c + ch];
      const d = values ? values[s + k] - f0 : res.delta[k];
      error += Math.abs(sum - d);
      delta += Math.abs(d);
    }
  }
  return { data: out, dims: [n, c], relativeCompletenessError: delta > 0 ? error / delta : 0 };
}

/**
 * The analysis backend whose Integrated Gradients follow `params` (steps and method): what a class analysis uses,
 * and every later run on its saved result (debugging, masking, fidelity).
 */
export function analysisBackend(
  model: LoadedModel,
  params: Pick<AnalysisParams, 'igSteps' | 'igMethod'>,
  runtime: { provider?: ProviderSetting; threads?: number },
): OrtAnalysisBackend {
  const settings: IgSettings = { steps: params.igSteps, method: params.igMethod, provider: runtime.provider, threads: runtime.threads };
  return new OrtAnalysisBackend(model, {
    provider: runtime.provider,
    threads: runtime.threads,
    ig: (m, lower, upper, a, target, signal, options) =>
      analysisIg(m, lower, upper, a, target, options?.steps ? { ...settings, steps: options.steps } : settings, signal, options?.values),
    releaseIg: (m, lower, upper) => releaseSegment(m, lower, upper, settings),
  });
}

/**
 * The analysis backend on onnxruntime: sub-models of the loaded model (prefix, suffix, a multi-output model
 * with in-graph spatial means), one cached session each, and Integrated Gradients from the gradient engine.
 */
import { PARAMS } from '../params';
import type { LoadedModel } from '../onnx/model';
import { computeActivations } from '../onnx/activations';
import { encodeModel } from '../onnx/proto';
import { suffix } from '../onnx/submodel';
import type { SessionOptions } from '../runtime/ort';
import { sessionCache } from '../runtime/sessions';
import type { AnalysisBackend, IgCallOptions, IgTensor, Tensor32 } from './backend';

/** IG per lower channel summed over positions, [n, C_lower] (see AnalysisBackend.integratedGradients). */
export type IgFunction = (
  model: LoadedModel,
  lower: string,
  upper: string,
  a: Tensor32,
  target: number,
  signal?: AbortSignal,
  options?: IgCallOptions,
) => Promise<IgTensor>;

export interface OrtBackendOptions extends SessionOptions {
  ig: IgFunction;
  /** Frees what `ig` holds for a segment (see AnalysisBackend.releaseGradients). */
  releaseIg?: (model: LoadedModel, lower: string, upper: string) => Promise<void>;
  /** Activation memory budget of one run in bytes (default 2 GB, docs/design.md 3.4): sets the batch size. */
  memoryBudget?: number;
}

export class OrtAnalysisBackend implements AnalysisBackend {
  provider = 'cpu';
  readonly threads: number;

  constructor(
    readonly model: LoadedModel,
    private readonly options: OrtBackendOptions,
  ) {
    this.threads = options.threads ?? PARAMS.threads.default;
  }

  private run(inputs: Tensor32, spec: { means?: readonly string[]; maps?: readonly string[] }, signal?: AbortSignal) {
    // The batch size comes from the memory budget (a call's inputs may be split into several runs), and the
    // sessions run without ORT's CPU arena so the largest batch's buffers are not held for the whole analysis.
    return computeActivations(this.model, inputs, spec, {
      provider: this.options.provider,
      threads: this.options.threads,
      memoryBudget: this.options.memoryBudget,
      memoryArena: this.options.memoryArena ?? false,
      signal,
    }).then((r) => {
      this.provider = r.provider;
      return r;
    });
  }

  async channelMeans(inputs: Tensor32, tensors: readonly string[], signal?: AbortSignal): Promise<Tensor32[]> {
    const r = await this.run(inputs, { means: tensors }, signal);
    return tensors.map((t) => r.means.get(t)!);
  }

  async activation(inputs: Tensor32, tensor: string, signal?: AbortSignal): Promise<Tensor32> {
    const r = await this.run(inputs, { maps: [tensor] }, signal);
    return r.maps.get(tensor)!;
  }

  integratedGradients(lower: string, upper: string, a: Tensor32, target: number, signal?: AbortSignal, options?: IgCallOptions): Promise<IgTensor> {
    return this.options.ig(this.model, lower, upper, a, target, signal, options);
  }

  async releaseGradients(lower: string, upper: string): Promise<void> {
    await this.options.releaseIg?.(this.model, lower, upper);
  }

  async maskedLogits(inputs: Tensor32, tensor: string, channels: readonly number[], signal?: AbortSignal): Promise<Tensor32> {
    const a = await this.activation(inputs, tensor, signal);
    const [n, c] = a.dims;
    const per = a.data.length / (n * c);
    const data = a.data.slice();
    for (let i = 0; i < n; i++) for (const ch of channels) data.fill(0, (i * c + ch) * per, (i * c + ch + 1) * per);
    const out = this.model.output.name;
    const key = {
      sha256: this.model.sha256,
      sub: `suffix:${tensor}`,
      provider: this.options.provider ?? 'cpu',
      threads: this.options.threads,
      memoryArena: this.options.memoryArena ?? false,
    };
    return sessionCache.use(
      key,
      () => encodeModel(suffix(this.model, tensor)),
      this.model.path,
      async (s) => {
        const res = await s.run({ [tensor]: { data, dims: a.dims } }, [out]);
        return { data: res[out].data as Float32Array, dims: res[out].dims };
      },
    );
  }
}

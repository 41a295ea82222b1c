/**
 * The analysis backend on onnxruntime: sub-models of the loaded model (prefix, suffix, a multi-output model
 * with in-graph spatial means), one cached session each, and Integrated Gradients from the gradient engine.
 */
import type { LoadedModel } from '../onnx/model';
import { makeNode } from '../onnx/build';
import { encodeModel, type ModelProto } from '../onnx/proto';
import { extractSubmodel, prefix, suffix } from '../onnx/submodel';
import { OrtSession, type SessionOptions } from '../runtime/ort';
import { ModelError } from '../errors';
import type { AnalysisBackend, Tensor32 } from './backend';

/** IG per lower channel summed over positions, [n, C_lower] (see AnalysisBackend.integratedGradients). */
export type IgFunction = (
  model: LoadedModel, lower: string, upper: string, a: Tensor32, target: number, signal?: AbortSignal,
) => Promise<Tensor32>;

export interface OrtBackendOptions extends SessionOptions {
  ig: IgFunction;
  /** Tensor ranks (with batch) by name, to decide where a spatial mean is needed. */
  ranks: ReadonlyMap<string, number>;
}

/** Appends ReduceMean over the spatial axes to the rank-3/4 outputs, as `<tensor>::mean` outputs. */
export function withChannelMeans(sub: ModelProto, tensors: readonly string[], ranks: ReadonlyMap<string, number>, opset: number): { model: ModelProto; outputs: string[] } {
  const outputs: string[] = [];
  const nodes = [...sub.graph.node];
  const inits = [...sub.graph.initializer];
  tensors.forEach((t, i) => {
    const rank = ranks.get(t);
    if (rank === undefined) throw new ModelError(`layer tensor ${t}: shape unknown (run shape inference first)`);
    if (rank <= 2) { outputs.push(t); return; }
    const axes = Array.from({ length: rank - 2 }, (_, k) => k + 2);
    const out = `${t}::mean`;
    if (opset >= 18) {
      const axesName = `neurflow_mean_axes_${i}`;
      inits.push({ name: axesName, dims: [axes.length], dataType: 7, rawData: new Uint8Array(BigInt64Array.from(axes.map(BigInt)).buffer) });
      nodes.push(makeNode('ReduceMean', [t, axesName], [out], { keepdims: 0 }, `neurflow_mean_${i}`));
    } else {
      nodes.push(makeNode('ReduceMean', [t], [out], { axes, keepdims: 0 }, `neurflow_mean_${i}`));
    }
    outputs.push(out);
  });
  return {
    model: { ...sub, graph: { ...sub.graph, node: nodes, initializer: inits, output: outputs.map((name) => ({ name })) } },
    outputs,
  };
}

export class OrtAnalysisBackend implements AnalysisBackend {
  private readonly sessions = new Map<string, Promise<OrtSession>>();
  provider = 'cpu';
  readonly threads: number;

  constructor(readonly model: LoadedModel, private readonly options: OrtBackendOptions) {
    this.threads = options.threads ?? 0;
  }

  private session(key: string, build: () => ModelProto): Promise<OrtSession> {
    let s = this.sessions.get(key);
    if (!s) {
      s = OrtSession.create(encodeModel(build()), `${this.model.path} [${key}]`, this.options).then((session) => {
        this.provider = session.provider;
        return session;
      });
      this.sessions.set(key, s);
    }
    return s;
  }

  async channelMeans(inputs: Tensor32, tensors: readonly string[]): Promise<Tensor32[]> {
    const key = `means:${tensors.join('|')}`;
    let outs: string[] = [];
    const s = await this.session(key, () => {
      const sub = extractSubmodel(this.model, [this.model.input.name], [...new Set(tensors)], `${this.model.path} channel means`);
      const r = withChannelMeans(sub, tensors, this.options.ranks, this.model.opset);
      return r.model;
    });
    outs = tensors.map((t) => ((this.options.ranks.get(t) ?? 2) <= 2 ? t : `${t}::mean`));
    const res = await s.run({ [this.model.input.name]: inputs }, [...new Set(outs)]);
    return outs.map((o) => ({ data: res[o].data as Float32Array, dims: res[o].dims }));
  }

  async activation(inputs: Tensor32, tensor: string): Promise<Tensor32> {
    const s = await this.session(`prefix:${tensor}`, () => prefix(this.model, tensor));
    const res = await s.run({ [this.model.input.name]: inputs }, [tensor]);
    return { data: res[tensor].data as Float32Array, dims: res[tensor].dims };
  }

  integratedGradients(lower: string, upper: string, a: Tensor32, target: number, signal?: AbortSignal): Promise<Tensor32> {
    return this.options.ig(this.model, lower, upper, a, target, signal);
  }

  async maskedLogits(inputs: Tensor32, tensor: string, channels: readonly number[]): Promise<Tensor32> {
    const a = await this.activation(inputs, tensor);
    const [n, c] = a.dims;
    const per = a.data.length / (n * c);
    const data = a.data.slice();
    for (let i = 0; i < n; i++) for (const ch of channels) data.fill(0, (i * c + ch) * per, (i * c + ch + 1) * per);
    const s = await this.session(`suffix:${tensor}`, () => suffix(this.model, tensor));
    const out = this.model.output.name;
    const res = await s.run({ [tensor]: { data, dims: a.dims } }, [out]);
    return { data: res[out].data as Float32Array, dims: res[out].dims };
  }

  async release(): Promise<void> {
    for (const s of this.sessions.values()) await (await s).release();
    this.sessions.clear();
  }
}

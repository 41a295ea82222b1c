/**
 * Layer activations in one pass of the model: for every requested tensor, its channel means (the spatial
 * mean, computed inside the graph by an appended ReduceMean so only N x C leaves onnxruntime) and/or its full
 * map; batched over the inputs with a batch size from a memory budget (on CPU also capped: runtime/batching.ts).
 */
import { makeNode, makeTensor, makeValueInfo } from './build';
import { DataType, encodeModel, type ModelProto, type NodeProto, type TensorProto } from './proto';
import { extractSubmodel, BATCH_DIM } from './submodel';
import { inferShapes } from './shapes';
import type { LoadedModel } from './model';
import { batchSizeFor, bytesPerSample, cpuBatchSizeFor, DEFAULT_MEMORY_BUDGET } from '../runtime/batching';
import type { Provider, ProviderSetting } from '../runtime/ort';
import { sessionCache, type SessionCache } from '../runtime/sessions';
import { ModelError, UsageError } from '../errors';

export interface Tensor {
  data: Float32Array;
  /** Dims with the batch dim first. */
  dims: number[];
}

export interface ActivationSpec {
  /** Tensors whose channel means ([N, C]; rank-2 tensors as they are) are wanted. */
  means?: readonly string[];
  /** Tensors whose full maps are wanted. */
  maps?: readonly string[];
  /** Also return the model output (logits). */
  logits?: boolean;
}

/** Inputs as one tensor, or a source that yields batches (so large crop sets need not sit in memory). */
export type ActivationInput = Tensor | { count: number; batch(start: number, count: number): Float32Array | Promise<Float32Array> };

export interface ActivationOptions {
  provider?: ProviderSetting;
  threads?: number;
  /** Activation memory budget in bytes (default 2 GB); bounds the batch size unless `batchSize` is given. */
  memoryBudget?: number;
  batchSize?: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
  cache?: SessionCache;
  /** The session's CPU memory arena (default on; see SessionOptions.memoryArena). */
  memoryArena?: boolean;
}

export interface Activations {
  means: Map<string, Tensor>;
  maps: Map<string, Tensor>;
  logits?: Tensor;
  provider: Provider;
  batchSize: number;
}

const MEAN_PREFIX = 'neurflow_mean:';

/**
 * The model computing the requested outputs from the input: `neurflow_mean:<tensor>` ([N, C]) for each mean,
 * `<tensor>` for each map, the output for logits. `shapes` (from inferShapes) gives each tensor's rank.
 */
export function activationModel(model: LoadedModel, spec: ActivationSpec, shapes: Map<string, number[]>): ModelProto {
  const means = [...new Set(spec.means ?? [])];
  const maps = [...new Set(spec.maps ?? [])];
  const wanted = [...new Set([...means, ...maps, ...(spec.logits ? [model.output.name] : [])])];
  if (wanted.length === 0) throw new UsageError(`${model.path}: no activations requested`);
  for (const t of wanted) {
    if (!model.graph.has(t)) throw new ModelError(`${model.path}: no tensor named ${t}`);
  }
  const proto = extractSubmodel(model, [model.input.name], wanted, `${model.path} activations`);
  const g = proto.graph;
  const keepOutputs = new Set([...maps, ...(spec.logits ? [model.output.name] : [])]);
  g.output = g.output.filter((o) => keepOutputs.has(o.name));
  const useAxesInput = model.opset >= 18;
  for (const t of means) {
    const dims = shapes.get(t);
    if (!dims) throw new ModelError(`${model.path}: the shape of tensor ${t} is unknown (not a data tensor?)`);
    if (dims.length < 2 || dims.length > 4) {
      throw new ModelError(`${model.path}: tensor ${t} has shape [${dims.join(', ')}]; channel means need rank 2, 3 or 4`);
    }
    const out = MEAN_PREFIX + t;
    if (dims.length === 2) {
      g.node.push(makeNode('Identity', [t], [out], {}, `neurflow/mean/${t}`));
    } else {
      const axes = dims.slice(2).map((_, i) => i + 2);
      g.node.push(reduceMean(t, out, axes, useAxesInput, g.initializer));
    }
    g.output.push(makeValueInfo(out, DataType.FLOAT, [BATCH_DIM, dims[1]]));
  }
  return proto;
}

function reduceMean(input: string, output: string, axes: number[], axesAsInput: boolean, inits: TensorProto[]): NodeProto {
  if (!axesAsInput) return makeNode('ReduceMean', [input], [output], { axes, keepdims: 0 }, `neurflow/mean/${input}`);
  const axesName = `neurflow_axes_${axes.join('_')}`;
  if (!inits.some((t) => t.name === axesName)) inits.push(makeTensor(axesName, [axes.length], axes));
  return makeNode('ReduceMean', [input, axesName], [output], { keepdims: 0 }, `neurflow/mean/${input}`);
}

/** Runs the model over all inputs once (in batches) and gathers the requested activations. */
export async function computeActivations(
  model: LoadedModel,
  input: ActivationInput,
  spec: ActivationSpec,
  options: ActivationOptions = {},
): Promise<Activations> {
  const shapes = await inferShapes(model, { provider: options.provider, threads: options.threads });
  const proto = activationModel(model, spec, shapes);
  const perSample = bytesPerSample([...shapes.values()]);
  const inDims = shapes.get(model.input.name)!;
  const sampleSize = inDims.slice(1).reduce((a, b) => a * b, 1);
  const source = 'data' in input ? tensorSource(input, sampleSize, model) : input;
  const total = source.count;
  const outputs = proto.graph.output.map((o) => o.name);
  const sizes = new Map(
    outputs.map((o) => [
      o,
      o.startsWith(MEAN_PREFIX)
        ? shapes.get(o.slice(MEAN_PREFIX.length))![1]
        : shapes
            .get(o)!
            .slice(1)
            .reduce((a, b) => a * b, 1),
    ]),
  );
  const buffers = new Map(outputs.map((o) => [o, new Float32Array(total * sizes.get(o)!)]));
  const key = {
    sha256: model.sha256,
    sub: `activations:${JSON.stringify([...(spec.means ?? [])].sort())}:${JSON.stringify([...(spec.maps ?? [])].sort())}:${!!spec.logits}`,
    provider: options.provider ?? 'cpu',
    threads: options.threads,
    memoryArena: options.memoryArena,
  };
  const cache = options.cache ?? sessionCache;
  const { provider, batchSize } = await cache.use(
    key,
    () => encodeModel(proto),
    model.path,
    async (session) => {
      // The provider that loaded decides: a GPU takes what memory allows, the CPU what its caches hold.
      const budget = options.memoryBudget ?? DEFAULT_MEMORY_BUDGET;
      const batchSize = options.batchSize ?? (session.provider === 'cpu' ? cpuBatchSizeFor(perSample, budget) : batchSizeFor(perSample, budget));
      for (let start = 0; start < total; start += batchSize) {
        if (options.signal?.aborted) throw options.signal.reason ?? new Error('cancelled');
        const n = Math.min(batchSize, total - start);
        const data = await source.batch(start, n);
        if (data.length !== n * sampleSize) {
          throw new UsageError(
            `${model.path}: a batch of ${n} inputs has ${data.length} values, expected ${n * sampleSize} (${n} x [${inDims.slice(1).join(', ')}])`,
          );
        }
        const result = await session.run({ [model.input.name]: { data, dims: [n, ...inDims.slice(1)] } }, outputs);
        for (const o of outputs) buffers.get(o)!.set(result[o].data as Float32Array, start * sizes.get(o)!);
        options.onProgress?.(start + n, total);
      }
      return { provider: session.provider, batchSize };
    },
  );
  const out: Activations = { means: new Map(), maps: new Map(), provider, batchSize };
  for (const o of outputs) {
    const data = buffers.get(o)!;
    if (o.startsWith(MEAN_PREFIX)) {
      const t = o.slice(MEAN_PREFIX.length);
      out.means.set(t, { data, dims: [total, shapes.get(t)![1]] });
    } else {
      const tensor = { data, dims: [total, ...shapes.get(o)!.slice(1)] };
      if ((spec.maps ?? []).includes(o)) out.maps.set(o, tensor);
      if (spec.logits && o === model.output.name) out.logits = tensor;
    }
  }
  return out;
}

function tensorSource(t: Tensor, sampleSize: number, model: LoadedModel): { count: number; batch(start: number, n: number): Float32Array } {
  const count = t.dims[0];
  if (t.data.length !== count * sampleSize) {
    throw new UsageError(
      `${model.path}: input of dims [${t.dims.join(', ')}] (${t.data.length} values) does not match the model input ${model.input.name} [${model.input.shape.join(', ')}]`,
    );
  }
  return { count, batch: (start, n) => t.data.subarray(start * sampleSize, (start + n) * sampleSize) };
}

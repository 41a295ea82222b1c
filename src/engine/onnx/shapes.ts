/**
 * Tensor shapes by one probe run: the model is run once on a batch-1 dummy input with every non-constant
 * intermediate tensor exposed as an output. Cached per model hash.
 */
import { DataType, encodeModel } from './proto';
import { extractSubmodel } from './submodel';
import { cachedShapeInfo, storeShapeInfo, type ShapeInfo } from './shape-cache';
import type { LoadedModel } from './model';
import { OrtSession, type SessionOptions } from '../runtime/ort';
import { ModelError } from '../errors';

/**
 * The most values the probe's dummy input may hold (3 x 1024 x 1024, 12 MB of float32). Every intermediate
 * tensor of the probe run comes back as an output, so a model declaring a 30000 x 30000 input would need
 * hundreds of gigabytes; such a model is refused with a clear message instead of a crash or a long stall.
 */
export const PROBE_MAX_INPUT_VALUES = 3 * 1024 * 1024;

export interface ShapeOptions extends SessionOptions {
  /** Input height/width for models that declare them dynamic (default 224). */
  height?: number;
  width?: number;
  /** The probe's input size limit, in values (default PROBE_MAX_INPUT_VALUES). */
  maxInputValues?: number;
}

const pending = new Map<string, Promise<ShapeInfo>>();

/** Shapes (batch dim 1 included) of every non-constant tensor, the input and the output. */
export async function inferShapes(model: LoadedModel, options: ShapeOptions = {}): Promise<Map<string, number[]>> {
  return (await inferShapeInfo(model, options)).shapes;
}

/** Shapes and element types (see ShapeInfo). */
export async function inferShapeInfo(model: LoadedModel, options: ShapeOptions = {}): Promise<ShapeInfo> {
  const hit = cachedShapeInfo(model.sha256);
  if (hit) return hit;
  let job = pending.get(model.sha256);
  if (!job) {
    job = probe(model, options).finally(() => pending.delete(model.sha256));
    pending.set(model.sha256, job);
  }
  return job;
}

/** The shape of one tensor from a previous inferShapes run, or undefined. */
export function knownShape(model: LoadedModel, tensor: string): number[] | undefined {
  return cachedShapeInfo(model.sha256)?.shapes.get(tensor);
}

/**
 * The probe's input dims (batch 1; dynamic dims from the options), checked before anything is built or
 * allocated: whole positive numbers, at most `maxInputValues` values in all.
 */
export function probeInputDims(model: LoadedModel, options: ShapeOptions = {}): number[] {
  const dims = model.input.shape.map((d, i) =>
    typeof d === 'number' ? d : i === 0 ? 1 : i === 2 ? (options.height ?? 224) : i === 3 ? (options.width ?? 224) : 1,
  );
  if (dims.length > 0) dims[0] = 1;
  const shown = `[${model.input.shape.join(', ')}]`;
  const bad = dims.findIndex((d) => !Number.isSafeInteger(d) || d < 1);
  if (bad >= 0)
    throw new ModelError(
      `${model.path}: input ${model.input.name} declares dimension ${bad} as ${dims[bad]} (shape ${shown}); dimensions must be whole positive numbers`,
    );
  const limit = options.maxInputValues ?? PROBE_MAX_INPUT_VALUES;
  const values = dims.reduce((a, b) => a * b, 1);
  if (values > limit) {
    throw new ModelError(
      `${model.path}: input ${model.input.name} declares shape ${shown}: one image holds ${values.toLocaleString('en-US')} values, more than the ${limit.toLocaleString('en-US')}${limit === PROBE_MAX_INPUT_VALUES ? ' (3 x 1024 x 1024)' : ''} NeurFlow runs the model on; an image classifier this large is not supported`,
    );
  }
  return dims;
}

async function probe(model: LoadedModel, options: ShapeOptions): Promise<ShapeInfo> {
  const dims = probeInputDims(model, options);
  const g = model.graph;
  const wanted: string[] = [];
  for (const t of g.tensors()) if (!g.isConstant(t)) wanted.push(t);
  if (!wanted.includes(model.output.name)) wanted.push(model.output.name);
  const proto = extractSubmodel(model, [model.input.name], wanted, `${model.path} (shape probe)`);
  const session = await OrtSession.create(encodeModel(proto), model.path, { provider: options.provider ?? 'cpu', threads: options.threads });
  try {
    const data = new Float32Array(dims.reduce((a, b) => a * b, 1));
    const result = await session.run({ [model.input.name]: { data, dims } });
    const shapes = new Map<string, number[]>([[model.input.name, dims]]);
    const types = new Map<string, number>([[model.input.name, DataType.FLOAT]]);
    for (const [name, value] of Object.entries(result)) {
      shapes.set(name, value.dims);
      const type = elementType(value.data);
      if (type !== undefined) types.set(name, type);
    }
    const info = { shapes, types };
    storeShapeInfo(model.sha256, info);
    return info;
  } finally {
    await session.release();
  }
}

/** The ONNX type of an ORT result array, where the array type tells it unambiguously (uint8 may be bool). */
function elementType(data: unknown): number | undefined {
  if (data instanceof Float32Array) return DataType.FLOAT;
  if (data instanceof Float64Array) return DataType.DOUBLE;
  if (data instanceof BigInt64Array) return DataType.INT64;
  if (data instanceof Int32Array) return DataType.INT32;
  return undefined;
}

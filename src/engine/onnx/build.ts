/**
 * Small constructors for ONNX messages: what sub-model extraction, backward graphs and tests build with.
 */
import { AttrType, DataType, type Attribute, type Graph, type ModelProto, type NodeProto, type OpsetId, type TensorProto, type ValueInfo } from './proto';

export type AttrValue = number | string | number[] | string[] | TensorProto | { floats: number[] } | { float: number };

/**
 * Makes an attribute. Integers (and integer arrays) become INT/INTS; use `{ float: x }` / `{ floats: [...] }`
 * for float attributes whose value happens to be whole, e.g. `alpha: { float: 1 }`.
 */
export function attr(name: string, value: AttrValue): Attribute {
  if (typeof value === 'number') {
    return Number.isInteger(value) ? { name, type: AttrType.INT, i: value } : { name, type: AttrType.FLOAT, f: value };
  }
  if (typeof value === 'string') return { name, type: AttrType.STRING, s: new TextEncoder().encode(value) };
  if (Array.isArray(value)) {
    if (value.length > 0 && typeof value[0] === 'string') {
      return { name, type: AttrType.STRINGS, strings: (value as string[]).map((s) => new TextEncoder().encode(s)) };
    }
    const nums = value as number[];
    return nums.every(Number.isInteger) ? { name, type: AttrType.INTS, ints: nums } : { name, type: AttrType.FLOATS, floats: nums };
  }
  if ('floats' in value) return { name, type: AttrType.FLOATS, floats: value.floats };
  if ('float' in value) return { name, type: AttrType.FLOAT, f: value.float };
  return { name, type: AttrType.TENSOR, t: value };
}

export function makeNode(
  opType: string,
  inputs: string[],
  outputs: string[],
  attrs: Record<string, AttrValue | undefined> = {},
  name?: string,
  domain?: string,
): NodeProto {
  const attribute = Object.entries(attrs)
    .filter((e): e is [string, AttrValue] => e[1] !== undefined)
    .map(([k, v]) => attr(k, v));
  return { opType, input: inputs, output: outputs, attribute, name: name ?? outputs[0], domain };
}

type NumericArray = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array | Int8Array;

const TYPED_DATA_TYPE: [new (...a: never[]) => NumericArray, number][] = [
  [Float32Array, DataType.FLOAT],
  [Float64Array, DataType.DOUBLE],
  [Int32Array, DataType.INT32],
  [BigInt64Array, DataType.INT64],
  [Uint8Array, DataType.UINT8],
  [Int8Array, DataType.INT8],
];

/** A tensor from a typed array (stored as raw_data). A plain number array becomes INT64. */
export function makeTensor(name: string, dims: number[], data: NumericArray | number[], dataType?: number): TensorProto {
  let arr: NumericArray;
  if (Array.isArray(data)) arr = BigInt64Array.from(data, (v) => BigInt(v));
  else arr = data;
  const dt = dataType ?? TYPED_DATA_TYPE.find(([ctor]) => arr instanceof ctor)![1];
  const count = dims.reduce((a, b) => a * b, 1);
  if (count !== arr.length) throw new Error(`makeTensor ${name}: dims [${dims}] hold ${count} values, got ${arr.length}`);
  return { name, dims, dataType: dt, rawData: new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength) };
}

export function makeValueInfo(name: string, elemType: number, shape?: (number | string | null)[]): ValueInfo {
  const info: ValueInfo = { name, type: { tensorType: { elemType } } };
  if (shape) {
    info.type!.tensorType!.shape = {
      dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : d === null ? {} : { dimParam: d })),
    };
  }
  return info;
}

export function makeGraph(
  name: string,
  nodes: NodeProto[],
  inputs: ValueInfo[],
  outputs: ValueInfo[],
  initializers: TensorProto[] = [],
  valueInfo: ValueInfo[] = [],
): Graph {
  return { name, node: nodes, input: inputs, output: outputs, initializer: initializers, valueInfo };
}

export function makeModel(graph: Graph, opsetImport: OpsetId[] = [{ domain: '', version: 17 }], irVersion = 8): ModelProto {
  return { irVersion, opsetImport, producerName: 'neurflow', graph };
}

/** The default-domain opset of a model (the version that binds `ai.onnx` operators). */
export function defaultOpset(model: ModelProto): number {
  const op = model.opsetImport.find((o) => !o.domain || o.domain === 'ai.onnx');
  return op ? Number(op.version) : 0;
}

/**
 * Values of ONNX tensors as typed arrays: initializers (raw_data or the typed repeated fields) and the
 * attributes of `Constant` nodes. External data is resolved by the caller (see external.ts) before this runs.
 */
import { AttrType, DataType, type Attribute, type NodeProto, type TensorProto } from './proto';
import { ModelError } from '../errors';

export type TypedValues =
  | Float32Array
  | Float64Array
  | Int32Array
  | BigInt64Array
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | BigUint64Array;

export interface TensorValue {
  data: TypedValues;
  dims: number[];
  dataType: number;
}

type Ctor = { new (buffer: ArrayBufferLike, byteOffset: number, length: number): TypedValues; BYTES_PER_ELEMENT: number };

const CTORS: Record<number, Ctor> = {
  [DataType.FLOAT]: Float32Array,
  [DataType.DOUBLE]: Float64Array,
  [DataType.INT32]: Int32Array,
  [DataType.INT64]: BigInt64Array,
  [DataType.UINT8]: Uint8Array,
  [DataType.BOOL]: Uint8Array,
  [DataType.INT8]: Int8Array,
  [DataType.UINT16]: Uint16Array,
  [DataType.INT16]: Int16Array,
  [DataType.FLOAT16]: Uint16Array,
  [DataType.UINT32]: Uint32Array,
  [DataType.UINT64]: BigUint64Array,
};

export function elementCount(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * Number(b), 1);
}

/** Bytes per element of an ONNX data type (0 when unknown, e.g. strings). */
export function bytesPerElement(dataType: number): number {
  return CTORS[dataType]?.BYTES_PER_ELEMENT ?? 0;
}

/**
 * The values of a tensor whose data is in the message (raw_data or typed fields). A raw_data view that is
 * aligned is used in place; an unaligned one (protobuf gives no alignment) is copied once.
 * `subject` names the tensor in errors.
 */
export function tensorValue(t: TensorProto, subject = t.name ?? 'tensor'): TensorValue {
  const dims = (t.dims ?? []).map(Number);
  const count = elementCount(dims);
  const ctor = CTORS[t.dataType];
  if (!ctor) throw new ModelError(`${subject}: tensors of ONNX data type ${t.dataType} are not supported`);
  if (t.dataLocation === 1) throw new ModelError(`${subject}: external data was not loaded`);
  let data: TypedValues;
  if (t.rawData && t.rawData.byteLength > 0) {
    const raw = t.rawData;
    if (raw.byteLength !== count * ctor.BYTES_PER_ELEMENT) {
      throw new ModelError(`${subject}: raw_data holds ${raw.byteLength} bytes, dims [${dims}] need ${count * ctor.BYTES_PER_ELEMENT}`);
    }
    if (raw.byteOffset % ctor.BYTES_PER_ELEMENT === 0) data = new ctor(raw.buffer, raw.byteOffset, count);
    else data = new ctor(new Uint8Array(raw).buffer, 0, count); // a copy (Buffer.slice would not copy)
  } else {
    data = fromFields(t, ctor, count);
  }
  return { data, dims, dataType: t.dataType };
}

function fromFields(t: TensorProto, ctor: Ctor, count: number): TypedValues {
  const dt = t.dataType;
  let src: number[] = [];
  if (dt === DataType.FLOAT) src = t.floatData ?? [];
  else if (dt === DataType.DOUBLE) src = t.doubleData ?? [];
  else if (dt === DataType.INT64) src = t.int64Data ?? [];
  else if (dt === DataType.UINT64 || dt === DataType.UINT32) src = t.uint64Data ?? [];
  else src = t.int32Data ?? []; // int32, int16, int8, uint16, uint8, bool, float16 bits
  const out = new ctor(new ArrayBuffer(count * ctor.BYTES_PER_ELEMENT), 0, count);
  if (src.length !== count && !(src.length === 0 && count === 0)) {
    throw new ModelError(`${t.name ?? 'tensor'}: holds ${src.length} values, dims [${t.dims}] need ${count}`);
  }
  if (out instanceof BigInt64Array || out instanceof BigUint64Array) {
    for (let i = 0; i < count; i++) out[i] = BigInt(src[i]);
  } else {
    for (let i = 0; i < count; i++) out[i] = Number(src[i]);
  }
  return out;
}

/**
 * The value a `Constant` node produces, from whichever attribute it carries (value, value_float(s),
 * value_int(s)). Undefined for string or sparse constants.
 */
export function constantNodeValue(node: NodeProto, resolve: (t: TensorProto) => TensorProto): TensorValue | undefined {
  const a: Attribute | undefined = node.attribute[0];
  if (!a) return undefined;
  const subject = `Constant node ${node.name || node.output[0]}`;
  switch (a.name) {
    case 'value':
      return a.t ? tensorValue(resolve(a.t), subject) : undefined;
    case 'value_float':
      return { data: Float32Array.of(a.f ?? 0), dims: [], dataType: DataType.FLOAT };
    case 'value_floats':
      return { data: Float32Array.from(a.floats ?? []), dims: [a.floats?.length ?? 0], dataType: DataType.FLOAT };
    case 'value_int':
      return { data: BigInt64Array.of(BigInt(a.i ?? 0)), dims: [], dataType: DataType.INT64 };
    case 'value_ints':
      return { data: BigInt64Array.from(a.ints ?? [], (v) => BigInt(v)), dims: [a.ints?.length ?? 0], dataType: DataType.INT64 };
    default:
      return undefined;
  }
}

/** The TensorProto a `Constant` node stands for (for carrying it into a sub-model as an initializer). */
export function constantNodeTensor(node: NodeProto, resolve: (t: TensorProto) => TensorProto): TensorProto | undefined {
  const a = node.attribute[0];
  if (a?.name === 'value' && a.type === AttrType.TENSOR && a.t) return { ...resolve(a.t), name: node.output[0] };
  const v = constantNodeValue(node, resolve);
  if (!v) return undefined;
  const bytes = new Uint8Array(v.data.buffer, v.data.byteOffset, v.data.byteLength);
  return { name: node.output[0], dims: v.dims, dataType: v.dataType, rawData: bytes };
}

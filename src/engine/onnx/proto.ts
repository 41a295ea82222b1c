/**
 * ONNX protobuf read/write. Decoding keeps every `bytes` field (raw_data above all) as a view into the
 * caller's buffer: a 100 MB model is not copied when it is read.
 */
import * as protobuf from 'protobufjs';
import { ONNX_SCHEMA } from './schema';
import { OnnxFormatError } from '../errors';

// int64 fields decode to JS numbers (every dimension, attribute and offset we meet is < 2^53).
(protobuf.util as { Long: unknown }).Long = null;
protobuf.configure();

const root = protobuf.parse(ONNX_SCHEMA, { keepCase: false }).root;
const ModelType = root.lookupType('onnx.ModelProto');
const TensorType = root.lookupType('onnx.TensorProto');

export interface StringEntry { key: string; value: string }
export interface OpsetId { domain?: string; version: number }

export interface TensorProto {
  name?: string;
  dims: number[];
  dataType: number;
  rawData?: Uint8Array;
  floatData?: number[];
  int32Data?: number[];
  int64Data?: number[];
  doubleData?: number[];
  uint64Data?: number[];
  stringData?: Uint8Array[];
  externalData?: StringEntry[];
  dataLocation?: number;
  docString?: string;
}

export interface Dimension { dimValue?: number; dimParam?: string; denotation?: string }
export interface ValueInfo {
  name: string;
  type?: { tensorType?: { elemType: number; shape?: { dim: Dimension[] } } };
  docString?: string;
}

export enum AttrType {
  UNDEFINED = 0, FLOAT = 1, INT = 2, STRING = 3, TENSOR = 4, GRAPH = 5,
  FLOATS = 6, INTS = 7, STRINGS = 8, TENSORS = 9, GRAPHS = 10,
}

export interface Attribute {
  name: string;
  type: AttrType;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: TensorProto;
  g?: Graph;
  floats?: number[];
  ints?: number[];
  strings?: Uint8Array[];
  tensors?: TensorProto[];
  graphs?: Graph[];
}

export interface NodeProto {
  name?: string;
  opType: string;
  domain?: string;
  input: string[];
  output: string[];
  attribute: Attribute[];
  docString?: string;
  metadataProps?: StringEntry[];
}

export interface Graph {
  name?: string;
  node: NodeProto[];
  initializer: TensorProto[];
  input: ValueInfo[];
  output: ValueInfo[];
  valueInfo: ValueInfo[];
  docString?: string;
}

export interface ModelProto {
  irVersion: number;
  opsetImport: OpsetId[];
  producerName?: string;
  producerVersion?: string;
  domain?: string;
  modelVersion?: number;
  docString?: string;
  graph: Graph;
  metadataProps?: StringEntry[];
}

/** Decodes an ONNX model. `source` names the file (or buffer) in error messages. */
export function decodeModel(bytes: Uint8Array, source: string): ModelProto {
  if (bytes.length === 0) throw new OnnxFormatError(`${source}: the file is empty, not an ONNX model`);
  let decoded: ModelProto;
  try {
    decoded = ModelType.decode(bytes) as unknown as ModelProto;
  } catch (e) {
    const why = (e as Error).message;
    const truncated = /index out of range|premature end/i.test(why) && topLevelFieldsLookLikeModel(bytes);
    throw new OnnxFormatError(
      truncated
        ? `${source}: the ONNX file is truncated (the protobuf data ends early: ${why}); copy or export it again`
        : `${source}: not an ONNX model (protobuf decoding failed: ${why})`,
    );
  }
  if (!decoded.graph || !(decoded.opsetImport?.length > 0) || !decoded.irVersion) {
    throw new OnnxFormatError(`${source}: not an ONNX model (no graph, IR version or opset import found)`);
  }
  return decoded;
}

/** ModelProto's top-level field numbers and their wire types (0 varint, 2 length-delimited). */
const MODEL_FIELDS: Record<number, number> = { 1: 0, 2: 2, 3: 2, 4: 2, 5: 0, 6: 2, 7: 2, 8: 2, 14: 2, 20: 2, 25: 2 };

/**
 * Whether the bytes start like a ModelProto: every top-level field header up to the end of the data is a
 * ModelProto field with its wire type (a file cut short passes; random bytes almost never do).
 */
function topLevelFieldsLookLikeModel(bytes: Uint8Array): boolean {
  let pos = 0;
  const varint = (): number | undefined => {
    let value = 0;
    for (let shift = 0; shift < 63; shift += 7) {
      if (pos >= bytes.length) return undefined;
      const b = bytes[pos++];
      value += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return value;
    }
    return undefined;
  };
  let fields = 0;
  while (pos < bytes.length) {
    const tag = varint();
    if (tag === undefined) return fields > 0;
    const wire = tag % 8;
    if (MODEL_FIELDS[Math.floor(tag / 8)] !== wire) return false;
    fields++;
    const v = varint();
    if (v === undefined) return true;
    if (wire === 2) pos += v;
  }
  return fields > 0;
}

/** Encodes a model (decoded or built) to protobuf bytes. */
export function encodeModel(model: ModelProto): Uint8Array {
  return ModelType.encode(model as unknown as protobuf.Message).finish();
}

export function encodeTensor(t: TensorProto): Uint8Array {
  return TensorType.encode(t as unknown as protobuf.Message).finish();
}

export function decodeTensor(bytes: Uint8Array): TensorProto {
  return TensorType.decode(bytes) as unknown as TensorProto;
}

/** ONNX TensorProto.DataType values used by the engine. */
export const DataType = {
  FLOAT: 1, UINT8: 2, INT8: 3, UINT16: 4, INT16: 5, INT32: 6, INT64: 7, STRING: 8, BOOL: 9, FLOAT16: 10,
  DOUBLE: 11, UINT32: 12, UINT64: 13,
} as const;

export const DATA_TYPE_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(DataType).map(([k, v]) => [v, k.toLowerCase()]),
);

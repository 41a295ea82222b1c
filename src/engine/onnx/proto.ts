/**
 * ONNX protobuf read/write. The encoders, decoders and field types are generated from ./onnx.proto
 * (`npm run gen:onnx`, scripts/gen-onnx.mjs): this module names the shapes the engine uses and decodes with a
 * reader that gives int64 fields as plain numbers (every dimension, attribute and offset we meet is < 2^53),
 * without touching protobufjs's process-wide settings. Decoding keeps every `bytes` field (raw_data above all)
 * as a view into the caller's buffer: a 100 MB model is not copied when it is read.
 */
import { Reader } from 'protobufjs/minimal';
import { onnx } from './onnx.generated';
import { OnnxFormatError } from '../errors';

/**
 * A generated message's fields as the engine uses them: never null, `K` always present (the decoder fills
 * every field from its default, so a decoded message has them all; a message we build names those we need).
 */
type Fields<P, K extends keyof P = never> = { [F in Exclude<keyof P, '$unknowns' | K>]?: NonNullable<P[F]> } & { [F in K]-?: NonNullable<P[F]> };

export interface StringEntry extends Fields<onnx.StringStringEntryProto.$Properties> {}
export interface OpsetId extends Fields<onnx.OperatorSetIdProto.$Properties, 'version'> {}

export interface TensorProto extends Fields<onnx.TensorProto.$Properties, 'dims' | 'dataType'> {
  externalData?: StringEntry[];
}

export interface Dimension extends Fields<onnx.TensorShapeProto.Dimension.$Properties> {}
export interface TensorShape extends Fields<onnx.TensorShapeProto.$Properties, 'dim'> {
  dim: Dimension[];
}
export interface TensorType extends Fields<onnx.TypeProto.Tensor.$Properties, 'elemType'> {
  shape?: TensorShape;
}
export interface TypeProto extends Fields<onnx.TypeProto.$Properties> {
  tensorType?: TensorType;
}
export interface ValueInfo extends Fields<onnx.ValueInfoProto.$Properties, 'name'> {
  type?: TypeProto;
  metadataProps?: StringEntry[];
}

/** AttributeProto.AttributeType (the generated enum: a value and a type). */
export const AttrType = onnx.AttributeProto.AttributeType;
export type AttrType = onnx.AttributeProto.AttributeType;

export interface Attribute extends Fields<onnx.AttributeProto.$Properties, 'name' | 'type'> {
  t?: TensorProto;
  g?: Graph;
  tensors?: TensorProto[];
  graphs?: Graph[];
}

export interface NodeProto extends Fields<onnx.NodeProto.$Properties, 'opType' | 'input' | 'output' | 'attribute'> {
  attribute: Attribute[];
  metadataProps?: StringEntry[];
}

export interface Graph extends Fields<onnx.GraphProto.$Properties, 'node' | 'initializer' | 'input' | 'output' | 'valueInfo'> {
  node: NodeProto[];
  initializer: TensorProto[];
  input: ValueInfo[];
  output: ValueInfo[];
  valueInfo: ValueInfo[];
  metadataProps?: StringEntry[];
}

export interface ModelProto extends Fields<onnx.ModelProto.$Properties, 'irVersion' | 'opsetImport' | 'graph'> {
  opsetImport: OpsetId[];
  graph: Graph;
  metadataProps?: StringEntry[];
}

/**
 * The reader the generated decoders get: int64 and uint64 as numbers whatever protobufjs's Long setting is
 * (its own readers give Long objects when the `long` package is loaded). Packed lists read through these too.
 */
class NumberReader extends Reader {}
for (const name of ['int64', 'uint64'] as const) {
  Object.defineProperty(NumberReader.prototype, name, {
    value(this: Reader): number {
      const v: unknown = Reader.prototype[name].call(this);
      return typeof v === 'number' ? v : (v as { toNumber(): number }).toNumber();
    },
  });
}

/** Decodes an ONNX model. `source` names the file (or buffer) in error messages. */
export function decodeModel(bytes: Uint8Array, source: string): ModelProto {
  if (bytes.length === 0) throw new OnnxFormatError(`${source}: the file is empty, not an ONNX model`);
  let decoded: onnx.ModelProto;
  try {
    decoded = onnx.ModelProto.decode(new NumberReader(bytes));
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
  // Every field holds its value or its default: the generated type, made strict, is the engine's.
  return decoded as ModelProto;
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
  return onnx.ModelProto.encode(model).finish();
}

export function encodeTensor(t: TensorProto): Uint8Array {
  return onnx.TensorProto.encode(t).finish();
}

export function decodeTensor(bytes: Uint8Array): TensorProto {
  return onnx.TensorProto.decode(new NumberReader(bytes)) as TensorProto;
}

/** ONNX TensorProto.DataType (the generated enum). */
export const DataType = onnx.TensorProto.DataType;

/** Lower-case names of the data types (`float`, `int64`, ...), by value. */
export const DATA_TYPE_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(DataType)
    .filter(([k]) => k !== 'UNDEFINED')
    .map(([k, v]) => [v, k.toLowerCase()]),
);

/**
 * Constant tensors of a segment: initializers and `Constant` node outputs, decoded to plain numbers for the
 * rules that need attribute-like inputs (Slice starts, Pad pads, Reshape shapes, Gather indices...).
 */
import { DataType, type NodeProto, type TensorProto } from '../onnx/proto';
import { attrFloat, attrFloats, attrInts, attrTensor, hasAttr } from './attrs';
import type { ConstantValue } from './types';

/** Decodes a TensorProto's numbers (raw_data or the typed repeated fields). */
export function tensorValues(t: TensorProto): number[] {
  const raw = t.rawData;
  if (raw && raw.byteLength > 0) {
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const out: number[] = [];
    const read: Record<number, [number, (o: number) => number]> = {
      [DataType.FLOAT]: [4, (o) => view.getFloat32(o, true)],
      [DataType.DOUBLE]: [8, (o) => view.getFloat64(o, true)],
      [DataType.INT64]: [8, (o) => Number(view.getBigInt64(o, true))],
      [DataType.INT32]: [4, (o) => view.getInt32(o, true)],
      [DataType.UINT8]: [1, (o) => view.getUint8(o)],
      [DataType.INT8]: [1, (o) => view.getInt8(o)],
      [DataType.BOOL]: [1, (o) => view.getUint8(o)],
      [DataType.UINT64]: [8, (o) => Number(view.getBigUint64(o, true))],
    };
    const r = read[t.dataType];
    if (!r) return [];
    for (let o = 0; o + r[0] <= raw.byteLength; o += r[0]) out.push(r[1](o));
    return out;
  }
  const fields = [t.floatData, t.doubleData, t.int64Data, t.int32Data, t.uint64Data];
  for (const f of fields) if (f && f.length > 0) return f.map(Number);
  return [];
}

/** The value a `Constant` node produces, or undefined for forms we do not read (sparse, strings). */
export function constantNodeValue(node: NodeProto): ConstantValue | undefined {
  const t = attrTensor(node, 'value');
  if (t) return { dims: (t.dims ?? []).map(Number), values: tensorValues(t), dataType: t.dataType };
  if (hasAttr(node, 'value_float')) return { dims: [], values: [attrFloat(node, 'value_float', 0)], dataType: DataType.FLOAT };
  const floats = attrFloats(node, 'value_floats');
  if (floats) return { dims: [floats.length], values: floats, dataType: DataType.FLOAT };
  if (hasAttr(node, 'value_int')) {
    const a = node.attribute.find((x) => x.name === 'value_int');
    return { dims: [], values: [Number(a?.i ?? 0)], dataType: DataType.INT64 };
  }
  const ints = attrInts(node, 'value_ints');
  if (ints) return { dims: [ints.length], values: ints, dataType: DataType.INT64 };
  return undefined;
}

/** Name -> value for every initializer, Constant node output and Identity of one (nodes in topological order). */
export function collectConstants(initializers: TensorProto[], nodes: NodeProto[]): Map<string, ConstantValue> {
  const out = new Map<string, ConstantValue>();
  for (const t of initializers) {
    if (t.name) out.set(t.name, { dims: (t.dims ?? []).map(Number), values: tensorValues(t), dataType: t.dataType });
  }
  for (const n of nodes) {
    if (n.domain && n.domain !== 'ai.onnx') continue;
    // torch's exporter shares equal initializers through Identity nodes (e.g. the all-zero folded BN biases).
    const v = n.opType === 'Constant' ? constantNodeValue(n) : n.opType === 'Identity' ? out.get(n.input[0]) : undefined;
    if (v && n.output[0]) out.set(n.output[0], v);
  }
  return out;
}

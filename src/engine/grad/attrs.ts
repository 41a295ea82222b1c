/** Typed reads of ONNX node attributes with their defaults. */
import { AttrType, type Attribute, type NodeProto, type TensorProto } from '../onnx/proto';

function find(node: NodeProto, name: string): Attribute | undefined {
  return node.attribute.find((a) => a.name === name);
}

export function hasAttr(node: NodeProto, name: string): boolean {
  return find(node, name) !== undefined;
}

export function attrInt(node: NodeProto, name: string, fallback: number): number {
  const a = find(node, name);
  return a && a.i !== undefined && a.i !== null ? Number(a.i) : fallback;
}

export function attrFloat(node: NodeProto, name: string, fallback: number): number {
  const a = find(node, name);
  return a && a.f !== undefined && a.f !== null ? a.f : fallback;
}

export function attrInts(node: NodeProto, name: string): number[] | undefined {
  const a = find(node, name);
  if (!a) return undefined;
  if (a.type === AttrType.INTS || (a.ints && a.ints.length > 0)) return (a.ints ?? []).map(Number);
  return undefined;
}

export function attrFloats(node: NodeProto, name: string): number[] | undefined {
  const a = find(node, name);
  return a?.floats ? [...a.floats] : undefined;
}

export function attrString(node: NodeProto, name: string, fallback: string): string {
  const a = find(node, name);
  return a?.s ? new TextDecoder().decode(a.s) : fallback;
}

export function attrTensor(node: NodeProto, name: string): TensorProto | undefined {
  return find(node, name)?.t;
}

/** The node's attributes without those named (to copy a node's attributes onto another op). */
export function attrsExcept(node: NodeProto, names: string[]): Attribute[] {
  return node.attribute.filter((a) => !names.includes(a.name));
}

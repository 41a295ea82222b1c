/**
 * Which axis of a tensor holds the channels (the neurons of a layer): propagated through the graph from the
 * image input (N, C, H, W: axis 1). Convolutions and pooling keep channels at axis 1; Transpose moves the
 * axis; Reshape and Flatten keep it where the elements before it and its size are unchanged; a MatMul or Gemm
 * with a weight puts its hidden units on the last axis. So ViT's token sequences (N, L, C), Swin's and
 * ConvNeXt's channels-last blocks (N, H, W, C) and ordinary conv maps (N, C, H, W) all get their channel axis.
 */
import { ACTIVATION_OPS } from './op-kinds';
import type { GraphIndex } from './graph';
import type { NodeProto } from './proto';
import { attrInt, attrInts } from '../grad/attrs';

/** Operators whose output keeps the layout of their (first data) input: element-wise maps, normalisations. */
const SAME_LAYOUT = new Set([
  ...ACTIVATION_OPS,
  'Abs',
  'Neg',
  'Sqrt',
  'Exp',
  'Log',
  'Reciprocal',
  'Pow',
  'Add',
  'Sub',
  'Mul',
  'Div',
  'Max',
  'Min',
  'Sum',
  'Mean',
  'Where',
  'Identity',
  'Dropout',
  'Cast',
  'LayerNormalization',
  'Softmax',
  'LogSoftmax',
  'Dropout',
  'Pad',
  'Slice',
  'Concat',
  'Split',
  'Expand',
]);
/** Operators whose output has its channels at axis 1 (NCHW by definition in ONNX). */
const CHANNELS_FIRST = new Set([
  'Conv',
  'ConvTranspose',
  'BatchNormalization',
  'InstanceNormalization',
  'GroupNormalization',
  'LRN',
  'MaxPool',
  'AveragePool',
  'LpPool',
  'GlobalAveragePool',
  'GlobalMaxPool',
  'GlobalLpPool',
  'Resize',
  'Upsample',
  'DepthToSpace',
  'SpaceToDepth',
  'MaxUnpool',
]);

const computed = new WeakMap<GraphIndex, Map<string, number>>();

/**
 * The channel axis (batch axis included, so >= 1) of every data tensor whose layout can be followed from the
 * input; `shapes` are the probe shapes (batch 1). Tensors missing from the map have no known channel axis.
 */
export function channelAxes(graph: GraphIndex, input: string, shapes: ReadonlyMap<string, readonly number[]>): ReadonlyMap<string, number> {
  // One walk per graph (a model's graph and its probe shapes do not change; adding a view makes a new graph).
  const known = computed.get(graph);
  if (known) return known;
  const axes = new Map<string, number>([[input, 1]]);
  computed.set(graph, axes);
  for (const node of graph.nodes) {
    const out = node.output[0];
    const dims = out ? shapes.get(out) : undefined;
    if (!out || !dims || graph.isConstant(out)) continue;
    const axis = outputAxis(graph, node, dims, axes, shapes);
    if (axis !== undefined && axis >= 1 && axis < dims.length) {
      for (const o of node.output) if (o && shapes.get(o)?.length === dims.length) axes.set(o, axis);
    }
  }
  return axes;
}

function outputAxis(
  graph: GraphIndex,
  node: NodeProto,
  dims: readonly number[],
  axes: ReadonlyMap<string, number>,
  shapes: ReadonlyMap<string, readonly number[]>,
): number | undefined {
  const data = node.input.filter((t) => t && !graph.isConstant(t) && axes.has(t));
  if (data.length === 0) return undefined;
  const rank = dims.length;
  if (rank === 2) return 1;
  const op = node.opType;
  if (CHANNELS_FIRST.has(op)) return 1;
  // The widest data input sets the layout; inputs of lower rank broadcast from the right.
  const src = data.reduce((a, b) => ((shapes.get(b)?.length ?? 0) > (shapes.get(a)?.length ?? 0) ? b : a));
  const inAxis = axes.get(src)!;
  const inDims = shapes.get(src) ?? [];
  if (SAME_LAYOUT.has(op)) return inAxis + (rank - inDims.length);
  switch (op) {
    case 'Transpose': {
      const perm = attrInts(node, 'perm') ?? inDims.map((_, i) => inDims.length - 1 - i);
      return perm.indexOf(inAxis);
    }
    case 'MatMul':
    case 'Gemm':
    case 'Einsum':
      return rank - 1;
    case 'Reshape':
    case 'Flatten':
    case 'Squeeze':
    case 'Unsqueeze':
      return reshapedAxis(inDims, inAxis, dims);
    case 'Gather': {
      const axis = (attrInt(node, 'axis', 0) + inDims.length) % inDims.length;
      const idx = shapes.get(node.input[1]) ?? graph.constantValue(node.input[1])?.dims;
      if (axis === inAxis) return undefined;
      const removed = idx !== undefined && idx.length === 0 ? 1 : 0;
      return axis < inAxis ? inAxis - removed : inAxis;
    }
    case 'ReduceMean':
    case 'ReduceSum':
    case 'ReduceMax':
    case 'ReduceMin':
      return rank === inDims.length ? inAxis : undefined;
    default:
      return undefined;
  }
}

/**
 * Where a reshape puts axis `axis` of `from`: the output axis with the same number of elements before it and
 * the same size (so the channel index of every element is unchanged); undefined when there is none.
 */
export function reshapedAxis(from: readonly number[], axis: number, to: readonly number[]): number | undefined {
  const before = from.slice(0, axis).reduce((a, b) => a * b, 1);
  let prefix = 1;
  for (let i = 0; i < to.length; i++) {
    if (prefix === before && to[i] === from[axis]) return i;
    prefix *= to[i];
  }
  return undefined;
}

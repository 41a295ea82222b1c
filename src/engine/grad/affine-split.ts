/**
 * Splits a segment's forward graph for Integrated Gradients. IG evaluates the segment at x = alpha_k * a for
 * every step k; the part of the graph that is affine in x (convolutions, batch norm, sums, reshapes... up to
 * the first non-linearity) satisfies f(alpha a) = alpha (f(a) - f(0)) + f(0), and its Jacobian does not depend
 * on alpha. So that part runs once per sample ("sample" nodes, batch P), its backward once per sample on the
 * step-summed cotangent, and only the rest ("row" nodes) runs per (sample, step) row (batch P*K). Exact up to
 * float rounding. The "frontier" is the set of affine tensors the row nodes read (the upper tensor itself
 * when the whole segment is affine).
 */
import type { NodeProto } from '../onnx/proto';
import { attrInt } from './attrs';
import { activeTensors } from './prepared';

type World = 'const' | 'sample' | 'row';

/** Operators affine in their activation inputs whatever their number (parameters must not be activations). */
const AFFINE_ANY = new Set([
  'Add',
  'Sub',
  'Sum',
  'Concat',
  'Identity',
  'Reshape',
  'Flatten',
  'Transpose',
  'Squeeze',
  'Unsqueeze',
  'Slice',
  'Split',
  'Pad',
  'Expand',
  'AveragePool',
  'GlobalAveragePool',
  'ReduceMean',
  'ReduceSum',
  'Neg',
  'Dropout',
  'Gather',
]);
/** Operators affine when only the given input is an activation. */
const AFFINE_IN: ReadonlyMap<string, number[]> = new Map([
  ['Conv', [0]],
  ['BatchNormalization', [0]],
  ['Div', [0]],
  ['Mul', [0, 1]],
  ['MatMul', [0, 1]],
  ['Gemm', [0, 1]],
]);

export interface AffineSplit {
  /** Nodes computed once per sample: the affine part and the shape arithmetic it reads. */
  sampleNodes: NodeProto[];
  /** Nodes computed per (sample, step) row. */
  rowNodes: NodeProto[];
  /** Nodes that depend on no activation (weight slices, constants). */
  constNodes: NodeProto[];
  /** Affine tensors read by row nodes (or the upper tensor when it is affine itself), in graph order. */
  frontier: string[];
}

function isAffine(n: NodeProto, activeInput: boolean[]): boolean {
  if (n.opType === 'Dropout' && n.input[2]) return false;
  if (n.opType === 'BatchNormalization' && attrInt(n, 'training_mode', 0) !== 0) return false;
  if (AFFINE_ANY.has(n.opType)) return n.opType !== 'Gather' || !activeInput[1];
  const allowed = AFFINE_IN.get(n.opType);
  if (!allowed) return false;
  const which = activeInput.flatMap((a, i) => (a ? [i] : []));
  if (which.some((i) => !allowed.includes(i))) return false;
  // A product of two activations is not affine.
  return !(['Mul', 'MatMul', 'Gemm'].includes(n.opType) && which.filter((i) => i < 2).length > 1);
}

/** `nodes`: the forward graph (topologically sorted, pruned to `upper`), `lower` its activation input. */
export function splitAffine(nodes: readonly NodeProto[], lower: string, upper: string): AffineSplit {
  const active = activeTensors(nodes, [lower]);
  const world = new Map<string, World>([[lower, 'sample']]);
  const worldOf = (t: string): World => (t ? (world.get(t) ?? 'const') : 'const');
  const nodeWorld = new Map<NodeProto, World>();
  for (const n of nodes) {
    const inWorlds = n.input.map(worldOf);
    let w: World;
    if (inWorlds.every((x) => x === 'const')) w = 'const';
    else if (inWorlds.includes('row')) w = 'row';
    else if (n.output.some((o) => active.has(o)))
      w = isAffine(
        n,
        n.input.map((i) => active.has(i)),
      )
        ? 'sample'
        : 'row';
    else w = 'sample';
    nodeWorld.set(n, w);
    for (const o of n.output) if (o) world.set(o, w);
  }
  // Row nodes must not read per-sample shape arithmetic (its batch is P, theirs P*K): then nothing is hoisted.
  const hoistable = nodes.every((n) => nodeWorld.get(n) !== 'row' || n.input.every((i) => active.has(i) || worldOf(i) !== 'sample'));
  if (!hoistable) {
    for (const n of nodes) if (nodeWorld.get(n) === 'sample') nodeWorld.set(n, 'row');
    for (const [t, w] of world) if (w === 'sample' && t !== lower) world.set(t, 'row');
  }
  const pick = (w: World) => nodes.filter((n) => nodeWorld.get(n) === w);
  const rowNodes = pick('row');
  const frontier = new Set<string>();
  for (const n of rowNodes) for (const i of n.input) if (active.has(i) && worldOf(i) === 'sample') frontier.add(i);
  if (worldOf(upper) === 'sample' || upper === lower) frontier.add(upper);
  return { sampleNodes: pick('sample'), rowNodes, constNodes: pick('const'), frontier: [...frontier] };
}

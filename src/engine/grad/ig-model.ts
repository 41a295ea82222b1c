/**
 * The Integrated-Gradients model of a segment (what SegmentGradients runs). Inputs: `a` [P, ...] (one lower
 * activation per attribution), `alpha` [K] and `w` [K] (quadrature points and weights), `j` int64 [1] (the
 * target channel of the upper tensor). Outputs, with F_j = spatial mean of upper[:, j] (upper[:, j] at rank 2):
 *   grad    [P, ...]       = sum_k w_k dF_j/dx (alpha_k a)
 *   contrib [P, C_lower]   = sum over positions of a * grad  (IG per lower channel)
 *   value   [P, K]         = F_j (alpha_k a)  (steps with weight 0 give F_j(a) and F_j(0) for completeness)
 * Plain gradients are the case K = 1, alpha = w = [1].
 *
 * Exact reformulations that make it fast (each is the same maths up to float32 rounding):
 * - only channel j of the upper tensor is computed (channel-slice.ts);
 * - the affine bottom of the segment runs once per sample and its backward once per sample on the
 *   step-summed cotangent (affine-split.ts); only the rest runs per (sample, step) row;
 * - the quadrature weights are folded into the upper cotangent, the step sum and the position sum happen in
 *   the graph, so only [P, C_lower] leaves the runtime.
 */
import { makeNode, makeValueInfo } from '../onnx/build';
import { DataType, type ModelProto, type NodeProto } from '../onnx/proto';
import { splitAffine, type AffineSplit } from './affine-split';
import { sliceUpperChannel } from './channel-slice';
import { tapConv } from './tap-conv';
import { Prepared } from './prepared';
import { pruneTo, topoSort } from './topo';
import type { ShapeMap } from './types';

export const IG_NAMES = { a: 'a', alpha: 'alpha', w: 'w', j: 'j', grad: 'grad', contrib: 'contrib', value: 'value' } as const;

export interface IgModel {
  model: ModelProto;
  /** Activation values the model holds per (sample, step) row (forward tensors of the row part). */
  valuesPerRow: number;
  /** Activation values it holds per sample (forward tensors of the affine part). */
  valuesPerSample: number;
}

const size = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);

export function buildIgModel(segmentModel: ModelProto, shapes: ShapeMap): IgModel {
  const N = IG_NAMES;
  const p = new Prepared(segmentModel, shapes, Object.values(N));
  const { em } = p;
  p.shapes.set(N.j, [1]);
  const lowerDims = p.featureDims(p.lower);
  const feed = makeNode('Identity', [N.a], [p.lower], {}, `${p.lower}/feed`);
  const sliced = sliceUpperChannel(p, p.nodes, N.j);
  const split = splitAffine(topoSort(pruneTo(sliced.nodes, [sliced.upper])), p.lower, sliced.upper);
  const zero = zeroCopy(p, split);
  const rows = frontierRows(p, split, zero.names);
  const rowNodes = split.rowNodes.map((n) => ({ ...n, input: n.input.map((i) => rows.names.get(i) ?? i) }));
  let valuesPerRow = split.frontier.reduce((sum, f) => sum + size(p.featureDims(f)), 0);
  for (const n of split.rowNodes) for (const o of n.output) valuesPerRow += size(p.shape(o)?.slice(1) ?? []);
  let valuesPerSample = size(lowerDims);
  for (const n of split.sampleNodes) for (const o of n.output) valuesPerSample += size(p.shape(o)?.slice(1) ?? []);

  // Cotangent of the upper channel per row: w_k / positions, at every position.
  const upperDims = p.featureDims(sliced.upper);
  const positions = size(upperDims.slice(1));
  const wb = em.op('Reshape', [em.op('Mul', [N.w, em.scalar(1 / positions)]), em.ints([1, -1, ...upperDims.map(() => 1)])]);
  const seedShape = em.op('Concat', [rows.pDim, em.op('Shape', [N.w]), em.ints(upperDims)], { axis: 0 });
  const seed = em.op('Reshape', [em.op('Expand', [wb, seedShape]), em.ints([-1, ...upperDims])], {}, 'g_upper');
  const upperRow = rows.names.get(sliced.upper) ?? sliced.upper;

  // Backward: row part per row, sum over steps, affine part per sample.
  const rowGrads = p.backward(rowNodes, [...rows.names.values()], new Map([[upperRow, seed]]));
  const sampleSeeds = new Map<string, string>();
  const onesRow = em.op('Reshape', [rows.ones, em.ints([1, -1])]);
  for (const f of split.frontier) {
    const g = rowGrads.get(rows.names.get(f)!);
    if (!g) continue;
    // Sum over the steps as ones[1, K] x [P, K, |f|]: ORT's ReduceSum is 10x slower on this when P = 1.
    const dims = p.featureDims(f);
    const grouped = em.op('Reshape', [g, em.op('Concat', [rows.pDim, em.ints([-1, size(dims)])], { axis: 0 })]);
    sampleSeeds.set(f, em.op('Reshape', [em.op('MatMul', [onesRow, grouped]), em.ints([-1, ...dims])]));
  }
  const grad = p.backward(split.sampleNodes, [p.lower], sampleSeeds).get(p.lower) ?? em.zerosLike(p.lower);
  em.nodes.push(makeNode('Identity', [grad], [N.grad], {}, N.grad));
  const perRow =
    upperDims.length > 1
      ? em.reduce(
          'ReduceMean',
          upperRow,
          upperDims.slice(1).map((_, i) => i + 2),
          false,
        )
      : upperRow;
  const value = em.op('Reshape', [perRow, em.op('Concat', [rows.pDim, em.ints([-1])], { axis: 0 })]);
  em.nodes.push(makeNode('Identity', [value], [N.value], {}, N.value));
  const contrib = em.reduceSum(
    em.op('Mul', [grad, N.a]),
    lowerDims.slice(1).map((_, i) => i + 2),
    false,
  );
  em.nodes.push(makeNode('Identity', [contrib], [N.contrib], {}, N.contrib));

  const model = p.finish(
    `${segmentModel.graph.name ?? 'segment'}/ig`,
    [
      makeValueInfo(N.a, p.elemType, ['P', ...lowerDims]),
      makeValueInfo(N.alpha, p.elemType, ['K']),
      makeValueInfo(N.w, p.elemType, ['K']),
      makeValueInfo(N.j, DataType.INT64, [1]),
    ],
    [
      makeValueInfo(N.grad, p.elemType, ['P', ...lowerDims]),
      makeValueInfo(N.contrib, p.elemType, ['P', lowerDims[0]]),
      makeValueInfo(N.value, p.elemType, ['P', 'K']),
    ],
    [feed, ...split.constNodes, ...split.sampleNodes, ...zero.nodes, ...rowForward(p, rowNodes, rows)],
  );
  return { model, valuesPerRow, valuesPerSample };
}

/** f(0) for the frontier: a copy of the affine nodes it needs, fed a zero sample. Maps sample tensors to copies. */
function zeroCopy(p: Prepared, split: AffineSplit): { names: Map<string, string>; nodes: NodeProto[] } {
  const { em } = p;
  const sampleTensors = new Set([p.lower, ...split.sampleNodes.flatMap((n) => n.output)]);
  const names = new Map<string, string>();
  const zero = { name: 'value', dims: [1], dataType: p.elemType, rawData: new Uint8Array(p.elemType === DataType.DOUBLE ? 8 : 4) };
  names.set(p.lower, em.op('ConstantOfShape', [em.ints([1, ...p.featureDims(p.lower)])], { value: zero }, 'zero_sample'));
  const needed = new Set(
    pruneTo(
      split.sampleNodes,
      split.frontier.filter((f) => f !== p.lower),
    ),
  );
  const nodes: NodeProto[] = [];
  for (const n of split.sampleNodes) {
    if (!needed.has(n)) continue;
    const rn = (t: string) => (sampleTensors.has(t) ? (names.get(t) ?? t) : t);
    for (const o of n.output) if (o) names.set(o, em.fresh(`${o}@zero`));
    nodes.push({ ...n, input: n.input.map(rn), output: n.output.map(rn), name: `${n.name ?? n.output[0]}@zero` });
  }
  return { names, nodes };
}

interface FrontierRows {
  /** Frontier tensor -> its per-row tensor [P*K, ...]. */
  names: Map<string, string>;
  /** Frontier tensor -> the same rows as [P, K, |f|] (what a fused Relu reads). */
  flat: Map<string, string>;
  /** [P] as a 1-D shape tensor, and ones [K]. */
  pDim: string;
  ones: string;
}

/**
 * Frontier values per row: alpha_k (f(a) - f(0)) + f(0), laid out sample-major [P*K, ...]. Written as a 1x1
 * Conv of [f(a) - f(0), f(0)] (2 channels of length |f|) with the filters [alpha_k, 1]: one pass, and ORT fuses
 * it with a following Relu. Float64 has no Conv kernel on CPU: a MatMul there.
 */
function frontierRows(p: Prepared, split: AffineSplit, zero: ReadonlyMap<string, string>): FrontierRows {
  const { em } = p;
  const { alpha, a } = IG_NAMES;
  const pDim = em.op('Slice', [em.op('Shape', [a]), em.ints([0]), em.ints([1])], {}, 'P');
  const alphaCol = em.unsqueeze(alpha, [1]);
  const ones = em.op('Add', [em.op('Mul', [alpha, em.scalar(0)]), em.scalar(1)]);
  const affineFilters = em.op('Unsqueeze', [em.op('Concat', [alphaCol, em.unsqueeze(ones, [1])], { axis: 1 }), em.ints([2])]);
  const scaleFilters = em.unsqueeze(alphaCol, [2]);
  const combine = (x: string, filters: string): string =>
    p.elemType === DataType.DOUBLE
      ? em.op('MatMul', [em.op('Squeeze', [filters, em.ints([2])]), x], {}, 'frontier_rows')
      : em.op('Conv', [x, filters], {}, 'frontier_rows');
  const names = new Map<string, string>();
  const flat = new Map<string, string>();
  for (const f of split.frontier) {
    const dims = p.featureDims(f);
    const len = size(dims);
    let rows: string;
    if (f === p.lower) {
      rows = combine(em.op('Reshape', [a, em.ints([-1, 1, len])]), scaleFilters);
    } else {
      const f0 = em.op('Reshape', [zero.get(f)!, em.ints([1, 1, len])]);
      const diff = em.op('Reshape', [em.op('Sub', [f, zero.get(f)!]), em.ints([-1, 1, len])]);
      const both = em.op('Concat', [diff, em.op('Expand', [f0, em.op('Concat', [pDim, em.ints([1, len])], { axis: 0 })])], { axis: 1 });
      rows = combine(both, affineFilters);
    }
    flat.set(f, rows);
    const named = em.op('Reshape', [rows, em.ints([-1, ...dims])], {}, 'frontier_rows');
    p.shapes.set(named, [1, ...dims]);
    names.set(f, named);
  }
  return { names, flat, pDim, ones };
}

/**
 * What runs forward per row (the backward still sees `rowNodes` as they are): a Relu that alone reads a
 * frontier tensor is applied before the reshape (so it fuses with the Conv that makes the rows), and
 * single-channel convolutions run the tap way (tap-conv.ts).
 */
function rowForward(p: Prepared, rowNodes: readonly NodeProto[], rows: FrontierRows): NodeProto[] {
  const { em } = p;
  const readers = new Map<string, number>();
  for (const n of rowNodes) for (const i of n.input) readers.set(i, (readers.get(i) ?? 0) + 1);
  const frontierOf = new Map([...rows.names].map(([f, r]) => [r, f]));
  return rowNodes.flatMap((n): NodeProto[] => {
    const f = frontierOf.get(n.input[0]);
    if (n.opType === 'Relu' && f && readers.get(n.input[0]) === 1) {
      const relu = em.op('Relu', [rows.flat.get(f)!]);
      return [makeNode('Reshape', [relu, em.ints([-1, ...p.featureDims(f)])], [n.output[0]], {}, n.output[0])];
    }
    return (n.opType === 'Conv' && tapConv(n, em, (t) => p.shape(t))) || [n];
  });
}

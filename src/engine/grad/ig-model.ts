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
import { splitAffine } from './affine-split';
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
  const forward = topoSort(pruneTo(sliced.nodes, [sliced.upper]));
  const split = splitAffine(forward, p.lower, sliced.upper);
  const sampleTensors = new Set([p.lower, ...split.sampleNodes.flatMap((n) => n.output)]);

  // f(0) for the frontier: a copy of the affine nodes it needs, fed a zero sample.
  const zeroName = new Map<string, string>();
  zeroName.set(p.lower, em.op('ConstantOfShape', [em.ints([1, ...lowerDims])], { value: zeroTensor(p.elemType) }, 'zero_sample'));
  const needed = new Set(pruneTo(split.sampleNodes, split.frontier.filter((f) => f !== p.lower)));
  const zeroNodes: NodeProto[] = [];
  for (const n of split.sampleNodes) {
    if (!needed.has(n)) continue;
    const rn = (t: string) => (sampleTensors.has(t) ? zeroName.get(t) ?? t : t);
    for (const o of n.output) if (o) zeroName.set(o, em.fresh(`${o}@zero`));
    zeroNodes.push({ ...n, input: n.input.map(rn), output: n.output.map(rn), name: `${n.name ?? n.output[0]}@zero` });
  }

  // Frontier values per row: alpha_k (f(a) - f(0)) + f(0), laid out sample-major [P*K, ...]. Written as a 1x1
  // Conv of [f(a) - f(0), f(0)] (as 2 channels of length |f|) with the filters [alpha_k, 1]: one pass, and ORT
  // fuses it with a following Relu.
  const pDim = em.op('Slice', [em.op('Shape', [N.a]), em.ints([0]), em.ints([1])], {}, 'P');
  const alphaCol = em.unsqueeze(N.alpha, [1]);
  const ones = em.op('Add', [em.op('Mul', [N.alpha, em.scalar(0)]), em.scalar(1)]);
  const affineFilters = em.op('Unsqueeze', [em.op('Concat', [alphaCol, em.unsqueeze(ones, [1])], { axis: 1 }), em.ints([2])]);
  const scaleFilters = em.unsqueeze(alphaCol, [2]);
  // [P, m, |f|] x filters [K, m, 1] -> [P, K, |f|]; float64 has no Conv kernel on CPU: a MatMul there.
  const combine = (x: string, filters: string): string => (p.elemType === DataType.DOUBLE
    ? em.op('MatMul', [em.op('Squeeze', [filters, em.ints([2])]), x], {}, 'frontier_rows')
    : em.op('Conv', [x, filters], {}, 'frontier_rows'));
  const rowName = new Map<string, string>();
  const rows3 = new Map<string, string>();
  let valuesPerRow = 0;
  for (const f of split.frontier) {
    const dims = p.featureDims(f);
    const flat = size(dims);
    let rows: string;
    if (f === p.lower) {
      rows = combine(em.op('Reshape', [N.a, em.ints([-1, 1, flat])]), scaleFilters);
    } else {
      const f0 = em.op('Reshape', [zeroName.get(f)!, em.ints([1, 1, flat])]);
      const diff = em.op('Reshape', [em.op('Sub', [f, zeroName.get(f)!]), em.ints([-1, 1, flat])]);
      const both = em.op('Concat', [diff, em.op('Expand', [f0, em.op('Concat', [pDim, em.ints([1, flat])], { axis: 0 })])], { axis: 1 });
      rows = combine(both, affineFilters);
    }
    rows3.set(f, rows);
    const named = em.op('Reshape', [rows, em.ints([-1, ...dims])], {}, 'frontier_rows');
    p.shapes.set(named, [1, ...dims]);
    rowName.set(f, named);
    valuesPerRow += flat;
  }
  const rowNodes = split.rowNodes.map((n) => ({ ...n, input: n.input.map((i) => rowName.get(i) ?? i) }));
  // What runs forward per row (the backward still sees the original nodes): a Relu that alone reads a
  // frontier tensor applied before the reshape (so it fuses with the Conv above), single-channel
  // convolutions the tap way (tap-conv.ts).
  const readers = new Map<string, number>();
  for (const n of rowNodes) for (const i of n.input) readers.set(i, (readers.get(i) ?? 0) + 1);
  const frontierOf = new Map([...rowName].map(([f, r]) => [r, f]));
  const rowForward = rowNodes.flatMap((n): NodeProto[] => {
    const f = frontierOf.get(n.input[0]);
    if (n.opType === 'Relu' && f && readers.get(n.input[0]) === 1) {
      const relu = em.op('Relu', [rows3.get(f)!]);
      return [makeNode('Reshape', [relu, em.ints([-1, ...p.featureDims(f)])], [n.output[0]], {}, n.output[0])];
    }
    return (n.opType === 'Conv' && tapConv(n, em, (t) => p.shape(t))) || [n];
  });
  for (const n of split.rowNodes) for (const o of n.output) valuesPerRow += size(p.shape(o)?.slice(1) ?? []);
  let valuesPerSample = size(lowerDims);
  for (const n of split.sampleNodes) for (const o of n.output) valuesPerSample += size(p.shape(o)?.slice(1) ?? []);

  // Cotangent of the upper channel per row: w_k / positions, at every position.
  const upperDims = p.featureDims(sliced.upper);
  const positions = size(upperDims.slice(1));
  const wb = em.op('Reshape', [em.op('Mul', [N.w, em.scalar(1 / positions)]), em.ints([1, -1, ...upperDims.map(() => 1)])]);
  const seedShape = em.op('Concat', [pDim, em.op('Shape', [N.w]), em.ints(upperDims)], { axis: 0 });
  const seed = em.op('Reshape', [em.op('Expand', [wb, seedShape]), em.ints([-1, ...upperDims])], {}, 'g_upper');
  const upperRow = rowName.get(sliced.upper) ?? sliced.upper;

  // Backward: row part per row, sum over steps, affine part per sample.
  const rowGrads = p.backward(rowNodes, [...rowName.values()], new Map([[upperRow, seed]]));
  const sampleSeeds = new Map<string, string>();
  const onesRow = em.op('Reshape', [ones, em.ints([1, -1])]);
  for (const f of split.frontier) {
    const g = rowGrads.get(rowName.get(f)!);
    if (!g) continue;
    // Sum over the steps as ones[1, K] x [P, K, |f|]: ORT's ReduceSum is 10x slower on this when P = 1.
    const dims = p.featureDims(f);
    const grouped = em.op('Reshape', [g, em.op('Concat', [pDim, em.ints([-1, size(dims)])], { axis: 0 })]);
    sampleSeeds.set(f, em.op('Reshape', [em.op('MatMul', [onesRow, grouped]), em.ints([-1, ...dims])]));
  }
  const grad = p.backward(split.sampleNodes, [p.lower], sampleSeeds).get(p.lower) ?? em.zerosLike(p.lower);
  em.nodes.push(makeNode('Identity', [grad], [N.grad], {}, N.grad));
  const upperRank = upperDims.length + 1;
  const perRow = upperRank > 2 ? em.reduce('ReduceMean', upperRow, upperDims.slice(1).map((_, i) => i + 2), false) : upperRow;
  const value = em.op('Reshape', [perRow, em.op('Concat', [pDim, em.ints([-1])], { axis: 0 })]);
  em.nodes.push(makeNode('Identity', [value], [N.value], {}, N.value));
  const contrib = em.reduceSum(em.op('Mul', [grad, N.a]), lowerDims.slice(1).map((_, i) => i + 2), false);
  em.nodes.push(makeNode('Identity', [contrib], [N.contrib], {}, N.contrib));

  const model = p.finish(`${segmentModel.graph.name ?? 'segment'}/ig`, [
    makeValueInfo(N.a, p.elemType, ['P', ...lowerDims]),
    makeValueInfo(N.alpha, p.elemType, ['K']),
    makeValueInfo(N.w, p.elemType, ['K']),
    makeValueInfo(N.j, DataType.INT64, [1]),
  ], [
    makeValueInfo(N.grad, p.elemType, ['P', ...lowerDims]),
    makeValueInfo(N.contrib, p.elemType, ['P', lowerDims[0]]),
    makeValueInfo(N.value, p.elemType, ['P', 'K']),
  ], [feed, ...split.constNodes, ...split.sampleNodes, ...zeroNodes, ...rowForward]);
  return { model, valuesPerRow, valuesPerSample };
}

function zeroTensor(elemType: number) {
  return { name: 'value', dims: [1], dataType: elemType, rawData: new Uint8Array(elemType === DataType.DOUBLE ? 8 : 4) };
}

/**
 * The vector-Jacobian builder (DESIGN 3.2). From a segment model (graph input = the lower activation with a
 * dynamic batch dim, graph output = the upper tensor) and the static shapes of its tensors, it writes ONE ONNX
 * model that recomputes the forward values the rules need and pulls a cotangent of the upper tensor back to
 * the lower activation, using standard operators only (opset >= 17, so ScatterElements can add).
 *
 * Three products share the same core:
 * - `buildVjpModel`:    inputs `a` [N,...], `g` (cotangent of upper) -> `grad_a`.
 * - `buildTargetModel`: the fused IG/gradient model. Inputs `a` [S,...] (distinct samples), `rows` int64 [R]
 *   (sample of each row), `alpha` [R] (scale of each row), `t` [R, C_upper] (target weights of each row). Row r
 *   evaluates at x_r = alpha_r * a[rows_r] with the cotangent of F = sum_j t[r,j] * mean_spatial(upper[:, j]);
 *   outputs `grad` [R,...] = dF/dx at x_r and `contrib` [R, C_lower] = sum over positions of a[rows_r] * grad.
 * - `buildValueModel`:  input `a` -> `value` [N, C_upper], F_j for every channel j.
 */
import { makeGraph, makeModel, makeValueInfo } from '../onnx/build';
import { DataType, type ModelProto, type NodeProto, type TensorProto } from '../onnx/proto';
import { GradientError } from '../errors';
import { collectConstants } from './constants';
import { GraphEmitter } from './emitter';
import { NON_DIFFERENTIABLE, NON_DIFFERENTIABLE_OUTPUTS, RULES } from './registry';
import { pruneTo, topoSort } from './topo';
import type { ConstantValue, GradContext, ShapeMap } from './types';
import { upgradeNodes } from './upgrade';
import { attrInt } from './attrs';

/** Lowest opset the backward models are written in (ScatterElements reduction needs 16). */
export const BACKWARD_MIN_OPSET = 17;

export const VJP_NAMES = { a: 'a', g: 'g', grad: 'grad_a' } as const;
export const TARGET_NAMES = { a: 'a', rows: 'rows', alpha: 'alpha', t: 't', grad: 'grad', contrib: 'contrib' } as const;
export const VALUE_NAMES = { a: 'a', value: 'value' } as const;

/** The lower (first non-initializer graph input) and upper (first graph output) tensors of a segment. */
export function segmentEnds(model: ModelProto): { lower: string; upper: string; elemType: number } {
  const inits = new Set(model.graph.initializer.map((t) => t.name));
  const inputs = model.graph.input.filter((i) => !inits.has(i.name));
  if (inputs.length !== 1) {
    throw new GradientError(`segment ${model.graph.name ?? ''}: expected one activation input, found ${inputs.length} (${inputs.map((i) => i.name).join(', ')})`);
  }
  const out = model.graph.output[0];
  if (!out) throw new GradientError(`segment ${model.graph.name ?? ''}: has no output`);
  const elemType = inputs[0].type?.tensorType?.elemType ?? DataType.FLOAT;
  if (elemType !== DataType.FLOAT && elemType !== DataType.DOUBLE) {
    throw new GradientError(`segment input ${inputs[0].name}: element type ${elemType} is not float32 or float64`);
  }
  return { lower: inputs[0].name, upper: out.name, elemType };
}

function opsetOf(model: ModelProto): number {
  const op = model.opsetImport.find((o) => !o.domain || o.domain === 'ai.onnx');
  return op ? Number(op.version) : 1;
}

/** The forward graph of a segment, upgraded to the backward opset, with everything the rules read. */
class Prepared {
  readonly em: GraphEmitter;
  readonly lower: string;
  readonly upper: string;
  readonly elemType: number;
  readonly sourceOpset: number;
  readonly nodes: NodeProto[];
  readonly shapes = new Map<string, readonly number[]>();
  readonly constants: Map<string, ConstantValue>;
  readonly initializers: TensorProto[];

  constructor(readonly model: ModelProto, shapes: ShapeMap, reservedNames: readonly string[]) {
    const ends = segmentEnds(model);
    this.elemType = ends.elemType;
    this.sourceOpset = opsetOf(model);
    const taken = new Set<string>();
    for (const n of model.graph.node) n.output.forEach((o) => taken.add(o));
    for (const t of model.graph.initializer) if (t.name) taken.add(t.name);
    taken.add(ends.lower);
    this.em = new GraphEmitter(Math.max(this.sourceOpset, BACKWARD_MIN_OPSET), this.elemType, [...taken, ...reservedNames]);
    // Segment tensors named like the backward model's own inputs/outputs are renamed.
    const rename = new Map<string, string>();
    for (const r of reservedNames) if (taken.has(r)) rename.set(r, this.em.fresh(`renamed_${r}`));
    const rn = (t: string) => rename.get(t) ?? t;
    this.lower = rn(ends.lower);
    this.upper = rn(ends.upper);
    for (const [k, v] of shapes) this.shapes.set(rn(k), v);
    const forward = model.graph.node.map((n) => (rename.size === 0 ? n : { ...n, input: n.input.map(rn), output: n.output.map(rn) }));
    const upgraded = upgradeNodes(topoSort(forward), this.sourceOpset, this.em.opset, this.em, (t) => this.shapes.get(t));
    for (const [k, v] of upgraded.shapes) this.shapes.set(k, v);
    this.nodes = upgraded.nodes;
    this.initializers = model.graph.initializer.map((t) => (t.name && rename.has(t.name) ? { ...t, name: rn(t.name) } : t));
    this.constants = collectConstants(this.initializers, this.nodes);
    for (const t of this.em.initializers) {
      if (t.name && !this.constants.has(t.name)) this.constants.set(t.name, collectConstants([t], []).get(t.name)!);
    }
  }

  shape(tensor: string): readonly number[] | undefined {
    return this.shapes.get(tensor) ?? this.constants.get(tensor)?.dims;
  }

  /** Non-batch dims of a tensor (throws when its shape is unknown). */
  featureDims(tensor: string): number[] {
    const s = this.shape(tensor);
    if (!s) throw new GradientError(`segment tensor ${tensor}: static shape unknown (give the builder its shape)`);
    return s.slice(1);
  }

  /**
   * Emits the backward pass for cotangent `gUpper` of the upper tensor; returns the cotangent of the lower
   * tensor (zeros when the upper tensor does not depend on it).
   */
  emitBackward(gUpper: string): string {
    const { em } = this;
    const active = new Set<string>([this.lower]);
    for (const n of this.nodes) {
      if (NON_DIFFERENTIABLE.has(n.opType)) continue;
      const dataInputs = n.opType === 'Gather' ? n.input.slice(0, 1) : n.input;
      if (!dataInputs.some((i) => active.has(i))) continue;
      if (n.opType === 'Cast' && ![DataType.FLOAT, DataType.DOUBLE, DataType.FLOAT16].includes(attrInt(n, 'to', 0) as never)) continue;
      const skip = NON_DIFFERENTIABLE_OUTPUTS.get(n.opType) ?? [];
      n.output.forEach((o, i) => { if (o && !skip.includes(i)) active.add(o); });
    }
    if (!active.has(this.upper)) return em.zerosLike(this.lower);
    const relevant = new Set<string>([this.upper]);
    const backwardNodes: NodeProto[] = [];
    for (let k = this.nodes.length - 1; k >= 0; k--) {
      const n = this.nodes[k];
      if (!n.output.some((o) => relevant.has(o) && active.has(o))) continue;
      backwardNodes.push(n);
      n.input.forEach((i) => { if (active.has(i)) relevant.add(i); });
    }
    const parts = new Map<string, string[]>([[this.upper, [gUpper]]]);
    const total = (t: string): string | undefined => {
      const p = parts.get(t);
      if (!p || p.length === 0) return undefined;
      if (p.length > 1) parts.set(t, [em.op('Sum', p, {}, 'grad_sum')]);
      return parts.get(t)![0];
    };
    for (const node of backwardNodes) {
      const grads = node.output.map((o) => (active.has(o) ? total(o) : undefined));
      if (grads.every((g) => g === undefined)) continue;
      const where = `${node.opType} node '${node.name ?? node.output[0]}'`;
      if (node.domain && node.domain !== 'ai.onnx') throw new GradientError(`no backward rule for operator ${node.domain}.${node.opType} (${where})`);
      const rule = RULES.get(node.opType);
      if (!rule) {
        throw new GradientError(`no backward rule for operator ${node.opType} (${where}); supported: ${[...RULES.keys()].sort().join(', ')}`);
      }
      const ctx: GradContext = {
        node, em, sourceOpset: this.sourceOpset,
        gradOf: (i) => grads[i],
        gradOrZeros: (i) => grads[i] ?? em.zerosLike(node.output[i]),
        needs: (i) => Boolean(node.input[i]) && active.has(node.input[i]),
        shape: (t) => this.shape(t) ?? ctx.fail(`static shape of tensor ${t} is unknown`),
        constant: (t) => this.constants.get(t),
        fail: (why) => { throw new GradientError(`backward of ${where}: ${why}`); },
      };
      const inputGrads = rule.grad(ctx);
      node.input.forEach((inp, i) => {
        const g = inputGrads[i];
        if (!g || !ctx.needs(i)) return;
        const list = parts.get(inp) ?? [];
        list.push(g);
        parts.set(inp, list);
      });
    }
    return total(this.lower) ?? em.zerosLike(this.lower);
  }

  /** Assembles the model: forward + emitted nodes, pruned to the outputs, sorted, with used initializers. */
  finish(name: string, inputs: ReturnType<typeof makeValueInfo>[], outputs: ReturnType<typeof makeValueInfo>[]): ModelProto {
    const nodes = topoSort(pruneTo([...this.nodes, ...this.em.nodes], outputs.map((o) => o.name)));
    const used = new Set(nodes.flatMap((n) => n.input));
    const initializers = [...this.initializers, ...this.em.initializers].filter((t) => t.name && used.has(t.name));
    const graph = makeGraph(name, nodes, inputs, outputs, initializers);
    return makeModel(graph, [{ domain: '', version: this.em.opset }], Math.max(Number(this.model.irVersion) || 8, 8));
  }

}

/** inputs `a`, `g` -> output `grad_a` = g pulled back through the segment. */
export function buildVjpModel(model: ModelProto, shapes: ShapeMap): ModelProto {
  const p = new Prepared(model, shapes, Object.values(VJP_NAMES));
  const lowerDims = p.featureDims(p.lower);
  const upperDims = p.featureDims(p.upper);
  p.em.nodes.push({ opType: 'Identity', input: [VJP_NAMES.a], output: [p.lower], attribute: [], name: `${p.lower}/feed` });
  const grad = p.emitBackward(VJP_NAMES.g);
  p.em.nodes.push({ opType: 'Identity', input: [grad], output: [VJP_NAMES.grad], attribute: [], name: VJP_NAMES.grad });
  return p.finish(`${model.graph.name ?? 'segment'}/vjp`,
    [makeValueInfo(VJP_NAMES.a, p.elemType, ['N', ...lowerDims]), makeValueInfo(VJP_NAMES.g, p.elemType, ['N', ...upperDims])],
    [makeValueInfo(VJP_NAMES.grad, p.elemType, ['N', ...lowerDims])]);
}

/** Emits F_j for every channel j of the upper tensor (spatial mean for rank >= 3). */
function channelValues(p: Prepared): string {
  const rank = p.featureDims(p.upper).length + 1;
  if (rank < 2) throw new GradientError(`upper tensor ${p.upper}: rank ${rank} has no channel axis`);
  if (rank === 2) return p.upper;
  return p.em.reduce('ReduceMean', p.upper, Array.from({ length: rank - 2 }, (_, i) => i + 2), false);
}

/** The fused target model used by Integrated Gradients and plain gradients (see the module comment). */
export function buildTargetModel(model: ModelProto, shapes: ShapeMap): ModelProto {
  const p = new Prepared(model, shapes, Object.values(TARGET_NAMES));
  const { em } = p;
  const lowerDims = p.featureDims(p.lower);
  const upperDims = p.featureDims(p.upper);
  const N = TARGET_NAMES;
  const rank = lowerDims.length + 1;
  const picked = em.op('Gather', [N.a, N.rows], { axis: 0 }, 'picked');
  const scale = em.op('Reshape', [N.alpha, em.ints([-1, ...new Array<number>(rank - 1).fill(1)])]);
  em.nodes.push({ opType: 'Mul', input: [picked, scale], output: [p.lower], attribute: [], name: `${p.lower}/scaled` });
  // Cotangent of sum_j t[r,j] F_j: t spread evenly over the upper tensor's positions.
  let g: string = N.t;
  if (upperDims.length > 1) {
    const positions = upperDims.slice(1).reduce((a, b) => a * b, 1);
    const spread = em.unsqueeze(em.op('Mul', [N.t, em.scalar(1 / positions)]), Array.from({ length: upperDims.length - 1 }, (_, i) => i + 2));
    g = em.op('Expand', [spread, em.op('Shape', [p.upper])], {}, 'g_upper');
  }
  const grad = p.emitBackward(g);
  em.nodes.push({ opType: 'Identity', input: [grad], output: [N.grad], attribute: [], name: N.grad });
  const product = em.op('Mul', [grad, picked]);
  const contrib = em.reduceSum(product, Array.from({ length: rank - 2 }, (_, i) => i + 2), false);
  em.nodes.push({ opType: 'Identity', input: [contrib], output: [N.contrib], attribute: [], name: N.contrib });
  return p.finish(`${model.graph.name ?? 'segment'}/target`, [
    makeValueInfo(N.a, p.elemType, ['S', ...lowerDims]),
    makeValueInfo(N.rows, DataType.INT64, ['R']),
    makeValueInfo(N.alpha, p.elemType, ['R']),
    makeValueInfo(N.t, p.elemType, ['R', upperDims[0]]),
  ], [
    makeValueInfo(N.grad, p.elemType, ['R', ...lowerDims]),
    makeValueInfo(N.contrib, p.elemType, ['R', lowerDims[0]]),
  ]);
}

/** input `a` -> `value` [N, C_upper]: F_j(a) for every upper channel j. */
export function buildValueModel(model: ModelProto, shapes: ShapeMap): ModelProto {
  const p = new Prepared(model, shapes, Object.values(VALUE_NAMES));
  const upperDims = p.featureDims(p.upper);
  p.em.nodes.push({ opType: 'Identity', input: [VALUE_NAMES.a], output: [p.lower], attribute: [], name: `${p.lower}/feed` });
  const values = channelValues(p);
  p.em.nodes.push({ opType: 'Identity', input: [values], output: [VALUE_NAMES.value], attribute: [], name: VALUE_NAMES.value });
  return p.finish(`${model.graph.name ?? 'segment'}/value`,
    [makeValueInfo(VALUE_NAMES.a, p.elemType, ['N', ...p.featureDims(p.lower)])],
    [makeValueInfo(VALUE_NAMES.value, p.elemType, ['N', upperDims[0]])]);
}

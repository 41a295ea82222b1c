/**
 * A segment's forward graph made ready for backward construction: upgraded to the backward opset, reserved
 * names renamed away, static shapes and constants at hand, and a reverse-mode pass (`backward`) that pulls
 * cotangents from any set of seed tensors back to any set of source tensors through any subset of the nodes.
 * Shared by the model builders (builder.ts, ig-model.ts).
 */
import { makeGraph, makeModel, type makeValueInfo } from '../onnx/build';
import { DataType, type ModelProto, type NodeProto, type TensorProto } from '../onnx/proto';
import { GradientError } from '../errors';
import { attrInt } from './attrs';
import { collectConstants } from './constants';
import { GraphEmitter } from './emitter';
import { foldShapes, replaceFolded, type BatchPowers } from './fold-shapes';
import { NON_DIFFERENTIABLE, NON_DIFFERENTIABLE_OUTPUTS, RULES } from './registry';
import { pruneTo, topoSort } from './topo';
import type { ConstantValue, GradContext, ShapeMap } from './types';
import { upgradeNodes } from './upgrade';

/** Lowest opset the backward models are written in (ScatterElements reduction needs 16). */
export const BACKWARD_MIN_OPSET = 17;

/** The lower (first non-initializer graph input) and upper (first graph output) tensors of a segment. */
export function segmentEnds(model: ModelProto): { lower: string; upper: string; elemType: number } {
  const inits = new Set(model.graph.initializer.map((t) => t.name));
  const inputs = model.graph.input.filter((i) => !inits.has(i.name));
  if (inputs.length !== 1) {
    throw new GradientError(
      `segment ${model.graph.name ?? ''}: expected one activation input, found ${inputs.length} (${inputs.map((i) => i.name).join(', ')})`,
    );
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

/** Whether a node passes a cotangent from its inputs to its outputs (see NON_DIFFERENTIABLE). */
function differentiable(n: NodeProto): boolean {
  if (NON_DIFFERENTIABLE.has(n.opType)) return false;
  if (n.opType === 'Cast' && ![DataType.FLOAT, DataType.DOUBLE, DataType.FLOAT16].includes(attrInt(n, 'to', 0) as never)) return false;
  return true;
}

/** Tensors that depend differentiably on `sources` through `nodes` (topologically sorted). */
export function activeTensors(nodes: readonly NodeProto[], sources: Iterable<string>): Set<string> {
  const active = new Set<string>(sources);
  for (const n of nodes) {
    if (!differentiable(n)) continue;
    const dataInputs = n.opType === 'Gather' ? n.input.slice(0, 1) : n.input;
    if (!dataInputs.some((i) => active.has(i))) continue;
    const skip = NON_DIFFERENTIABLE_OUTPUTS.get(n.opType) ?? [];
    n.output.forEach((o, i) => {
      if (o && !skip.includes(i)) active.add(o);
    });
  }
  return active;
}

export class Prepared {
  readonly em: GraphEmitter;
  readonly lower: string;
  readonly upper: string;
  readonly elemType: number;
  readonly sourceOpset: number;
  readonly nodes: NodeProto[];
  readonly shapes = new Map<string, readonly number[]>();
  /** Per activation tensor, the power of the batch size in each axis' length (fold-shapes.ts). */
  private batchPowers: Map<string, BatchPowers> = new Map();
  readonly constants: Map<string, ConstantValue>;
  readonly initializers: TensorProto[];

  constructor(
    readonly model: ModelProto,
    shapes: ShapeMap,
    reservedNames: readonly string[],
  ) {
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
    this.initializers = model.graph.initializer.map((t) => (t.name && rename.has(t.name) ? { ...t, name: rn(t.name) } : t));
    // Shape arithmetic folded for the analysed input shape (batch-dependent values stay run-time nodes).
    const inits = [...this.initializers, ...this.em.initializers];
    const folded = foldShapes({ nodes: upgraded.nodes, shapes: this.shapes, sources: [this.lower], initializers: inits });
    this.nodes = replaceFolded(upgraded.nodes, folded);
    this.batchPowers = folded.batchPowers;
    this.constants = collectConstants(inits, this.nodes);
    for (const [t, v] of folded.constants) if (!this.constants.has(t)) this.constants.set(t, v);
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
   * Emits the backward pass for cotangent `gUpper` of the upper tensor through all forward nodes; returns the
   * cotangent of the lower tensor (zeros when the upper tensor does not depend on it).
   */
  emitBackward(gUpper: string): string {
    const out = this.backward(this.nodes, [this.lower], new Map([[this.upper, gUpper]]));
    return out.get(this.lower) ?? this.em.zerosLike(this.lower);
  }

  /**
   * Reverse mode through `nodes` (topologically sorted): `seeds` maps tensors to their cotangents; returns the
   * cotangent of each of `sources` that some seed depends on (sources without one are absent).
   */
  backward(nodes: readonly NodeProto[], sources: readonly string[], seeds: ReadonlyMap<string, string>): Map<string, string> {
    const { em } = this;
    const active = activeTensors(nodes, sources);
    const relevant = new Set<string>([...seeds.keys()].filter((t) => active.has(t)));
    const backwardNodes: NodeProto[] = [];
    for (let k = nodes.length - 1; k >= 0; k--) {
      const n = nodes[k];
      if (!n.output.some((o) => relevant.has(o) && active.has(o))) continue;
      backwardNodes.push(n);
      n.input.forEach((i) => {
        if (active.has(i)) relevant.add(i);
      });
    }
    const parts = new Map<string, string[]>();
    for (const [t, g] of seeds) if (active.has(t)) parts.set(t, [g]);
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
        node,
        em,
        sourceOpset: this.sourceOpset,
        gradOf: (i) => grads[i],
        gradOrZeros: (i) => grads[i] ?? em.zerosLike(node.output[i]),
        needs: (i) => Boolean(node.input[i]) && active.has(node.input[i]),
        shape: (t) => this.shape(t) ?? ctx.fail(`static shape of tensor ${t} is unknown`),
        constant: (t) => this.constants.get(t),
        batchAxis: (t) => batchAxisOf(this.batchPowers.get(t)),
        fail: (why) => {
          throw new GradientError(`backward of ${where}: ${why}`);
        },
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
    const out = new Map<string, string>();
    for (const s of sources) {
      const g = total(s);
      if (g) out.set(s, g);
    }
    return out;
  }

  /**
   * Assembles the model: `forward` (default: the segment's nodes) + emitted nodes, pruned to the outputs,
   * sorted, with the initializers they use.
   */
  finish(
    name: string,
    inputs: ReturnType<typeof makeValueInfo>[],
    outputs: ReturnType<typeof makeValueInfo>[],
    forward: readonly NodeProto[] = this.nodes,
  ): ModelProto {
    const nodes = topoSort(
      pruneTo(
        [...forward, ...this.em.nodes],
        outputs.map((o) => o.name),
      ),
    );
    const used = new Set(nodes.flatMap((n) => n.input));
    const initializers = [...this.initializers, ...this.em.initializers].filter((t) => t.name && used.has(t.name));
    const graph = makeGraph(name, nodes, inputs, outputs, initializers);
    return makeModel(graph, [{ domain: '', version: this.em.opset }], Math.max(Number(this.model.irVersion) || 8, 8));
  }
}

/** The one axis whose length is B times a constant (the others free of B); -1 when none depends on B. */
export function batchAxisOf(powers: BatchPowers | undefined): number | undefined {
  if (!powers || powers === 'unknown' || powers.some((p) => Number.isNaN(p))) return undefined;
  const ones = powers.flatMap((p, i) => (p === 1 ? [i] : []));
  if (ones.length === 1 && powers.every((p, i) => p === 0 || i === ones[0])) return ones[0];
  return powers.every((p) => p === 0) ? -1 : undefined;
}

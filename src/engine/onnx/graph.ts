/**
 * The data-flow graph of an ONNX model: nodes in topological order, producers and consumers of every tensor,
 * which tensors are constant (initializers, `Constant` outputs, anything computed only from constants and
 * shapes), and constant values as typed arrays.
 */
import type { Graph, NodeProto, TensorProto } from './proto';
import { constantNodeTensor, constantNodeValue, tensorValue, type TensorValue } from './tensor';
import { ModelError } from '../errors';

/** Operators whose output depends on their input's shape only, never on its values. */
const SHAPE_ONLY_OPS = new Set(['Shape', 'Size']);
/** Operators without inputs that are not constants. */
const NONDETERMINISTIC_OPS = new Set(['RandomNormal', 'RandomUniform', 'RandomNormalLike', 'RandomUniformLike', 'Multinomial', 'Bernoulli']);

export class GraphIndex {
  /** Nodes in topological order (the file's order where it already is one). */
  readonly nodes: readonly NodeProto[];
  /** The graph's real inputs (those that are not initializers), in file order. */
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly initializers: ReadonlyMap<string, TensorProto>;
  private readonly producers = new Map<string, NodeProto>();
  private readonly order = new Map<NodeProto, number>();
  private readonly consumerMap = new Map<string, NodeProto[]>();
  private readonly statics = new Set<string>();

  /**
   * `resolve` turns an externally stored tensor into one with its data (see ExternalData); it is called
   * only when a constant value is asked for. `source` names the model in errors.
   */
  constructor(
    readonly graph: Graph,
    private readonly resolve: (t: TensorProto) => TensorProto = (t) => t,
    source = 'model',
  ) {
    const inits = new Map<string, TensorProto>();
    for (const t of graph.initializer ?? []) if (t.name) inits.set(t.name, t);
    this.initializers = inits;
    this.inputs = (graph.input ?? []).map((i) => i.name).filter((n) => !inits.has(n));
    this.outputs = (graph.output ?? []).map((o) => o.name);
    for (const node of graph.node) {
      for (const out of node.output) if (out) this.producers.set(out, node);
    }
    this.nodes = topologicalOrder(graph.node, this.producers, new Set([...this.inputs, ...inits.keys()]), source);
    this.nodes.forEach((n, i) => this.order.set(n, i));
    for (const node of this.nodes) {
      for (const inp of node.input) {
        if (!inp) continue;
        let list = this.consumerMap.get(inp);
        if (!list) {
          list = [];
          this.consumerMap.set(inp, list);
        }
        if (!list.includes(node)) list.push(node);
      }
    }
    for (const name of inits.keys()) this.statics.add(name);
    for (const node of this.nodes) {
      const ins = node.input.filter(Boolean);
      const isStatic = SHAPE_ONLY_OPS.has(node.opType) || (ins.length === 0 ? !NONDETERMINISTIC_OPS.has(node.opType) : ins.every((i) => this.statics.has(i)));
      if (isStatic) for (const o of node.output) if (o) this.statics.add(o);
    }
  }

  /** The node that produces `tensor` (undefined for graph inputs, initializers and unknown names). */
  producer(tensor: string): NodeProto | undefined {
    return this.producers.get(tensor);
  }

  /** The nodes that read `tensor`, in topological order. */
  consumers(tensor: string): readonly NodeProto[] {
    return this.consumerMap.get(tensor) ?? [];
  }

  /** The position of a node in `nodes`. */
  indexOf(node: NodeProto): number {
    return this.order.get(node) ?? -1;
  }

  /** Whether the name is a tensor of this graph (input, initializer or node output). */
  has(tensor: string): boolean {
    return this.producers.has(tensor) || this.initializers.has(tensor) || this.inputs.includes(tensor);
  }

  /**
   * True for initializers, `Constant` outputs, and tensors computed only from constants and shapes (e.g.
   * Shape -> Gather -> Concat feeding a Reshape): they carry no data from the input image.
   */
  isConstant(tensor: string): boolean {
    return this.statics.has(tensor);
  }

  /** The value of an initializer or of a `Constant` node's output; undefined for other tensors. */
  constantValue(tensor: string): TensorValue | undefined {
    const init = this.initializers.get(tensor);
    if (init) return tensorValue(this.resolve(init), tensor);
    const node = this.producers.get(tensor);
    if (node?.opType === 'Constant' && (!node.domain || node.domain === 'ai.onnx')) {
      return constantNodeValue(node, this.resolve);
    }
    return undefined;
  }

  /**
   * The tensor to carry into a sub-model for an initializer or `Constant` output, with external data
   * read and the name set; undefined for other tensors.
   */
  constantTensor(tensor: string): TensorProto | undefined {
    const init = this.initializers.get(tensor);
    if (init) return { ...this.resolve(init), name: tensor };
    const node = this.producers.get(tensor);
    if (node?.opType === 'Constant') return constantNodeTensor(node, this.resolve);
    return undefined;
  }

  /** Every tensor produced by a node, in topological order. */
  *tensors(): Iterable<string> {
    for (const node of this.nodes) for (const o of node.output) if (o) yield o;
  }
}

/** A stable topological order: a node comes after the producers of its inputs, else in file order. */
function topologicalOrder(nodes: NodeProto[], producers: Map<string, NodeProto>, available: Set<string>, source: string): NodeProto[] {
  const done = new Set<NodeProto>();
  const onStack = new Set<NodeProto>();
  const out: NodeProto[] = [];
  for (const root of nodes) {
    if (done.has(root)) continue;
    const stack: { node: NodeProto; next: number }[] = [{ node: root, next: 0 }];
    onStack.add(root);
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      const inputs = top.node.input;
      let pushed = false;
      while (top.next < inputs.length) {
        const name = inputs[top.next++];
        if (!name || available.has(name)) continue;
        const p = producers.get(name);
        if (!p) {
          throw new ModelError(
            `${source}: node ${top.node.name || top.node.opType} (${top.node.opType}) reads tensor ${name}, which no node produces and which is not a graph input or initializer`,
          );
        }
        if (done.has(p)) continue;
        if (onStack.has(p)) throw new ModelError(`${source}: the graph has a cycle through node ${p.name || p.opType} (tensor ${name})`);
        stack.push({ node: p, next: 0 });
        onStack.add(p);
        pushed = true;
        break;
      }
      if (pushed) continue;
      stack.pop();
      onStack.delete(top.node);
      done.add(top.node);
      out.push(top.node);
    }
  }
  return out;
}

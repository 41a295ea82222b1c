/**
 * Cut tensors: the tensors every path from the graph input to the output passes through (the dominators of
 * the output in the data-flow graph, ignoring constant and shape-only inputs).
 */
import type { GraphIndex } from './graph';

/**
 * The cut tensors from `input` to `output`, bottom to top, both ends included. Computed with the iterative
 * dominator algorithm (Cooper, Harvey, Kennedy) over the tensor DAG in topological order.
 */
export function cutTensors(graph: GraphIndex, input: string, output: string): string[] {
  const order: string[] = [input];
  const position = new Map<string, number>([[input, 0]]);
  const idom = new Map<string, string>([[input, input]]);
  for (const node of graph.nodes) {
    const preds = node.input.filter((t) => t && idom.has(t));
    if (preds.length === 0) continue; // not reachable from the input (constants, shapes)
    let dom = preds[0];
    for (const p of preds.slice(1)) dom = intersect(dom, p, idom, position);
    for (const out of node.output) {
      if (!out || graph.isConstant(out) || position.has(out)) continue;
      position.set(out, order.length);
      order.push(out);
      idom.set(out, dom);
    }
  }
  if (!idom.has(output)) return [];
  const chain = [output];
  for (let t = output; t !== input; ) {
    t = idom.get(t)!;
    chain.push(t);
  }
  return chain.reverse();
}

function intersect(a: string, b: string, idom: Map<string, string>, position: Map<string, number>): string {
  while (a !== b) {
    while (position.get(a)! > position.get(b)!) a = idom.get(a)!;
    while (position.get(b)! > position.get(a)!) b = idom.get(b)!;
  }
  return a;
}

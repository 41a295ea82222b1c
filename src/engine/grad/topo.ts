/** Graph utilities for the builder: topological order and dead-node pruning over plain node lists. */
import type { NodeProto } from '../onnx/proto';

/** Nodes in a topological order (stable: keeps the given order where dependencies allow). */
export function topoSort(nodes: readonly NodeProto[]): NodeProto[] {
  const producer = new Map<string, number>();
  nodes.forEach((n, i) =>
    n.output.forEach((o) => {
      if (o) producer.set(o, i);
    }),
  );
  const state = new Uint8Array(nodes.length); // 0 new, 1 visiting, 2 done
  const order: NodeProto[] = [];
  const visit = (start: number) => {
    const stack: [number, number][] = [[start, 0]];
    state[start] = 1;
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      const node = nodes[top[0]];
      if (top[1] < node.input.length) {
        const p = producer.get(node.input[top[1]++]);
        if (p !== undefined && state[p] === 0) {
          state[p] = 1;
          stack.push([p, 0]);
        }
        continue;
      }
      state[top[0]] = 2;
      order.push(node);
      stack.pop();
    }
  };
  for (let i = 0; i < nodes.length; i++) if (state[i] === 0) visit(i);
  return order;
}

/** Keeps only the nodes some output depends on. */
export function pruneTo(nodes: readonly NodeProto[], outputs: readonly string[]): NodeProto[] {
  const producer = new Map<string, NodeProto>();
  for (const n of nodes) for (const o of n.output) if (o) producer.set(o, n);
  const keep = new Set<NodeProto>();
  const stack = [...outputs];
  while (stack.length > 0) {
    const n = producer.get(stack.pop()!);
    if (!n || keep.has(n)) continue;
    keep.add(n);
    stack.push(...n.input.filter(Boolean));
  }
  return nodes.filter((n) => keep.has(n));
}

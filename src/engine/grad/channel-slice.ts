/**
 * Target specialisation for the IG model: F_j reads only channel j of the upper tensor, so the graph is
 * rewritten to compute `upper[:, j:j+1]` with `j` a run-time input. The slice is pushed up through operators
 * that act on channels independently (element-wise, pools, batch norm, broadcasting arithmetic) and into the
 * weights of the operator that makes the channel (Conv, depthwise Conv, Gemm, MatMul), so only one channel
 * of the top layers is computed forward and backward. Where the slice cannot go further, it is a Gather on
 * axis 1. The full-width nodes stay in the list; pruning drops the ones nothing needs any more.
 */
import { makeNode } from '../onnx/build';
import type { NodeProto } from '../onnx/proto';
import { attrInt } from './attrs';
import type { Prepared } from './prepared';
import { activeTensors } from './prepared';

/** Operators whose output channel c depends only on input channel c of input 0 (other inputs: parameters). */
const PER_CHANNEL = new Set([
  'Relu',
  'LeakyRelu',
  'Sigmoid',
  'Tanh',
  'HardSigmoid',
  'HardSwish',
  'Identity',
  'Neg',
  'Clip',
  'Dropout',
  'MaxPool',
  'AveragePool',
  'GlobalAveragePool',
  'Cast',
]);
const BROADCASTING = new Set(['Add', 'Sub', 'Mul', 'Div', 'Sum']);

export interface ChannelSlice {
  /** The forward nodes plus the sliced ones (topological order not guaranteed). */
  nodes: NodeProto[];
  /** The tensor holding upper[:, j:j+1] (shape [N, 1, ...]). */
  upper: string;
}

/** Rewrites the forward graph of `p` to produce upper[:, j:j+1]; `j` is an int64 [1] tensor. */
export function sliceUpperChannel(p: Prepared, nodes: readonly NodeProto[], j: string): ChannelSlice {
  const { em } = p;
  const producer = new Map<string, NodeProto>();
  for (const n of nodes) for (const o of n.output) if (o) producer.set(o, n);
  const active = activeTensors(nodes, [p.lower]);
  const added: NodeProto[] = [];
  const memo = new Map<string, string>();
  const shapeOf = (t: string): readonly number[] | undefined => p.shape(t);
  const withDim = (s: readonly number[], axis: number): number[] => s.map((d, i) => (i === axis ? 1 : d));

  const emit = (op: string, inputs: string[], attrs: NodeProto['attribute'], shape: number[], hint: string): string => {
    const out = em.fresh(hint);
    added.push({ opType: op, input: inputs, output: [out], attribute: attrs, name: out });
    p.shapes.set(out, shape);
    return out;
  };
  /** t[..., j, ...] along `axis`, keeping the axis (length 1). */
  const gather = (t: string, axis: number): string => {
    const key = `${t}#${axis}`;
    const known = memo.get(key);
    if (known) return known;
    const s = shapeOf(t)!;
    const out = em.fresh('channel');
    added.push(makeNode('Gather', [t, j], [out], { axis }, out));
    p.shapes.set(out, withDim(s, axis));
    memo.set(key, out);
    return out;
  };

  const rewrite = (n: NodeProto, t: string, shape: readonly number[]): string | undefined => {
    const C = shape[1];
    const outShape = withDim(shape, 1);
    const [x] = n.input;
    if (n.output[0] !== t) return undefined;
    if (PER_CHANNEL.has(n.opType)) {
      const xs = shapeOf(x);
      if (!xs || xs.length !== shape.length || xs[1] !== C || !active.has(x)) return undefined;
      return emit(n.opType, [sliced(x), ...n.input.slice(1)], n.attribute, outShape, `${n.opType}_ch`);
    }
    if (BROADCASTING.has(n.opType)) {
      const inputs: string[] = [];
      for (const inp of n.input) {
        const s = shapeOf(inp);
        if (!s) return undefined;
        const axis = 1 - (shape.length - s.length);
        if (axis < 0 || s[axis] === 1) {
          inputs.push(inp);
          continue;
        }
        if (s[axis] !== C) return undefined;
        if (active.has(inp)) {
          if (axis !== 1) return undefined;
          inputs.push(sliced(inp));
        } else {
          inputs.push(gather(inp, axis));
        }
      }
      return emit(n.opType, inputs, n.attribute, outShape, `${n.opType}_ch`);
    }
    if (n.opType === 'Conv') {
      const [, w, b] = n.input;
      if (active.has(w) || (b && active.has(b))) return undefined;
      const group = attrInt(n, 'group', 1);
      const xs = shapeOf(x);
      const ws = shapeOf(w);
      if (!xs || !ws || (b && !shapeOf(b))) return undefined;
      const bias = b ? [gather(b, 0)] : [];
      if (group === 1) return emit('Conv', [x, gather(w, 0), ...bias], n.attribute, outShape, 'Conv_ch');
      if (group === C && xs[1] === C && ws[1] === 1) {
        const attrs = n.attribute.filter((a) => a.name !== 'group');
        return emit('Conv', [sliced(x), gather(w, 0), ...bias], attrs, outShape, 'Conv_ch');
      }
      return undefined;
    }
    if (n.opType === 'BatchNormalization') {
      if (attrInt(n, 'training_mode', 0) !== 0 || n.input.slice(1).some((i) => active.has(i) || !shapeOf(i))) return undefined;
      return emit('BatchNormalization', [sliced(x), ...n.input.slice(1).map((i) => gather(i, 0))], n.attribute, outShape, 'BatchNormalization_ch');
    }
    if ((n.opType === 'Gemm' || n.opType === 'MatMul') && shape.length === 2) {
      const [, b, c] = n.input;
      const bs = shapeOf(b);
      if (active.has(b) || !bs || bs.length !== 2 || (c && active.has(c))) return undefined;
      const transB = n.opType === 'Gemm' ? attrInt(n, 'transB', 0) : 0;
      const inputs = [x, gather(b, transB ? 0 : 1)];
      if (c) {
        const cs = shapeOf(c);
        if (!cs) return undefined;
        if (cs.length === 0 || cs[cs.length - 1] === 1) inputs.push(c);
        else if (cs[cs.length - 1] === C && cs.slice(0, -1).every((d) => d === 1)) inputs.push(gather(c, cs.length - 1));
        else return undefined;
      }
      return emit(n.opType, inputs, n.attribute, outShape, `${n.opType}_ch`);
    }
    return undefined;
  };

  function sliced(t: string): string {
    const known = memo.get(t);
    if (known) return known;
    const shape = shapeOf(t);
    const n = producer.get(t);
    const out = (n && shape && shape.length >= 2 && rewrite(n, t, shape)) || gather(t, 1);
    memo.set(t, out);
    return out;
  }

  const upper = sliced(p.upper);
  return { nodes: [...nodes, ...added], upper };
}

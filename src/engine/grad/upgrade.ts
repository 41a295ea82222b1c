/**
 * Rewrites forward nodes written for an older opset into the form the backward model's opset (>= 17) expects:
 * attributes that became inputs (Clip, Slice, Pad, Split, Squeeze/Unsqueeze, ReduceSum), attributes that were
 * removed (Dropout ratio/is_test, BatchNormalization spatial), and Softmax/LogSoftmax's 2-D coercion (< 13).
 * Ops whose signature did not change are copied as they are.
 */
import type { NodeProto } from '../onnx/proto';
import { attrFloat, attrInt, attrInts, attrsExcept, hasAttr } from './attrs';
import type { GraphEmitter } from './emitter';

export interface UpgradeResult {
  nodes: NodeProto[];
  /** Static shapes of tensors the rewrite introduced. */
  shapes: Map<string, number[]>;
}

function withInputs(node: NodeProto, inputs: string[], drop: string[]): NodeProto {
  const input = [...inputs];
  while (input.length > 0 && input[input.length - 1] === '') input.pop();
  return { ...node, input, attribute: attrsExcept(node, drop) };
}

export function upgradeNodes(
  nodes: NodeProto[],
  fromOpset: number,
  toOpset: number,
  em: GraphEmitter,
  shapeOf: (tensor: string) => readonly number[] | undefined,
): UpgradeResult {
  const shapes = new Map<string, number[]>();
  if (fromOpset >= toOpset) return { nodes, shapes };
  const out: NodeProto[] = [];
  for (const node of nodes) {
    if (node.domain && node.domain !== 'ai.onnx') {
      out.push(node);
      continue;
    }
    const [x] = node.input;
    switch (node.opType) {
      case 'Clip':
        if (fromOpset < 11) {
          const lo = hasAttr(node, 'min') ? em.scalar(attrFloat(node, 'min', 0)) : '';
          const hi = hasAttr(node, 'max') ? em.scalar(attrFloat(node, 'max', 0)) : '';
          out.push(withInputs(node, [x, lo, hi], ['min', 'max']));
          continue;
        }
        break;
      case 'Slice':
        if (fromOpset < 10) {
          const starts = attrInts(node, 'starts') ?? [];
          const axes = attrInts(node, 'axes');
          out.push(withInputs(node, [x, em.ints(starts), em.ints(attrInts(node, 'ends') ?? []), axes ? em.ints(axes) : ''], ['starts', 'ends', 'axes']));
          continue;
        }
        break;
      case 'Pad':
        if (fromOpset < 11) {
          const value = attrFloat(node, 'value', 0);
          out.push(withInputs(node, [x, em.ints(attrInts(node, 'pads') ?? []), value !== 0 ? em.scalar(value) : ''], ['pads', 'value']));
          continue;
        }
        break;
      case 'Split':
        if (fromOpset < 13 && hasAttr(node, 'split')) {
          out.push(withInputs(node, [x, em.ints(attrInts(node, 'split') ?? [])], ['split']));
          continue;
        }
        break;
      case 'Squeeze':
      case 'Unsqueeze':
      case 'ReduceSum':
        if (fromOpset < 13 && hasAttr(node, 'axes')) {
          out.push(withInputs(node, [x, em.ints(attrInts(node, 'axes') ?? [])], ['axes']));
          continue;
        }
        break;
      case 'Dropout':
        if (fromOpset < 12) {
          out.push({ ...node, attribute: attrsExcept(node, ['ratio', 'is_test']) });
          continue;
        }
        break;
      case 'BatchNormalization':
        out.push({ ...node, output: node.output.slice(0, 1), attribute: attrsExcept(node, ['spatial', 'is_test', 'consumed_inputs', 'momentum']) });
        continue;
      case 'Softmax':
      case 'LogSoftmax':
        if (fromOpset < 13) {
          const shape = shapeOf(x);
          const axis = attrInt(node, 'axis', 1);
          if (shape && (axis + shape.length) % shape.length !== shape.length - 1) {
            const a = (axis + shape.length) % shape.length;
            const flat = em.fresh('flat');
            const soft = em.fresh(node.opType);
            const prod = (d: readonly number[]) => d.reduce((p, v) => p * v, 1);
            shapes.set(flat, [prod(shape.slice(0, a)), prod(shape.slice(a))]);
            shapes.set(soft, shapes.get(flat)!);
            out.push({ opType: 'Flatten', input: [x], output: [flat], attribute: [{ name: 'axis', type: 2, i: a }], name: flat });
            out.push({ ...node, input: [flat], output: [soft], attribute: [{ name: 'axis', type: 2, i: 1 }] });
            out.push({ opType: 'Reshape', input: [soft, em.op('Shape', [x])], output: node.output, attribute: [], name: node.output[0] });
            continue;
          }
          out.push({ ...node, attribute: [{ name: 'axis', type: 2, i: shape ? shape.length - 1 : axis }] });
          continue;
        }
        break;
      case 'Gemm':
        out.push({ ...node, attribute: attrsExcept(node, ['broadcast']) });
        continue;
      default:
        break;
    }
    out.push(node);
  }
  return { nodes: out, shapes };
}

import { makeTensor } from '../../onnx/build';
import { DataType } from '../../onnx/proto';
import { attrsExcept } from '../attrs';
import type { GradRule } from '../types';

/**
 * dx: each output's cotangent added at the input element it took its max from. A twin MaxPool with
 * storage_order 0 gives flat indices over the whole N*C*H*W input; ScatterElements(reduction=add, opset >= 16)
 * sums overlapping windows (docs/onnx-backward.md section 2). Ties pick the first max, as torch.
 */
export const MaxPool: GradRule = {
  opType: 'MaxPool',
  grad(ctx) {
    const { node, em } = ctx;
    const x = node.input[0];
    const attrs = attrsExcept(node, ['storage_order']);
    const values = em.fresh('maxpool_values');
    const indices = em.fresh('maxpool_indices');
    em.nodes.push({ opType: 'MaxPool', input: [x], output: [values, indices], attribute: attrs, name: indices });
    const shape = em.op('Shape', [x]);
    const total = em.reduce('ReduceProd', shape, undefined, true);
    const zeroValue = makeTensor('value', [1], em.elemType === DataType.DOUBLE ? new Float64Array(1) : new Float32Array(1));
    const zeros = em.op('ConstantOfShape', [total], { value: zeroValue });
    const flat = em.ints([-1]);
    const scattered = em.op('ScatterElements', [zeros, em.op('Reshape', [indices, flat]), em.op('Reshape', [ctx.gradOrZeros(0), flat])], {
      axis: 0,
      reduction: 'add',
    });
    return [em.op('Reshape', [scattered, shape])];
  },
};

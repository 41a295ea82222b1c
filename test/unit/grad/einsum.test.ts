/** Finite-difference checks of Einsum (float64: ORT's CPU has the kernel) and its clear failures. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildVjpModel } from '../../../src/engine/grad/builder';
import { makeNode, makeTensor } from '../../../src/engine/onnx/build';
import type { TensorProto } from '../../../src/engine/onnx/proto';
import { fdTests, type FdCase } from './cases';
import { forwardModel, probeShapes, randomValues } from './helpers';

const w = (name: string, dims: number[], seed: number): TensorProto =>
  makeTensor(
    name,
    dims,
    randomValues(
      dims.reduce((a, b) => a * b, 1),
      seed,
      'float64',
    ) as Float64Array,
  );
const einsum = (
  name: string,
  equation: string,
  inputShape: number[],
  inputs: string[],
  initializers: TensorProto[] = [],
  pre: FdCase['nodes'] = [],
): FdCase => ({
  name: `Einsum '${equation}': ${name} (f64)`,
  dtype: 'float64',
  inputShape,
  initializers,
  nodes: [...pre, makeNode('Einsum', inputs, ['y'], { equation })],
});

fdTests([
  einsum('batched token projection with a constant', 'bij,jk->bik', [2, 3, 4], ['x', 'w'], [w('w', [4, 5], 1)]),
  einsum('implicit output (bik)', 'bij,jk', [2, 3, 4], ['x', 'w'], [w('w', [4, 5], 2)]),
  einsum('constant first', 'kj,bij->bki', [2, 3, 4], ['w', 'x'], [w('w', [5, 4], 3)]),
  einsum('attention scores, both operands from x', 'bhqd,bhkd->bhqk', [2, 2, 3, 4], ['x', 's'], [], [makeNode('Sigmoid', ['x'], ['s'])]),
  einsum('x with itself (the cotangents add up)', 'bij,bkj->bik', [2, 3, 4], ['x', 'x']),
  einsum('a letter only x has (summed away, broadcast back)', 'bij,jk->bk', [2, 3, 4], ['x', 'w'], [w('w', [4, 5], 4)]),
  einsum('a plain sum', 'bij->bi', [2, 3, 4], ['x']),
  einsum('a transpose', 'bij->bji', [2, 3, 4], ['x']),
  einsum('three operands', 'bi,ij,jk->bk', [2, 3], ['x', 'u', 'v'], [w('u', [3, 4], 5), w('v', [4, 2], 6)]),
  einsum('ellipsis', '...ij,jk->...ik', [2, 3, 4, 5], ['x', 'w'], [w('w', [5, 2], 7)]),
  einsum('ellipsis, implicit output', '...ij,jk', [2, 3, 4, 5], ['x', 'w'], [w('w', [5, 2], 8)]),
  einsum('ellipsis on both operands, both from x', 'b...i,b...i->b...', [2, 3, 4], ['x', 't'], [], [makeNode('Tanh', ['x'], ['t'])]),
]);

async function vjpError(equation: string, inputShape: number[]): Promise<unknown> {
  const model = forwardModel({ dtype: 'float64', inputShape, nodes: [makeNode('Einsum', ['x'], ['y'], { equation }, 'the_einsum')] });
  const shapes = await probeShapes(model, inputShape, 'float64');
  try {
    buildVjpModel(model, shapes);
  } catch (e) {
    return e;
  }
  return undefined;
}

test('Einsum with a repeated letter (a diagonal) fails naming the node', async () => {
  const e = await vjpError('bii->bi', [2, 3, 3]);
  assert.ok(e instanceof Error);
  assert.match(e.message, /Einsum node 'the_einsum'/);
  assert.match(e.message, /repeated within operand 0/);
});

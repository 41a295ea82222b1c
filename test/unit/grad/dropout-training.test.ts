/**
 * Dropout exported in training mode with ratio 0 (torchvision Swin's `F.dropout(attn, p=0.0)`) is the identity
 * and has a gradient; a non-zero ratio in training mode is still refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildVjpModel } from '../../../src/engine/grad/builder';
import { makeNode, makeTensor } from '../../../src/engine/onnx/build';
import { GradientError } from '../../../src/engine/errors';
import { fdTests } from './cases';
import { forwardModel } from './helpers';

const bool = (name: string, v: boolean) => makeTensor(name, [], Uint8Array.from([v ? 1 : 0]), 9);
const f64 = (name: string, v: number) => makeTensor(name, [], Float64Array.from([v]));

fdTests([
  {
    name: 'Dropout training_mode=true with ratio 0 (Swin attention dropout) then Sigmoid',
    dtype: 'float64',
    inputShape: [2, 3, 4],
    initializers: [f64('ratio', 0), bool('train', true)],
    nodes: [makeNode('Dropout', ['x', 'ratio', 'train'], ['d', 'mask']), makeNode('Sigmoid', ['d'], ['y'])],
  },
]);

test('Dropout in training mode with a non-zero ratio has no gradient (error names the node)', () => {
  const model = forwardModel({
    dtype: 'float64',
    inputShape: [2, 3],
    initializers: [f64('ratio', 0.1), bool('train', true)],
    nodes: [makeNode('Dropout', ['x', 'ratio', 'train'], ['y'], {}, '/attn/Dropout')],
  });
  assert.throws(
    () =>
      buildVjpModel(
        model,
        new Map([
          ['x', [1, 3]],
          ['y', [1, 3]],
        ]),
      ),
    (e: unknown) => e instanceof GradientError && /\/attn\/Dropout/.test(e.message),
  );
});

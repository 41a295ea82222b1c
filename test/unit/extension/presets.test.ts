/** The preprocessing picker pre-selects a preset that fits the model's input (a 64-px model is not offered ImageNet's 224 crop). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { presetFor } from '../../../src/extension/flow/presets';

test('imagenet only for 224-px or size-free inputs', () => {
  assert.equal(presetFor(['batch', 3, 224, 224]), 'imagenet');
  assert.equal(presetFor(['batch', 3, 'height', 'width']), 'imagenet');
  assert.equal(presetFor([]), 'imagenet');
  assert.equal(presetFor(['batch', 3, 64, 64]), 'none');
  assert.equal(presetFor([1, 1, 28, 28]), 'none');
  assert.equal(presetFor(['batch', 3, 224, 'width']), 'imagenet');
  assert.equal(presetFor(['batch', 3, 299, 299]), 'none');
});

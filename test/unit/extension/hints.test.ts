/** Issue 18, item 8: the class pick says which class is worth explaining, the layer pick what a layer costs. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classHint, layerCost } from '../../../src/extension/flow/hints';

const scan = {
  classes: ['circle', 'square', 'triangle'],
  predicted: [40, 30, 30],
  labelled: [33, 33, 34],
  // rows: label, columns: prediction
  confusion: [
    [33, 0, 0],
    [5, 25, 3],
    [2, 5, 27],
  ],
};

test('a class with errors names them and its worst confusion', () => {
  assert.equal(classHint(scan, 2), '$(warning) 10 errors, most with square (8): 7 missed, 3 others called it');
  assert.equal(classHint(scan, 1), '$(warning) 13 errors, most with triangle (8): 8 missed, 5 others called it');
  for (const i of [0, 1, 2]) assert.ok((classHint(scan, i) ?? '').length <= 80, 'fits the quick pick detail line');
});

test('a class without errors says so; no confusion matrix, no hint', () => {
  const clean = {
    ...scan,
    confusion: [
      [10, 0],
      [0, 10],
    ],
    classes: ['a', 'b'],
  };
  assert.match(classHint(clean, 0)!, /no errors/);
  assert.equal(classHint({ ...scan, confusion: undefined }, 0), undefined);
});

test('the layer pick gives a cost hint from channels and map size', () => {
  assert.match(layerCost({ name: 'layer1.1', shape: [1, 16, 32, 32], op: 'Relu' } as never), /^16 channels of 32x32: quick/);
  assert.match(layerCost({ name: 'layer4', shape: [1, 2048, 7, 7] } as never), /2048 channels of 7x7: moderate/);
  assert.match(layerCost({ name: 'big', shape: [1, 256, 56, 56] } as never), /slow/);
});

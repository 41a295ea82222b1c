/** `--class` takes a class index of the model's outputs or a name, also when the dataset holds only some classes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classIndexOf } from '../../../src/engine/analysis/job';
import type { Dataset } from '../../../src/engine/data/dataset';
import { UsageError } from '../../../src/engine/errors';

const twoFolders = { classes: ['n01440764', 'n02102040'], names: ['tench', 'springer'] } as unknown as Dataset;

test('a class index of a 1000-class model on a 2-folder dataset', () => {
  assert.equal(classIndexOf(twoFolders, 1000, undefined, 633), 633);
  assert.equal(classIndexOf(twoFolders, 1000, undefined, 0), 0);
  assert.throws(
    () => classIndexOf(twoFolders, 1000, undefined, 1000),
    (e: Error) => e instanceof UsageError && /not a class index of the model \(0\.\.999\)/.test(e.message),
  );
  assert.throws(() => classIndexOf(twoFolders, 1000, undefined, -1), UsageError);
});

test('names from the dataset, its folders, or the model labels', () => {
  const labels = Array.from({ length: 1000 }, (_, i) => `label${i}`);
  assert.equal(classIndexOf(twoFolders, 1000, labels, 'springer'), 1);
  assert.equal(classIndexOf(twoFolders, 1000, labels, 'n02102040'), 1);
  assert.equal(classIndexOf(twoFolders, 1000, labels, 'label633'), 633);
  assert.throws(
    () => classIndexOf(twoFolders, 1000, labels, 'zebra'),
    (e: Error) => e instanceof UsageError && /class 'zebra': not a class of the dataset \(tench, springer\) nor of the model's labels/.test(e.message),
  );
});

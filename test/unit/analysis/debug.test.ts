import { test } from 'node:test';
import assert from 'node:assert/strict';
import { debugGroups, rankGroups } from '../../../src/engine/analysis/debug';

test('log-barrier scores worked by hand; duplicate neurons count per pair; evidence by threshold', () => {
  // Group 0: neuron 0 (activations 2 and 4 -> mean 3) twice, neuron 1 (activation 1) once. Group 1: neuron 2.
  const pairs = [
    { neuron: 0, activation: 2, group: 0 },
    { neuron: 0, activation: 4, group: 0 },
    { neuron: 1, activation: 1, group: 0 },
    { neuron: 2, activation: 5, group: 1 },
    { neuron: 1, activation: 9, group: -1 },
  ];
  const crops = [
    [3, 1, 0],
    [6, -1, 5],
    [1.5, 0.5, 2.5],
  ];
  const res = debugGroups(crops, pairs, 0.6);
  const lb = (x: number, m: number) => Math.log(Math.max(x, 0) / (Math.abs(m) + 1e-6) + 1e-6);
  const g0 = [0, 1, 2].map((i) => (2 * lb(crops[i][0], 3) + lb(crops[i][1], 1)) / 3);
  res[0].logBarrier.forEach((v, i) => assert.ok(Math.abs(v - g0[i]) < 1e-12));
  assert.equal(res[0].bestCrop, 0);
  assert.ok(Math.abs(res[0].score - Math.exp(g0[0])) < 1e-12);
  assert.deepEqual(res[0].evidence, [0]); // crop 2: log(0.5) < log(0.6); crop 1: neuron 1 negative
  assert.deepEqual(res[1].evidence, [1]);
  assert.equal(res[1].bestCrop, 1);
  assert.deepEqual(
    rankGroups(res).map((g) => g.group),
    [1, 0],
  );
  assert.throws(() => debugGroups(crops, pairs, 0), /threshold 0/);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crossLabelSimilarity, judgeGroup, MAX_COVERAGE, type GroupImage } from '../../../src/engine/audit/shortcuts';

const TRI = 3;
/** A group present on `labels` (one image each); every image of another label goes to `after(label)` when occluded. */
function images(
  labels: number[],
  options: { coverage?: number; granularity?: number; vector?: (i: number) => number[]; after?: (label: number, i: number) => number } = {},
): GroupImage[] {
  return labels.map((label, i) => ({
    label,
    granularity: options.granularity ?? 0.25,
    coverage: options.coverage ?? 0.06,
    centred: Float32Array.from(options.vector?.(i) ?? [1, 0.9, 0.1]),
    occludedPred: label === TRI ? undefined : (options.after?.(label, i) ?? label),
  }));
}

const mixed = [0, 0, 0, 1, 1, 1, 2, 2, 3, 3, 3, 3, 3];

test('a small, alike group on several labels whose occlusion gives labels back is a shortcut', () => {
  const v = judgeGroup(TRI, 4, images(mixed));
  assert.equal(v.shortcut, true, v.reasons.join('; '));
  assert.deepEqual(v.classesSpanned, [0, 1, 2, 3]);
  assert.equal(v.measured, 8);
  assert.equal(v.flipRate, 1);
});

test('occlusion that does not give the labels back (measured) rules it out', () => {
  const v = judgeGroup(TRI, 4, images(mixed, { after: (label, i) => (i % 3 === 0 ? label : TRI) }));
  assert.ok(v.flipRate < 0.5);
  assert.equal(v.shortcut, false);
  assert.match(v.reasons.join(), /does not move/);
});

test('a group present on one label only, or with large evidence, or unlike evidence is no shortcut', () => {
  assert.equal(judgeGroup(TRI, 4, images([3, 3, 3, 3, 3, 3, 0])).shortcut, false, 'one label (+1 stray image)');
  const big = judgeGroup(TRI, 4, images(mixed, { coverage: MAX_COVERAGE + 0.2 }));
  assert.equal(big.shortcut, false);
  assert.match(big.reasons.join(), /not small/);
  const whole = judgeGroup(TRI, 4, images(mixed, { granularity: 1, coverage: 0.2 }));
  assert.equal(whole.shortcut, false);
  const unlike = judgeGroup(TRI, 4, images(mixed, { vector: (i) => (i % 2 ? [1, 0, 0] : [-1, 0.2, 0]) }));
  assert.ok(unlike.alike < 0);
  assert.equal(unlike.shortcut, false);
});

test('similarity is measured between images of different labels only', () => {
  const ims = images([0, 0, 1], { vector: (i) => (i === 1 ? [-1, 0, 0] : [1, 0, 0]) });
  // Pairs with different labels: (0,2) cos 1, (1,2) cos -1; the same-label pair (0,1) is not counted.
  assert.equal(crossLabelSimilarity(ims), 0);
  assert.ok(Number.isNaN(crossLabelSimilarity(images([2, 2]))));
});

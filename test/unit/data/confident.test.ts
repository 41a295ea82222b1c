import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classThresholds, findLabelIssues } from '../../../src/engine/data/confident';

/** Rows of probabilities for 3 classes. */
function probs(rows: number[][]): Float64Array {
  return Float64Array.from(rows.flat());
}

test('thresholds are the mean self-confidence per given class', () => {
  const p = probs([
    [0.9, 0.1, 0],
    [0.7, 0.2, 0.1],
    [0.2, 0.8, 0],
    [0.1, 0.1, 0.8],
  ]);
  const t = classThresholds(p, [0, 0, 1, 2], 3);
  assert.ok(Math.abs(t[0]! - 0.8) < 1e-12 && Math.abs(t[1]! - 0.8) < 1e-12 && Math.abs(t[2]! - 0.8) < 1e-12);
  assert.deepEqual(classThresholds(p, [0, 0, 0, 0], 3).slice(1), [null, null]);
});

test('confident joint, suspects, proposed class and ranking', () => {
  const rows = [
    [0.95, 0.03, 0.02], // 0: label 0, fine
    [0.85, 0.1, 0.05], //  1: label 0, fine
    [0.05, 0.9, 0.05], //  2: label 1, fine
    [0.1, 0.85, 0.05], //  3: label 1, fine
    [0.02, 0.03, 0.95], // 4: label 2, fine
    [0.9, 0.05, 0.05], //  5: label 1 but confidently class 0  -> suspect, proposed 0
    [0.3, 0.25, 0.45], //  6: label 0, top class 2 but below t_2 -> suspect (top class), proposed 2, not confident
    [0.6, 0.35, 0.05], //  7: label 0, top is the label -> not a suspect
  ];
  const labels = [0, 0, 1, 1, 2, 1, 0, 0];
  const r = findLabelIssues(probs(rows), labels, 3);
  const t = r.thresholds as number[];
  assert.ok(Math.abs(t[1] - (0.9 + 0.85 + 0.05) / 3) < 1e-12);
  assert.deepEqual(
    r.suspects.map((s) => [s.image, s.proposed, s.confident]),
    [
      [5, 0, true],
      [6, 2, false],
    ],
  );
  assert.equal(r.confidentJoint[1][0], 1);
  assert.ok(Math.abs(t[0] - 0.675) < 1e-12);
  assert.equal(r.confidentJoint[0][0], 2); // images 0 and 1; image 7's p_0 = 0.6 is below t_0
  const s5 = r.suspects[0];
  assert.ok(Math.abs(s5.adjusted - 0.05 / t[1]) < 1e-12);
  assert.ok(Math.abs(s5.margin - (0.05 - 0.9)) < 1e-12);
  // Ranked by p(label)/t(label) ascending: image 5 (0.05/0.6) before image 6 (0.3/t_0).
  assert.ok(r.suspects[0].adjusted <= r.suspects[1].adjusted);
  const byMargin = findLabelIssues(probs(rows), labels, 3, 'normalized-margin');
  assert.deepEqual(
    byMargin.suspects.map((s) => s.image),
    [5, 6],
  );
});

test('labels outside the model classes are ignored; a class the model never gives is never proposed', () => {
  const p = probs([
    [1, 0, 0],
    [0.9, 0.1, 0],
    [0.2, 0.8, 0],
  ]);
  const r = findLabelIssues(p, [0, 1, 5], 3);
  assert.deepEqual(
    r.suspects.map((s) => [s.image, s.proposed]),
    [[1, 0]],
  );
  assert.ok(r.suspects.every((s) => s.proposed !== 2));
});

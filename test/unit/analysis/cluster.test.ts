import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  WardTree,
  adjustedRandIndex,
  chooseClusterCount,
  distanceMatrix,
  nearestToCentre,
  silhouetteScore,
  wardLabels,
} from '../../../src/engine/analysis/cluster';

test('silhouette score worked by hand on 1-D points', () => {
  // Points 0, 1, 4, 6 split {0,1} {4,6}: s = [(5-1)/5, (4-1)/4, (3.5-2)/3.5, (5.5-2)/5.5].
  const pts = [[0], [1], [4], [6]];
  const expected = ((5 - 1) / 5 + (4 - 1) / 4 + (3.5 - 2) / 3.5 + (5.5 - 2) / 5.5) / 4;
  assert.ok(Math.abs(silhouetteScore(distanceMatrix(pts), [0, 0, 1, 1]) - expected) < 1e-12);
  // A singleton cluster contributes 0: {0} {1,4,6} -> s0 = 0.
  const d = distanceMatrix(pts);
  const s1 = (1 - (3 + 5) / 2) / Math.max(1, 4); // point 1: a = (3+5)/2 = 4, b = 1
  const s2 = (4 - (3 + 2) / 2) / 4;
  const s3 = (6 - (5 + 2) / 2) / 6;
  assert.ok(Math.abs(silhouetteScore(d, [0, 1, 1, 1]) - (0 + s1 + s2 + s3) / 4) < 1e-12);
  assert.throws(() => silhouetteScore(d, [0, 0, 0, 0]), /silhouette needs/);
});

test('Ward finds well-separated blobs; silhouette picks their number; labels by first appearance', () => {
  let seed = 3;
  const rnd = () => {
    seed = (seed * 16807) % 2147483647;
    return seed / 2147483647 - 0.5;
  };
  const centres = [
    [0, 0, 0],
    [10, 0, 0],
    [0, 10, 0],
  ];
  const pts = Array.from({ length: 30 }, (_, i) => centres[i % 3].map((v) => v + rnd()));
  const labels = wardLabels(pts, 3);
  assert.deepEqual(Array.from(labels.slice(0, 6)), [0, 1, 2, 0, 1, 2]);
  const choice = chooseClusterCount(WardTree.fromPoints(pts), 5);
  assert.equal(choice.k, 3);
  assert.equal(choice.scores.length, 4);
  assert.ok(choice.scores[1] > choice.scores[0] && choice.scores[1] > choice.scores[2]);
  // With 3 points only k = 2 is possible and it is returned without scoring, as the authors do.
  const small = chooseClusterCount(WardTree.fromPoints(pts.slice(0, 3)), 5);
  assert.equal(small.k, 2);
  assert.deepEqual(small.scores, []);
  assert.throws(() => WardTree.fromPoints(pts.slice(0, 3)).labels(4), /cannot cut 3 points into 4/);
});

test('Ward merges by the increase of within-cluster variance (not single linkage)', () => {
  // 1-D: 0, 2, 4.5, 10. Single linkage would chain; Ward's 2-cluster cut is {0,2,4.5} {10}; the 3-cut {0,2} {4.5} {10}.
  const pts = [[0], [2], [4.5], [10]];
  assert.deepEqual(Array.from(wardLabels(pts, 2)), [0, 0, 0, 1]);
  assert.deepEqual(Array.from(wardLabels(pts, 3)), [0, 0, 1, 2]);
});

test('adjusted Rand index', () => {
  assert.equal(adjustedRandIndex([0, 0, 1, 1], [1, 1, 0, 0]), 1);
  // scikit-learn: adjusted_rand_score([0, 0, 1, 2], [0, 0, 1, 1]) = 0.5714285714285715
  assert.ok(Math.abs(adjustedRandIndex([0, 0, 1, 2], [0, 0, 1, 1]) - 0.5714285714285715) < 1e-12);
  // and adjusted_rand_score([0, 0, 1, 1], [0, 1, 0, 1]) = -0.5
  assert.ok(Math.abs(adjustedRandIndex([0, 0, 1, 1], [0, 1, 0, 1]) + 0.5) < 1e-12);
  assert.throws(() => adjustedRandIndex([0], [0, 1]), /partitions of 1 and 2/);
});

test('nearest to centre: distance on chosen channels, nearest first', () => {
  const pts = [
    [0, 100],
    [1, -50],
    [2, 0],
    [10, 0],
  ];
  // centre of x over members 0..2 is 1: point 1 first, then 0 and 2 tie (by member order).
  assert.deepEqual(nearestToCentre(pts, [0, 1, 2], 2, [0]), [1, 0]);
  assert.deepEqual(nearestToCentre(pts, [0, 1, 2, 3]), [2, 3, 1, 0]); // centre (3.25, 12.5)
});

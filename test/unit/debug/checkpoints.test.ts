/**
 * The pure parts of Explain Batch on a live model: the checkpoints met per session (Compare with Previous
 * Checkpoint), the classes the batch gets wrong (what is analysed), the export check against the live logits, and
 * the per-channel change between two checkpoints.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CheckpointHistory, type Checkpoint } from '../../../src/extension/debug/checkpoints';
import { wrongClasses } from '../../../src/worker/jobs/analyseBatch';
import { exportCheck } from '../../../src/worker/jobs/explainBatch';
import { channelChanges } from '../../../src/worker/jobs/compareCheckpoints';
import { ModelError } from '../../../src/engine/errors';
import type { NpyArray } from '../../../src/engine/io/npy';

const cp = (key: string): Checkpoint => ({ key, onnx: `/m/${key}.onnx`, where: 'main at t.py:1', expression: 'model', time: 0 });

test('checkpoints: the previous one is the last with other weights, per session', () => {
  const h = new CheckpointHistory(3);
  assert.equal(h.previous('s', 'a'), undefined);
  h.add('s', cp('a'));
  h.add('s', cp('a'));
  assert.equal(h.list('s').length, 1, 'the same weights twice in a row are one checkpoint');
  assert.equal(h.previous('s', 'a'), undefined, 'unchanged weights have no previous checkpoint');
  h.add('s', cp('b'));
  assert.equal(h.previous('s', 'b')?.key, 'a');
  h.add('s', cp('c'));
  assert.equal(h.previous('s', 'c')?.key, 'b');
  assert.equal(h.previous('s', 'b')?.key, 'a', 'an earlier checkpoint compares with the one before it');
  assert.equal(h.previous('other', 'c'), undefined, 'sessions are separate');
  h.add('s', cp('d'));
  assert.deepEqual(
    h.list('s').map((c) => c.key),
    ['b', 'c', 'd'],
    'at most `keep` per session',
  );
});

test('the wrong classes: most frequent wrong prediction first, already analysed ones skipped', () => {
  const predicted = [0, 1, 1, 2, 2, 2, 0, 1];
  const labels = [0, 0, 2, 0, 1, 1, 1, 1];
  // wrong: 1 (x2: i=1,2), 2 (x3: i=3,4,5), 0 (x1: i=6)
  assert.deepEqual(wrongClasses(predicted, labels, []), [2, 1, 0]);
  assert.deepEqual(wrongClasses(predicted, labels, [2]), [1, 0]);
  assert.deepEqual(wrongClasses([0, 1], [0, 1], []), [], 'all right: nothing to analyse');
});

test('the export check: largest logit difference, the tolerance, samples whose top class moved', () => {
  const live: NpyArray = { dtype: 'float32', shape: [2, 3], data: Float32Array.from([1, 2, 3, 3, 2, 1]) };
  const same = exportCheck(live, Float32Array.from([1, 2, 3, 3, 2, 1.0000001]), 2, 3);
  assert.ok(same.maxLogitDiff < 1e-6 && same.argmaxDisagreements.length === 0);
  assert.equal(same.maxLogit, 3);
  assert.equal(same.tolerance, 3e-3);
  const moved = exportCheck(live, Float32Array.from([1, 2, 3, 3, 4, 1]), 2, 3);
  assert.equal(moved.maxLogitDiff, 2);
  assert.deepEqual(moved.argmaxDisagreements, [1]);
  const nan = exportCheck(live, Float32Array.from([Number.NaN, 2, 3, 3, 2, 1]), 2, 3);
  assert.equal(nan.maxLogitDiff, Number.POSITIVE_INFINITY, 'a NaN is never a match');
  assert.throws(
    () => exportCheck({ ...live, shape: [2, 4] }, new Float32Array(6), 2, 3),
    (e: Error) => e instanceof ModelError && /live model's output has shape \[2, 4\]/.test(e.message),
  );
});

test("channel changes: relative to the channel's own magnitude, a silent channel does not divide by zero", () => {
  const before = { dims: [2, 3], data: Float32Array.from([1, 0, 2, 1, 0, 2]) };
  const now = { dims: [2, 3], data: Float32Array.from([1.5, 0.001, 2, 0.5, 0.001, 2]) };
  const ch = channelChanges(before, now);
  assert.ok(Math.abs(ch[0] - 0.5 / (1 + 1e-3)) < 1e-9, String(ch[0]));
  assert.ok(Number.isFinite(ch[1]) && ch[1] > 0);
  assert.equal(ch[2], 0);
});

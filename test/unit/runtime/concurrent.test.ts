/** forEachConcurrent (src/engine/util/concurrent.ts): the limit, start order, and what happens on a failure. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forEachConcurrent } from '../../../src/engine/util/concurrent';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('runs every item, at most `limit` at once, starting them in order', async () => {
  let running = 0;
  let most = 0;
  const started: number[] = [];
  const seen: number[] = [];
  await forEachConcurrent([5, 1, 4, 2, 3, 1, 2], 3, async (ms, i) => {
    started.push(i);
    running++;
    most = Math.max(most, running);
    await tick(ms);
    seen.push(i);
    running--;
  });
  assert.equal(most, 3);
  assert.deepEqual(started, [0, 1, 2, 3, 4, 5, 6]);
  assert.deepEqual([...seen].sort(), [0, 1, 2, 3, 4, 5, 6]);
});

test('no item is left out with a limit above the count, and an empty list resolves', async () => {
  const seen: string[] = [];
  await forEachConcurrent(['a', 'b'], 8, async (x) => {
    seen.push(x);
  });
  assert.deepEqual(seen, ['a', 'b']);
  await forEachConcurrent([], 4, async () => assert.fail('no item'));
});

test('on the first failure no further item starts, the running ones finish, and the first error is thrown', async () => {
  const started: number[] = [];
  const finished: number[] = [];
  await assert.rejects(
    forEachConcurrent([0, 1, 2, 3, 4, 5], 2, async (i) => {
      started.push(i);
      if (i === 1) throw new Error('item 1 failed');
      await tick(20);
      finished.push(i);
    }),
    /item 1 failed/,
  );
  // Item 1 failed while item 0 ran: nothing after it started, and item 0 finished before the error came out.
  assert.deepEqual(started, [0, 1]);
  assert.deepEqual(finished, [0]);
});

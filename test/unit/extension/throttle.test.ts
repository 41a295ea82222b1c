/** throttled (src/extension/flow/throttle.ts): at most one value per interval, the latest, none after cancel. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { throttled } from '../../../src/extension/flow/throttle';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('the first value shows at once, a burst shows only its latest value at the end of the interval', async () => {
  const shown: number[] = [];
  const t = throttled<number>(40, (v) => shown.push(v));
  t.push(1);
  assert.deepEqual(shown, [1]);
  for (let v = 2; v <= 20; v++) t.push(v);
  assert.deepEqual(shown, [1], 'nothing more inside the interval');
  await tick(70);
  assert.deepEqual(shown, [1, 20]);
  await tick(60);
  t.push(21);
  assert.deepEqual(shown, [1, 20, 21], 'after a pause a value shows at once again');
});

test('cancel drops the pending value', async () => {
  const shown: string[] = [];
  const t = throttled<string>(30, (v) => shown.push(v));
  t.push('a');
  t.push('b');
  t.cancel();
  await tick(60);
  assert.deepEqual(shown, ['a']);
});

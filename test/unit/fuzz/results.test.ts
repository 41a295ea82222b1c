/**
 * Fuzz (issue #17): >= 300 mutated result documents through the result loader and what the panel does with a
 * loaded one, and mutated webview messages through the panel's check: a result or a named error, never a
 * crash or a hang.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng, Tally } from './harness';
import { exerciseMessage, exerciseResult, mutateMessage, mutateResult, resultBase } from './results';

test('400 mutated result documents: the loader and the panel never crash or hang', { timeout: 120_000 }, () => {
  const base = resultBase();
  exerciseResult(base.text); // the unmutated document loads
  const tally = new Tally('results', 5000);
  const rng = new Rng(2025);
  for (let i = 0; i < 400; i++) {
    const { text, what } = mutateResult(rng, base);
    tally.run(`result #${i} (${what})`, () => exerciseResult(text));
  }

  assert.equal(tally.crashes.length, 0, tally.crashReport());
  assert.ok(tally.cases >= 300 && tally.ok > 0 && tally.named.size > 0, tally.summary());
  console.log(`# ${tally.summary()}`);
});

test('2,000 mutated webview messages: the panel check never crashes', { timeout: 60_000 }, () => {
  const tally = new Tally('messages', 1000);
  const rng = new Rng(77);
  for (let i = 0; i < 2000; i++) {
    const { value, what } = mutateMessage(rng);
    tally.run(`message #${i} (${what})`, () => exerciseMessage(value));
  }
  assert.equal(tally.crashes.length, 0, tally.crashReport());
  console.log(`# ${tally.summary()}`);
});

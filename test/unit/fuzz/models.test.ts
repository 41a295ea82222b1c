/**
 * Fuzz (issue #17): >= 1,000 seeded mutations of the test model and the reference models through the reader
 * and the layer detection: every outcome is a result or a named error (src/engine/errors.ts), none takes
 * longer than the hang limit. bench/fuzz.ts runs the same with more seeds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { sharedPath } from '../../helpers/shared';
import { Rng, Tally } from './harness';
import { exerciseModel, modelBases, mutateModel } from './models';

test('1,200 mutated models: the reader and the layer detection never crash or hang', { timeout: 120_000 }, async (t) => {
  const shared = sharedPath(t, 'reference/models');
  const bases = await modelBases(shared);
  const tally = new Tally('models', 5000);
  const perBase = Math.ceil(1200 / bases.length);
  try {
    bases.forEach((base, b) => {
      const rng = new Rng(1000 + b);
      for (let i = 0; i < perBase; i++) {
        let mutant: { bytes: Uint8Array; what: string };
        try {
          mutant = mutateModel(rng, base);
        } catch {
          continue; // a mutation protobuf cannot encode: not a case
        }
        tally.run(`${base.name} #${i} (${mutant.what})`, () => exerciseModel(base, mutant.bytes));
      }
    });
  } finally {
    for (const b of bases) if (b.baseDir) rmSync(b.baseDir, { recursive: true, force: true });
  }
  t.diagnostic(tally.summary());
  assert.equal(tally.crashes.length, 0, tally.crashReport());
  assert.ok(tally.cases >= 1000, tally.summary());
});

/**
 * Fuzz (issue #17): mutated sidecars and CSV manifests: a result or a named error, never a crash or a hang.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Rng, Tally } from './harness';
import { exerciseManifest, exerciseSidecar, exerciseTree, INPUTS, mutateManifest, mutateSidecar, randomTree, sandbox } from './inputs';

test('400 mutated sidecars: preprocessing resolution never crashes or hangs', { timeout: 60_000 }, () => {
  const box = sandbox();
  try {
    exerciseSidecar(box, box.sidecar.text, INPUTS[0]);
    const tally = new Tally('sidecars', 5000);
    const rng = new Rng(31);
    for (let i = 0; i < 400; i++) {
      const { text, what } = mutateSidecar(rng, box);
      const input = INPUTS[i % INPUTS.length];
      tally.run(`sidecar #${i} (${what}) on ${input.name}`, () => exerciseSidecar(box, text, input));
    }
    assert.equal(tally.crashes.length, 0, tally.crashReport());
    assert.ok(tally.ok > 0 && tally.named.size > 0, tally.summary());
    console.log(`# ${tally.summary()}`);
  } finally {
    rmSync(box.dir, { recursive: true, force: true });
  }
});

test('400 mutated CSV manifests: opening the dataset never crashes or hangs', { timeout: 60_000 }, () => {
  const box = sandbox();
  try {
    exerciseManifest(box, new TextEncoder().encode(box.manifest));
    const tally = new Tally('manifests', 5000);
    const rng = new Rng(43);
    for (let i = 0; i < 400; i++) {
      const { text, what } = mutateManifest(rng, box);
      tally.run(`manifest #${i} (${what})`, () => exerciseManifest(box, text));
    }
    assert.equal(tally.crashes.length, 0, tally.crashReport());
    assert.ok(tally.ok > 0 && tally.named.size > 0, tally.summary());
    console.log(`# ${tally.summary()}`);
  } finally {
    rmSync(box.dir, { recursive: true, force: true });
  }
});

test('150 random dataset trees with symbolic links: each file listed once, no hang', { timeout: 60_000 }, () => {
  const tally = new Tally('trees', 5000);
  const rng = new Rng(53);
  for (let i = 0; i < 150; i++) {
    const root = mkdtempSync(path.join(tmpdir(), 'nf-fuzz-tree-'));
    try {
      randomTree(rng, root);
      tally.run(`tree #${i}`, () => exerciseTree(root));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }
  assert.equal(tally.crashes.length, 0, tally.crashReport());
  console.log(`# ${tally.summary()}`);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomChannels, rankedCore } from '../../../src/engine/analysis/fidelity';
import { seededRandom } from '../../../src/engine/util/random';
import { topPredictions } from '../../../src/engine/analysis/mask';
import { softmax } from '../../../src/engine/util/probs';
import { coreHurtsMore, type FidelityRow } from '../../../src/engine/result/schema';

test('random channel draws are seeded, distinct and in range', () => {
  const a = randomChannels(32, 8, seededRandom(7));
  assert.deepEqual(a, randomChannels(32, 8, seededRandom(7)));
  assert.notDeepEqual(a, randomChannels(32, 8, seededRandom(8)));
  assert.equal(new Set(a).size, 8);
  assert.ok(a.every((c) => c >= 0 && c < 32));
  assert.deepEqual(randomChannels(4, 9, seededRandom(1)), [0, 1, 2, 3]);
});

test('core neurons ranked by summed mean |IG| from their parents, ties by channel', () => {
  const layer = {
    name: 'l',
    tensor: 't',
    shape: [8],
    neurons: [
      {
        channel: 5,
        parents: [
          { neuron: 0, igMeanAbs: 0.1 },
          { neuron: 1, igMeanAbs: 0.3 },
        ],
      },
      { channel: 2, parents: [{ neuron: 0, igMeanAbs: 0.4 }] },
      { channel: 1, parents: [{ neuron: 1, igMeanAbs: 0.4 }] },
    ].map((n) => ({ ...n, topCrops: [], coreInputs: [], coreInputsIg: [], subconcepts: [] })),
  };
  assert.deepEqual(rankedCore(layer), [1, 2, 5]);
});

test('softmax and top predictions', () => {
  const p = softmax([0, Math.log(3), 0], 0, 3);
  assert.ok(Math.abs(p[1] - 0.6) < 1e-12 && Math.abs(p[0] - 0.2) < 1e-12);
  assert.deepEqual(
    topPredictions(p, 2).map((x) => x.class),
    [1, 0],
  );
});

test('core hurts more: lower accuracy, or the same accuracy and a lower class probability', () => {
  const row = (core: number, random: number, coreProb?: number, randomProb?: number): FidelityRow => ({
    layer: 'l',
    neurons: 4,
    masked: 2,
    channels: 8,
    baseline: 1,
    core,
    random,
    coreRetained: 1,
    randomRetained: 1,
    randomSeeds: 5,
    coreProb,
    randomProb,
  });
  assert.equal(coreHurtsMore(row(0.5, 0.9)), true);
  assert.equal(coreHurtsMore(row(0.9, 0.5, 0.1, 0.9)), false, 'accuracy decides when it differs');
  assert.equal(coreHurtsMore(row(1, 1, 0.92, 0.93)), true, 'saturated accuracy: the probability decides');
  assert.equal(coreHurtsMore(row(1, 1, 0.93, 0.93)), false);
  assert.equal(coreHurtsMore(row(1, 1)), false, 'a tie without probabilities (older results) is not a win');
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { adjustedRandIndex } from '../../../src/engine/analysis/cluster';
import { groupPairs, representativeLabels, type Grouping } from '../../../src/engine/analysis/groups';
import { circuitEdges, groupCircuit, type UpperPair } from '../../../src/engine/analysis/circuit';
import { sharedPath } from '../../helpers/shared';
import { loadReferenceLayers, type RefLayer } from './reference';

interface RefGrouping {
  n_clusters: number;
  mapping: [number, number, number][];
}

function pairsOf(layer: RefLayer) {
  return layer.neurons.flatMap((n) =>
    Object.keys(n.conceptVectors)
      .map(Number)
      .sort((a, b) => a - b)
      .map((label) => ({
        neuron: n.id,
        label,
        vector: n.conceptVectors[String(label)],
        inputs: n.critical,
        weights: n.critical.map((v) => n.rescaled[String(label)][String(v)]),
      })),
  );
}

function refLabels(pairs: { neuron: number; label: number }[], ref: RefGrouping): number[] {
  return pairs.map((p) => ref.mapping.find(([n, l]) => n === p.neuron && l === p.label)![2]);
}

test("groups equal the authors' cluster_concept_vectors (n=3 and silhouette) and the circuit their _aggregate_scores", (t) => {
  const dir = sharedPath(t, 'reference/neurflow');
  if (!dir) return;
  const ref = JSON.parse(readFileSync(path.join(dir, 'groups.json'), 'utf8'));
  const layers = loadReferenceLayers(dir);
  const n3: Record<string, Grouping> = {};
  const toRef: Record<string, Map<number, number>> = {};
  let minAri = 1;
  for (const layer of layers) {
    const pairs = pairsOf(layer);
    const vectors = pairs.map((p) => p.vector);
    const fixed = groupPairs(vectors, { count: 3 });
    const auto = groupPairs(vectors, {}, fixed.tree).grouping;
    const refN3: RefGrouping = ref.groups[layer.L].n3.mapping ? ref.groups[layer.L].n3 : ref.groups[layer.L].n3_fallback;
    const refAuto: RefGrouping = ref.groups[layer.L].auto;
    assert.equal(fixed.grouping.count, refN3.n_clusters, `layer ${layer.upper}: n3 count`);
    assert.equal(auto.count, refAuto.n_clusters, `layer ${layer.upper}: silhouette count`);
    const a3 = adjustedRandIndex(fixed.grouping.labels, refLabels(pairs, refN3));
    const aa = adjustedRandIndex(auto.labels, refLabels(pairs, refAuto));
    minAri = Math.min(minAri, a3, aa);
    assert.ok(a3 >= 0.9 && aa >= 0.9, `layer ${layer.upper}: ARI n3 ${a3}, auto ${aa}`);
    n3[layer.L] = fixed.grouping;
    const m = new Map<number, number>();
    refLabels(pairs, refN3).forEach((r, i) => m.set(fixed.grouping.labels[i], r));
    toRef[layer.L] = m;
  }
  let worst = 0,
    compared = 0;
  for (const L of ['5', '4', '3', '2']) {
    const lowerL = String(Number(L) - 1);
    const upperPairs: UpperPair[] = pairsOf(layers.find((l) => l.L === L)!);
    const lowerPairs = pairsOf(layers.find((l) => l.L === lowerL)!);
    const circuit = groupCircuit(upperPairs, n3[L].labels, n3[L].count, lowerPairs, n3[lowerL].labels, n3[lowerL].count);
    const refScores: Record<string, Record<string, number>> = ref.circuit_n3[`${L}->${lowerL}`].scores;
    for (const e of circuitEdges(circuit)) {
      const r = refScores[String(toRef[L].get(e.upper))][String(toRef[lowerL].get(e.lower))];
      worst = Math.max(worst, Math.abs(r - e.weight) / Math.max(1, Math.abs(r)));
      compared++;
    }
    const refCount = Object.values(refScores).reduce((s, row) => s + Object.keys(row).length, 0);
    assert.equal(circuitEdges(circuit).length, refCount, `circuit ${L}->${lowerL}: edge count`);
  }
  t.diagnostic(`groups: min ARI ${minAri}; circuit: ${compared} edges, max rel err ${worst.toExponential(2)}`);
  assert.ok(worst < 1e-9);
});

test('representatives: nearest the centre, restricted labels mark the others -1', () => {
  const vectors = [[0], [1], [2], [10], [11], [30]];
  const { grouping } = groupPairs(vectors, { count: 2, representatives: 2 });
  assert.deepEqual(Array.from(grouping.labels), [0, 0, 0, 0, 0, 1]);
  // Centre of the first group is 4.8: 2 then 1 are nearest.
  assert.deepEqual(grouping.groups[0].representatives, [2, 1]);
  assert.deepEqual(Array.from(representativeLabels(grouping)), [-1, 0, 0, -1, -1, 1]);
  assert.throws(() => groupPairs(vectors, { count: 0 }), /group count 0/);
});

test('a lower neuron with two sub-concepts in one group counts twice, as the authors aggregate', () => {
  const upper: UpperPair[] = [{ neuron: 0, inputs: [5, 6], weights: [0.75, -0.25] }];
  const lower = [{ neuron: 5 }, { neuron: 5 }, { neuron: 6 }];
  const c = groupCircuit(upper, [0], 1, lower, [0, 0, 1], 2);
  assert.deepEqual(c.weights, [[1.5, -0.25]]);
});

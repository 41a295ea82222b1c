import { test } from 'node:test';
import assert from 'node:assert/strict';
import { adjustedRandIndex } from '../../../src/engine/analysis/cluster';
import { analyseNeuron, normaliseWeights, topK } from '../../../src/engine/analysis/subconcepts';
import { sharedPath } from '../../helpers/shared';
import { labelMap, loadReferenceLayers } from './reference';

test("reference normalisation reproduces the authors' in-place loop; correct sums to 1 in |.|", () => {
  const raw = [0.5, -0.25, 0.25];
  const ref = normaliseWeights(raw, 'reference');
  const first = 0.5 / (1 + 1e-7);
  const second = -0.25 / (first + 0.25 + 0.25 + 1e-7);
  assert.ok(Math.abs(ref[0] - first) < 1e-12 && Math.abs(ref[1] - second) < 1e-12);
  const ok = normaliseWeights(raw, 'correct');
  assert.deepEqual(ok, [0.5, -0.25, 0.25]);
  assert.deepEqual(normaliseWeights([0, 0], 'correct'), [0, 0]);
  assert.deepEqual(topK([1, 3, 3, 2], 3), [1, 2, 3]);
});

test("core inputs, sub-concepts, concept vectors and edge weights equal the authors' (neurons.json)", (t) => {
  const dir = sharedPath(t, 'reference/neurflow');
  if (!dir) return;
  let worstVec = 0,
    worstRaw = 0,
    worstRescaled = 0,
    worstAct = 0,
    minAri = 1,
    nNeurons = 0,
    repsMismatch = 0;
  for (const layer of loadReferenceLayers(dir)) {
    for (const n of layer.neurons) {
      nNeurons++;
      const res = analyseNeuron(
        { crops: n.crops, activations: n.activations, lowerVectors: n.lowerVectors, ig: n.ig },
        { tau: 8, maxClusters: 5, representatives: 5, normalisation: 'reference' },
      );
      const where = `layer ${layer.upper} neuron ${n.id}`;
      assert.deepEqual(res.coreInputs, n.critical, `${where}: core inputs`);
      assert.equal(res.subconcepts.length, n.nClusters, `${where}: silhouette cluster count`);
      const ours = new Int32Array(n.crops.length);
      res.subconcepts.forEach((s) =>
        s.crops.forEach((c) => {
          ours[n.crops.indexOf(c)] = s.index;
        }),
      );
      const ari = adjustedRandIndex(ours, n.labels);
      minAri = Math.min(minAri, ari);
      assert.ok(ari >= 0.9, `${where}: ARI ${ari}`);
      const map = labelMap(ours, n.labels);
      for (const s of res.subconcepts) {
        const L = String(map.get(s.index));
        n.conceptVectors[L].forEach((v, c) => {
          worstVec = Math.max(worstVec, Math.abs(v - s.conceptVector[c]));
        });
        worstAct = Math.max(worstAct, Math.abs(n.activationValues[L] - s.activation));
        res.coreInputs.forEach((v, i) => {
          worstRaw = Math.max(worstRaw, Math.abs(n.raw[L][String(v)] - s.rawWeights[i]) / Math.max(1e-6, Math.abs(n.raw[L][String(v)])));
          worstRescaled = Math.max(worstRescaled, Math.abs(n.rescaled[L][String(v)] - s.weights[i]));
        });
        const refReps = [...n.topImages[L]].sort((a, b) => a - b);
        if (JSON.stringify([...s.representatives].sort((a, b) => a - b)) !== JSON.stringify(refReps)) repsMismatch++;
      }
      n.meanAbsIg.forEach((v, c) => assert.ok(Math.abs(v - res.igMeanAbs[c]) <= 1e-6 * Math.max(1, Math.abs(v)), `${where}: mean |IG| ${c}`));
    }
  }
  t.diagnostic(
    `${nNeurons} neurons: min ARI ${minAri}, concept vector max abs err ${worstVec.toExponential(2)}, activation ${worstAct.toExponential(2)}, raw weight max rel err ${worstRaw.toExponential(2)}, rescaled max abs err ${worstRescaled.toExponential(2)}, representative sets differing ${repsMismatch}`,
  );
  assert.ok(worstVec < 1e-5 && worstAct < 1e-5 && worstRaw < 1e-4 && worstRescaled < 1e-6);
  assert.equal(repsMismatch, 0);
});

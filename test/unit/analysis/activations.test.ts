import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { cropMeans } from '../../../src/engine/analysis/pipeline';
import { OrtAnalysisBackend } from '../../../src/engine/analysis/ort-backend';
import { topK } from '../../../src/engine/analysis/subconcepts';
import { cropTable } from '../../../src/engine/analysis/crops';
import { sessionCache } from '../../../src/engine/runtime/sessions';
import { sharedPath } from '../../helpers/shared';
import { loadReferenceLayers } from './reference';
import { loadReferenceSetting } from './fixture';

test("one pass over all 5015 crops gives the authors' top-50 crops, activations and lower vectors", async (t) => {
  const shared = sharedPath(t, 'reference/neurflow');
  if (!shared) return;
  const setting = await loadReferenceSetting(path.resolve(shared, '../..'));
  const backend = new OrtAnalysisBackend(setting.model, {
    threads: 2,
    ig: () => {
      throw new Error('not used');
    },
  });
  t.after(() => sessionCache.clear());
  const geometry = { height: 64, width: 64 };
  const crops = cropTable(setting.images.length, geometry, [1, 0.5, 0.25], 0.5);
  const means = await cropMeans({ backend, layers: setting.layers, images: setting.images, channels: 3, geometry }, crops);
  let minJaccard = 1,
    worstAct = 0,
    worstVec = 0;
  for (const ref of loadReferenceLayers(shared)) {
    const li = setting.layers.findIndex((l) => l.name === ref.upper);
    assert.equal(setting.layers[li + 1].name, ref.lower);
    for (const n of ref.neurons) {
      const acts = means[li].map((r) => r[n.id]);
      const top = topK(acts, 50);
      const inter = top.filter((c) => n.crops.includes(c)).length;
      minJaccard = Math.min(minJaccard, inter / (100 - inter));
      n.crops.forEach((c, i) => {
        worstAct = Math.max(worstAct, Math.abs(acts[c] - n.activations[i]));
        n.lowerVectors[i].forEach((v, k) => {
          worstVec = Math.max(worstVec, Math.abs(v - means[li + 1][c][k]));
        });
      });
    }
  }
  t.diagnostic(
    `top-50 crop sets: min Jaccard ${minJaccard.toFixed(3)}; activations max abs err ${worstAct.toExponential(2)}; lower vectors ${worstVec.toExponential(2)}`,
  );
  assert.ok(minJaccard >= 0.9);
  assert.ok(worstAct < 1e-3 && worstVec < 1e-3);
});

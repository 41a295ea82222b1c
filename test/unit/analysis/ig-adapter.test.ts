import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { analysisIg, releaseSegmentGradients } from '../../../src/engine/analysis/ig-adapter';
import { OrtAnalysisBackend } from '../../../src/engine/analysis/ort-backend';
import { cropBatch, cropTable } from '../../../src/engine/analysis/crops';
import { spatialSize } from '../../../src/engine/analysis/backend';
import { sessionCache } from '../../../src/engine/runtime/sessions';
import { sharedPath } from '../../helpers/shared';
import { loadReferenceLayers } from './reference';
import { loadReferenceSetting } from './fixture';

test("IG on the top-50 crops equals the authors' captum IG (layer<L>_ig_scores.npy, spatial mean)", async (t) => {
  const dir = sharedPath(t, 'reference/neurflow');
  if (!dir) return;
  const setting = await loadReferenceSetting(path.resolve(dir, '../..'));
  const backend = new OrtAnalysisBackend(setting.model, {
    threads: 2,
    ig: () => {
      throw new Error('unused');
    },
  });
  t.after(async () => {
    await sessionCache.clear();
    await releaseSegmentGradients();
  });
  const geometry = { height: 64, width: 64 };
  const crops = cropTable(setting.images.length, geometry, [1, 0.5, 0.25], 0.5);
  const report: string[] = [];
  for (const ref of loadReferenceLayers(dir)) {
    const li = setting.layers.findIndex((l) => l.name === ref.upper);
    let worst = 0;
    for (const n of ref.neurons.slice(0, 2)) {
      const pixels = cropBatch(
        n.crops.map((c) => crops[c]),
        setting.images,
        3,
        geometry,
      );
      const a = await backend.activation({ data: pixels, dims: [50, 3, 64, 64] }, setting.layers[li + 1].tensor);
      const ig = await analysisIg(setting.model, setting.layers[li + 1].tensor, setting.layers[li].tensor, a, n.id, { steps: 50, threads: 2 });
      const positions = spatialSize(a.dims);
      const scale = Math.max(...n.ig.map((r) => Math.max(...Array.from(r, Math.abs))));
      n.ig.forEach((row, i) =>
        row.forEach((v, c) => {
          worst = Math.max(worst, Math.abs(ig.data[i * row.length + c] / positions - v) / scale);
        }),
      );
    }
    report.push(`${ref.upper}<-${ref.lower} ${worst.toExponential(2)}`);
    assert.ok(worst < 1e-3, `${ref.upper}: IG relative error ${worst}`);
  }
  t.diagnostic(`IG max error relative to max |IG| per layer: ${report.join(', ')}`);
});

test('F(a) given by the caller spares the endpoint rows and gives the same IG and completeness error', async (t) => {
  const dir = sharedPath(t, 'reference/neurflow');
  if (!dir) return;
  const setting = await loadReferenceSetting(path.resolve(dir, '../..'));
  const backend = new OrtAnalysisBackend(setting.model, {
    threads: 2,
    ig: () => {
      throw new Error('unused');
    },
  });
  t.after(async () => {
    await sessionCache.clear();
    await releaseSegmentGradients();
  });
  const geometry = { height: 64, width: 64 };
  const crops = cropTable(setting.images.length, geometry, [1, 0.5, 0.25], 0.5).slice(0, 12);
  const pixels = { data: cropBatch(crops, setting.images, 3, geometry), dims: [crops.length, 3, 64, 64] };
  const [lower, upper] = [setting.layers[2].tensor, setting.layers[1].tensor];
  const a = await backend.activation(pixels, lower);
  const [means] = await backend.channelMeans(pixels, [upper]);
  const target = 5;
  const c = means.dims[1];
  const values = Array.from({ length: crops.length }, (_, i) => means.data[i * c + target]);
  const settings = { steps: 8, threads: 2 };
  const plain = await analysisIg(setting.model, lower, upper, a, target, settings);
  const spared = await analysisIg(setting.model, lower, upper, a, target, settings, undefined, values);
  assert.deepEqual(Array.from(spared.data), Array.from(plain.data));
  assert.ok(plain.relativeCompletenessError! > 0);
  assert.ok(
    Math.abs(spared.relativeCompletenessError! - plain.relativeCompletenessError!) < 1e-5,
    `${spared.relativeCompletenessError} vs ${plain.relativeCompletenessError}`,
  );
  await assert.rejects(analysisIg(setting.model, lower, upper, a, target, settings, undefined, values.slice(1)), /11 values for 12 samples/);
});

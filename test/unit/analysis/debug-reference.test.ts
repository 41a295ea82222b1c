import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { OrtAnalysisBackend } from '../../../src/engine/analysis/ort-backend';
import { boxesOverlap, cropBatch, imageCrops } from '../../../src/engine/analysis/crops';
import { debugGroups, rankGroups } from '../../../src/engine/analysis/debug';
import { groupPairs } from '../../../src/engine/analysis/groups';
import { adjustedRandIndex } from '../../../src/engine/analysis/cluster';
import { rowsOf } from '../../../src/engine/analysis/backend';
import { sessionCache } from '../../../src/engine/runtime/sessions';
import { sharedPath } from '../../helpers/shared';
import { loadReferenceLayers } from './reference';
import { loadReferenceSetting, preprocessShortcut } from './fixture';

test("debugging scores equal the authors' debug_img (layer2.1 and layer3.1, 90 images)", async (t) => {
  const dir = sharedPath(t, 'reference/neurflow');
  if (!dir) return;
  const shared = path.resolve(dir, '../..');
  const setting = await loadReferenceSetting(shared);
  const backend = new OrtAnalysisBackend(setting.model, {
    threads: 2,
    ig: () => {
      throw new Error('unused');
    },
  });
  t.after(() => sessionCache.clear());
  const ref = JSON.parse(readFileSync(path.join(dir, 'debug.json'), 'utf8'));
  const refLayers = loadReferenceLayers(dir);
  const geometry = { height: 64, width: 64 };
  const crops = imageCrops(geometry, [0.25, 0.5, 1], 0.5);
  for (const layerName of ['layer2.1', 'layer3.1']) {
    const d = ref[layerName];
    const refLayer = refLayers.find((l) => l.upper === layerName)!;
    const tensor = setting.layers.find((l) => l.name === layerName)!.tensor;
    // Our 3-group clustering keeps the same 3 representatives per group.
    const pairs = refLayer.neurons.flatMap((n) =>
      Object.keys(n.conceptVectors)
        .map(Number)
        .sort((a, b) => a - b)
        .map((label) => ({ n, label })),
    );
    const { grouping } = groupPairs(
      pairs.map((p) => p.n.conceptVectors[String(p.label)]),
      { count: d.n_cluster, representatives: d.num_top_vecs },
    );
    const ours = grouping.groups.flatMap((g, gi) => g.representatives.map((i) => [pairs[i].n.id, pairs[i].label, gi]));
    const refReps = d.groups_num_top_vecs3 as number[][];
    const key = (r: number[]) => `${r[0]}:${r[1]}`;
    assert.deepEqual(ours.map(key).sort(), refReps.map(key).sort(), `${layerName}: representative pairs`);
    const refGroupOf = new Map(refReps.map((r) => [key(r), r[2]]));
    assert.equal(
      adjustedRandIndex(
        ours.map((r) => r[2]),
        ours.map((r) => refGroupOf.get(key(r))!),
      ),
      1,
    );
    const debugPairs = refReps.map(([neuron, label, group]) => ({
      neuron,
      group,
      activation: refLayer.neurons.find((n) => n.id === neuron)!.activationValues[String(label)],
    }));
    let worst = 0,
      overlapTop = 0,
      marked = 0;
    for (const img of d.images) {
      const image = await preprocessShortcut(path.join(shared, 'datasets/shortcut', img.image));
      const means = await backend.channelMeans({ data: cropBatch(crops, [image], 3, geometry), dims: [crops.length, 3, 64, 64] }, [tensor]);
      const res = debugGroups(rowsOf(means[0]), debugPairs, d.threshold);
      for (const g of res) {
        const refScores: number[] = img.all_log_barrier_scores[String(g.group)];
        g.logBarrier.forEach((v, i) => {
          worst = Math.max(worst, Math.abs(v - refScores[i]));
        });
        assert.deepEqual(g.evidence, img.groups[String(g.group)].crops_at_or_above_threshold, `${layerName} ${img.image} group ${g.group}: evidence`);
      }
      if (img.has_marker) {
        marked++;
        const top = rankGroups(res)[0];
        if (top.evidence.some((c) => crops[c].granularity < 1 && boxesOverlap(crops[c].box, img.marker_box))) overlapTop++;
      }
    }
    t.diagnostic(
      `${layerName}: log-barrier max abs err ${worst.toExponential(2)}; top group's small evidence crop on the marker for ${overlapTop}/${marked} marked images`,
    );
    assert.ok(worst < 1e-4);
  }
});

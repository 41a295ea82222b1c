// Ad-hoc: IG time per neuron per layer pair of the reference run, for several row budgets.
import * as path from 'node:path';
import { analysisIg } from '../src/engine/analysis/ig-adapter';
import { OrtAnalysisBackend } from '../src/engine/analysis/ort-backend';
import { cropBatch, cropTable } from '../src/engine/analysis/crops';
import { loadReferenceLayers } from '../test/unit/analysis/reference';
import { loadReferenceSetting } from '../test/unit/analysis/fixture';

(async () => {
  const shared = path.resolve(__dirname, '../../shared');
  const dir = path.join(shared, 'reference/neurflow');
  const setting = await loadReferenceSetting(shared);
  const backend = new OrtAnalysisBackend(setting.model, { threads: 2, ig: () => { throw new Error('unused'); } });
  const geometry = { height: 64, width: 64 };
  const crops = cropTable(setting.images.length, geometry, [1, 0.5, 0.25], 0.5);
  const budgets = (process.env.BUDGETS ?? '4,16,64').split(',').map(Number);
  for (const ref of loadReferenceLayers(dir)) {
    const li = setting.layers.findIndex((l) => l.name === ref.upper);
    const n = ref.neurons[0];
    const pixels = cropBatch(n.crops.map((c) => crops[c]), setting.images, 3, geometry);
    const a = await backend.activation({ data: pixels, dims: [50, 3, 64, 64] }, setting.layers[li + 1].tensor);
    await analysisIg(setting.model, setting.layers[li + 1].tensor, setting.layers[li].tensor, a, n.id, { steps: 50, threads: 2 });
    for (const mb of budgets) {
      const t0 = performance.now();
      await analysisIg(setting.model, setting.layers[li + 1].tensor, setting.layers[li].tensor, a, n.id, { steps: 50, threads: 2, rowBudget: mb << 20 });
      console.log(`${ref.upper}<-${ref.lower} budget ${mb} MB: ${(performance.now() - t0).toFixed(0)} ms/neuron (x${ref.neurons.length} neurons)`);
    }
  }
})();

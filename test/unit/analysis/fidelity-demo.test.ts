/**
 * The paper's faithfulness check on a real analysis (the shared demo result: shortcut ResNet, class triangle):
 * on every analysed layer, zeroing the core neurons hurts the class more than zeroing as many random neurons.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { fidelityTable } from '../../../src/engine/analysis/fidelity';
import { openResultModel } from '../../../src/engine/analysis/result-model';
import { coreHurtsMore } from '../../../src/engine/result/schema';
import { demoResult } from '../../helpers/demo-result';

test('fidelity on the demo result: core neurons hurt the class more than random ones on every layer', async () => {
  const { doc, file } = await demoResult();
  const rm = await openResultModel(doc, file, { provider: 'cpu' });
  const images = await rm.load(doc.class.images.map((f) => path.resolve(doc.dataset.root, f)));
  const [h, w] = rm.preprocessing.size;
  const inputs = { data: new Float32Array(images.length * images[0].length), dims: [images.length, rm.preprocessing.channels, h, w] };
  images.forEach((im, i) => inputs.data.set(im, i * im.length));
  const rows = await fidelityTable(rm.backend, doc, inputs, { seeds: 3 });
  assert.deepEqual(
    rows.map((r) => r.layer),
    doc.layers.slice(1).map((l) => l.name),
  );
  for (const r of rows) {
    assert.equal(r.baseline, 1, `${r.layer}: every image of the class is predicted as the class before masking`);
    assert.ok(coreHurtsMore(r), `${r.layer}: core ${r.core} (p ${r.coreProb}) vs random ${r.random} (p ${r.randomProb})`);
    assert.ok(r.coreProb! < r.baselineProb!, `${r.layer}: masking the core lowers the class probability`);
  }
  // The shortcut: zeroing the marker-carrying core of layer2.1 removes the triangle prediction from most images.
  const l21 = rows.find((r) => r.layer === 'layer2.1')!;
  assert.ok(l21.core < 0.5, `layer2.1 core masked keeps ${l21.core}`);
});

/**
 * The analysis end to end on the tiny member of every family (scripts/export_torchvision.py, 64 px, random
 * weights): ViT (token sequences), Swin (channels-last), ConvNeXt, DenseNet, RegNet, ShuffleNetV2. Top layer +
 * 2 blocks, small settings: every analysed layer has core neurons with sub-concepts, every layer below has core
 * neurons, and the result document records each layer's analysis tensor.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { analyseClass } from '../../../src/engine/analysis/job';
import { openResultModel } from '../../../src/engine/analysis/result-model';
import { TINY_CNN_MODELS, TINY_TRANSFORMER_MODELS, torchvisionPath } from '../grad/torchvision';

let data: string;

before(async () => {
  data = mkdtempSync(path.join(tmpdir(), 'nf-families-'));
  let s = 7;
  const r = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  for (const cls of ['a', 'b']) {
    mkdirSync(path.join(data, cls));
    for (let i = 0; i < 4; i++) {
      const px = Buffer.alloc(64 * 64 * 3);
      const [fx, fy, ph] = [1 + 4 * r(), 1 + 4 * r(), 6 * r()];
      for (let y = 0; y < 64; y++)
        for (let x = 0; x < 64; x++)
          for (let c = 0; c < 3; c++) {
            px[(y * 64 + x) * 3 + c] = Math.round(127 + 120 * Math.sin((fx * x + fy * y) / 10 + ph + c));
          }
      await sharp(px, { raw: { width: 64, height: 64, channels: 3 } })
        .png()
        .toFile(path.join(data, cls, `${i}.png`));
    }
  }
});

after(() => rmSync(data, { recursive: true, force: true }));

for (const name of [...TINY_TRANSFORMER_MODELS, ...TINY_CNN_MODELS]) {
  test(`${name}: analyse runs end to end (top + 2 blocks) with core neurons on every layer`, async (t) => {
    const file = torchvisionPath(name);
    if (!file) {
      t.skip(`.cache/torchvision/${name}.onnx not found: run scripts/export-torchvision.sh`);
      return;
    }
    const { doc } = await analyseClass({
      model: file,
      data,
      class: 0,
      blocks: 2,
      preprocessing: 'none',
      params: { selection: 'labelled', tau: 4, topCrops: 8, igSteps: 8 },
    });
    assert.equal(doc.complete, true);
    assert.equal(doc.layers.length, 3, doc.layers.map((l) => l.name).join(', '));
    for (const [i, l] of doc.layers.entries()) {
      assert.ok(l.neurons.length > 0, `${name} ${l.name}: no core neurons`);
      if (i < 2)
        assert.ok(
          l.neurons.every((n) => n.subconcepts.length > 0 && n.coreInputs.length === 4),
          `${name} ${l.name}: a neuron without sub-concepts or core inputs`,
        );
      if (i < 2) assert.ok(l.grouping && l.grouping.count > 0, `${name} ${l.name}: no groups`);
    }
    // A fresh model opened for the saved result (debugging, masking) rebuilds the channels-first views.
    const rm = await openResultModel(doc, `${name} result`);
    const [image] = await rm.load([path.join(doc.dataset.root, doc.class.images[0])]);
    const means = await rm.backend.channelMeans(
      { data: image, dims: [1, 3, 64, 64] },
      doc.layers.map((l) => l.tensor),
    );
    means.forEach((m, i) => assert.equal(m.dims[1], doc.layers[i].shape[0], `${name} ${doc.layers[i].name}: channel means on the reopened model`));
    t.diagnostic(
      `${name}: ${doc.layers.map((l) => `${l.name} ${l.neurons.length} (${l.tensor.startsWith('nf_channels_first/') ? 'view' : 'tensor'})`).join(', ')}`,
    );
  });
}

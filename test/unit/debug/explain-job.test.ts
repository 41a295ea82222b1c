/**
 * The worker's explainBatch job on the demo model with the demo's test analysis of class triangle (the generated
 * Explain Batch fixture, test/helpers/debug-fixture.ts): the misclassified samples are those PyTorch gets wrong,
 * each is explained by the triangle groups, the top group's evidence sits on the planted marker, and masking
 * that group lowers the triangle probability.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { readNpy, writeNpy } from '../../../src/engine/io/npy';
import { DataError } from '../../../src/engine/errors';
import { explainBatch } from '../../../src/worker/jobs/explainBatch';
import type { ExplainBatchParams, TransferredArray } from '../../../src/protocol/batch';
import { makeDebugFixture } from '../../helpers/debug-fixture';
import { REPO_ROOT } from '../../helpers/shared';

const FIXTURE = path.join(REPO_ROOT, 'test/fixture/debug');
const MODEL = path.join(REPO_ROOT, 'demo/model/shortcut-resnet.onnx');
const RESULT = path.join(FIXTURE, 'shortcut-triangle.neurflow-result.json');
const ctx = { signal: new AbortController().signal, progress: () => undefined };

before(() => makeDebugFixture());

function arrays(dir: string, layout: 'nchw' | 'nhwc'): { images: TransferredArray; labels: TransferredArray; predictions: TransferredArray } {
  // labels and predictions are the fixture files themselves.
  const px = readNpy(path.join(FIXTURE, 'batch-images.npy'));
  const [n, h, w, c] = px.shape;
  const x = new Float32Array(n * c * h * w);
  for (let i = 0; i < n; i++)
    for (let p = 0; p < h * w; p++)
      for (let k = 0; k < c; k++) {
        const v = ((px.data as Uint8Array)[(i * h * w + p) * c + k] / 255 - 0.5) / 0.25;
        if (layout === 'nchw') x[(i * c + k) * h * w + p] = v;
        else x[(i * h * w + p) * c + k] = v;
      }
  const shape = layout === 'nchw' ? [n, c, h, w] : [n, h, w, c];
  writeNpy(path.join(dir, 'images.npy'), shape, x);
  const arr = (key: string, file: string, s: number[], dtype: string): TransferredArray => ({
    expression: key,
    path: path.join(dir, file),
    shape: s,
    dtype,
    source: 'numpy.ndarray',
  });
  return {
    images: arr('images', 'images.npy', shape, 'float32'),
    labels: { ...arr('labels', '', [n], 'int64'), path: path.join(FIXTURE, 'batch-labels.npy') },
    predictions: { ...arr('outputs', '', [n, 4], 'float32'), path: path.join(FIXTURE, 'batch-torch-probs.npy') },
  };
}

test('explains the misclassified samples of the batch with the triangle groups', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'nf-explain-'));
  try {
    const a = arrays(dir, 'nhwc');
    const params: ExplainBatchParams = { model: MODEL, results: [RESULT], ...a, provider: 'cpu', threads: 2 };
    const r = await explainBatch(params, ctx);
    const labels = [...(readNpy(a.labels.path).data as BigInt64Array)].map(Number);
    const torch = readNpy(a.predictions.path);
    const torchPred = labels.map((_, i) => {
      const row = Array.from((torch.data as Float32Array).subarray(i * 4, i * 4 + 4));
      return row.indexOf(Math.max(...row));
    });
    const wrong = labels.flatMap((l, i) => (torchPred[i] !== l ? [i] : []));
    assert.equal(r.layout, 'NHWC -> NCHW');
    assert.equal(r.batchSize, 16);
    assert.deepEqual(
      r.misclassified.map((s) => s.index),
      wrong,
      'misclassified = where PyTorch is wrong',
    );
    assert.deepEqual(r.disagreements, [], 'the ONNX model agrees with PyTorch');
    assert.equal(r.correct, 16 - wrong.length);
    assert.deepEqual(r.classes, ['circle', 'square', 'star', 'triangle']);
    const effects = r.layerChoice?.effects ?? [];
    assert.ok(effects.length >= 2, 'every grouped layer below the logits is measured');
    assert.equal(r.layerChoice?.layer, effects.reduce((a, b) => (b.drop > a.drop ? b : a)).layer, 'the default layer has the largest drop');
    const truth = JSON.parse(readFileSync(path.join(REPO_ROOT, 'demo/truth.json'), 'utf8')) as { images: Record<string, { marker: number[] | null }> };
    let markerHits = 0,
      markerSamples = 0,
      maskDrops = 0;
    for (const s of r.misclassified) {
      assert.equal(s.labelName, r.classes[s.label]);
      assert.equal(s.debuggeePrediction, s.predicted);
      assert.match(s.thumbnail, /^data:image\/webp;base64,/);
      const e = s.explanation!;
      assert.ok(e, `sample ${s.index} is explained`);
      assert.equal(e.className, 'triangle');
      assert.equal(e.role, s.predicted === 3 ? 'predicted' : 'label');
      // The default layer is where masking the samples' groups lowers the explained class most (layerChoice).
      assert.equal(e.layer, r.layerChoice?.layer);
      assert.ok(e.groups.length >= 1 && e.groups.length <= 3);
      for (let g = 1; g < e.groups.length; g++) assert.ok(e.groups[g - 1].score >= e.groups[g].score, 'ranked by score');
      for (const g of e.groups) {
        for (const b of [g.bestBox, ...g.evidence]) assert.ok(b[0] >= 0 && b[1] >= 0 && b[2] <= 64 && b[3] <= 64 && b[2] > b[0], `box ${b}`);
        assert.ok(g.channels.length > 0);
        assert.ok(g.mask.predictedBefore > 0 && g.mask.predictedBefore <= 1);
        assert.ok(Math.abs(g.mask.predictedBefore - s.confidence) < 1e-6);
      }
      if (e.role === 'predicted') {
        const top = e.groups[0];
        if (top.mask.predictedAfter < top.mask.predictedBefore) maskDrops++;
      }
    }
    // The marked non-triangles called triangles: the top group's best crop overlaps the marker.
    const order = JSON.parse(readFileSync(path.join(FIXTURE, 'batch-files.json'), 'utf8')) as string[];
    for (const s of r.misclassified.filter((x) => x.explanation?.role === 'predicted')) {
      const marker = truth.images[order[s.index]].marker;
      if (!marker) continue;
      markerSamples++;
      const [x0, y0, x1, y1] = s.explanation!.groups[0].bestBox;
      if (x0 < marker[2] && marker[0] < x1 && y0 < marker[3] && marker[1] < y1) markerHits++;
    }
    t.diagnostic(
      `misclassified ${r.misclassified.map((s) => s.index)}; marker hits ${markerHits}/${markerSamples}; mask drops ${maskDrops}; timings ${JSON.stringify(r.timings)}`,
    );
    assert.ok(markerSamples >= 3, `${markerSamples} marked samples predicted triangle`);
    assert.ok(markerHits >= markerSamples - 1, `top group on the marker for ${markerHits}/${markerSamples}`);
    assert.ok(maskDrops >= 1, 'masking the top group lowers the triangle probability somewhere');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a batch whose images do not fit the model is refused naming the expression', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'nf-explain-'));
  try {
    writeNpy(path.join(dir, 'images.npy'), [2, 3, 32, 32], new Float32Array(2 * 3 * 32 * 32));
    writeNpy(path.join(dir, 'labels.npy'), [2], new BigInt64Array(2));
    const arr = (key: string, shape: number[]): TransferredArray => ({
      expression: `batch["${key}"]`,
      path: path.join(dir, `${key}.npy`),
      shape,
      dtype: 'float32',
      source: 'numpy.ndarray',
    });
    await assert.rejects(
      explainBatch({ model: MODEL, results: [RESULT], images: arr('images', [2, 3, 32, 32]), labels: arr('labels', [2]), provider: 'cpu' }, ctx),
      (e: Error) => {
        assert.ok(e instanceof DataError);
        assert.match(
          e.message,
          /^batch\["images"\] has shape \[2, 3, 32, 32\]: the image size differs from the model input; the model input is \[N, 3, 64, 64\]/,
        );
        return true;
      },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

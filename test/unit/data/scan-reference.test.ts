import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { runScan } from '../../../src/engine/data/run-scan';
import type { ScanResult } from '../../../src/engine/data/scan';
import { sharedPath } from '../../helpers/shared';

interface RefFile {
  file: string;
  label_index: number;
  pred_index: number;
  probs: number[];
}
interface RefPredictions {
  accuracy: number;
  confusion_matrix: { matrix: number[][] };
  misclassified: { file: string }[];
  files: RefFile[];
}

const CASES: [string, string, string][] = [
  ['shortcut-resnet', 'shortcut-test', 'datasets/shortcut/test'],
  ['shortcut-resnet', 'shortcut-audit', 'datasets/shortcut/audit'],
  ['shortcut-mobilenet', 'shortcut-test', 'datasets/shortcut/test'],
  ['shortcut-mobilenet', 'shortcut-audit', 'datasets/shortcut/audit'],
  ['fmnist-cnn', 'fmnist-test', 'reference/fmnist-test'],
];

const scans = new Map<string, ScanResult>();

for (const [model, split, data] of CASES) {
  test(`${model} on ${split}: every prediction, the accuracy and the misclassified set equal PyTorch's`, async (t) => {
    const refFile = sharedPath(t, `reference/predictions/${model}__${split}.json`);
    const modelFile = sharedPath(t, `reference/models/${model}.onnx`);
    const root = sharedPath(t, data);
    if (!refFile || !modelFile || !root) return;
    const ref = JSON.parse(readFileSync(refFile, 'utf8')) as RefPredictions;
    const r = await runScan(modelFile, root, { threads: 2 });
    scans.set(`${model}/${split}`, r);
    assert.equal(r.images.length, ref.files.length);
    assert.equal(r.skipped.length, 0);
    let maxDiff = 0;
    ref.files.forEach((f, i) => {
      const im = r.images[i];
      assert.ok(f.file.endsWith(`/${im.path}`), `${f.file} vs ${im.path}`);
      assert.equal(im.label, f.label_index, im.path);
      assert.equal(im.pred, f.pred_index, im.path);
      f.probs.forEach((p, j) => {
        maxDiff = Math.max(maxDiff, Math.abs(p - im.probs[j]));
      });
    });
    // The reference rounds to 6 decimals and so do we: 1e-6 from rounding, plus float noise.
    assert.ok(maxDiff <= 1.5e-5, `max |p - p_ref| = ${maxDiff}`);
    assert.equal(r.accuracy, ref.accuracy);
    assert.deepEqual(r.confusion, ref.confusion_matrix.matrix);
    const ours = new Set(r.misclassified.map((m) => r.images[m.image].path));
    const theirs = new Set(ref.misclassified.map((m) => m.file.replace(/^.*?\/(?=[^/]+\/[^/]+$)/, '')));
    assert.deepEqual([...ours].sort(), [...theirs].sort());
    // Per-class lists partition the misclassified images.
    const fp = r.mistakes.reduce((a, m) => a + m.falsePositives.length, 0);
    const fn = r.mistakes.reduce((a, m) => a + m.falseNegatives.length, 0);
    assert.equal(fp, ours.size);
    assert.equal(fn, ours.size);
    for (const m of r.mistakes) {
      for (let i = 1; i < m.falsePositives.length; i++) assert.ok(m.falsePositives[i - 1].confidence >= m.falsePositives[i].confidence);
    }
  });
}

test('suspected label errors on the audit split rank the flipped images high (precision@48 well above the 12% flip rate)', async (t) => {
  const truthFile = sharedPath(t, 'datasets/shortcut/truth.json');
  if (!truthFile) return;
  const truth = JSON.parse(readFileSync(truthFile, 'utf8')).images as Record<string, { class: string; folder: string }>;
  for (const model of ['shortcut-resnet', 'shortcut-mobilenet']) {
    const r = scans.get(`${model}/shortcut-audit`);
    if (!r) return t.skip('audit scans did not run');
    const flipped = r.images.map((im) => truth[`audit/${im.path}`].class !== truth[`audit/${im.path}`].folder);
    const k = flipped.filter(Boolean).length;
    assert.equal(k, 48);
    const top = r.labelIssues.suspects.slice(0, k);
    const precision = top.filter((s) => flipped[s.image]).length / k;
    const recall = r.labelIssues.suspects.filter((s) => flipped[s.image]).length / k;
    t.diagnostic(`${model}: precision@48 ${precision.toFixed(3)}, ${r.labelIssues.suspects.length} suspects, recall among all suspects ${recall.toFixed(3)}`);
    assert.ok(precision >= 0.75, `${model}: precision@48 = ${precision}`);
    // Proposed classes of the flipped images the model gets right are their true classes.
    for (const s of top.filter((x) => flipped[x.image])) {
      const im: ScanResult['images'][number] = r.images[s.image];
      if (r.classes[im.pred] === truth[`audit/${im.path}`].class) assert.equal(s.proposed, im.pred, im.path);
    }
  }
});

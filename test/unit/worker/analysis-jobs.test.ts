/**
 * The worker's result-panel jobs called directly (no IPC), on the demo model and images shipped in demo/ with
 * small analysis parameters: scan (and its reuse), analyse (store, reuse, cancel keeps finished layers),
 * explainImage on a marked image, maskGroup (masking a group changes the class probability; masking nothing
 * does not), regroup.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { boxesOverlap, type Box } from '../../../src/engine/analysis/crops';
import { readResult } from '../../../src/engine/result/store';
import type { AnalyseParams } from '../../../src/protocol/analysis';
import type { JobContext } from '../../../src/worker/job';
import { analyse } from '../../../src/worker/jobs/analyse';
import { explainImage } from '../../../src/worker/jobs/explainImage';
import { maskGroup } from '../../../src/worker/jobs/maskGroup';
import { regroup } from '../../../src/worker/jobs/regroup';
import { scan } from '../../../src/worker/jobs/scan';
import { scanFileFor } from '../../../src/engine/data/scan-file';
import { REPO_ROOT } from '../../helpers/shared';

const DEMO = path.join(REPO_ROOT, 'demo');
const MODEL = path.join(DEMO, 'model', 'shortcut-resnet.onnx');
const DATA = path.join(DEMO, 'images');
const truth = JSON.parse(readFileSync(path.join(DEMO, 'truth.json'), 'utf8')).images as Record<string, { marker: Box | null; class: string }>;

function context(onStage?: (stage: string, c: AbortController) => void): JobContext & { stages: string[] } {
  const controller = new AbortController();
  const stages: string[] = [];
  return {
    signal: controller.signal,
    stages,
    progress: (stage) => {
      stages.push(stage);
      onStage?.(stage, controller);
    },
  };
}

const store = mkdtempSync(path.join(tmpdir(), 'neurflow-jobs-'));
test.after(() => rmSync(store, { recursive: true, force: true }));

const params: AnalyseParams = {
  model: MODEL,
  data: DATA,
  provider: 'cpu',
  threads: 2,
  classIndex: 3,
  store,
  layers: ['fc', 'layer3.1', 'layer3.0', 'layer2.1', 'layer2.0'],
  params: { tau: 3, topCrops: 12, igSteps: 4 },
};

test('scan: class names and counts for the picker, then the same scan from memory', async () => {
  const ctx = context();
  const first = await scan(params, ctx);
  assert.deepEqual(first.classes, ['circle', 'square', 'star', 'triangle']);
  assert.equal(first.images, 400);
  assert.deepEqual(first.labelled, [100, 100, 100, 100]);
  assert.equal(
    first.predicted.reduce((a, b) => a + b, 0),
    400,
  );
  // The demo model learned the marker: the marked circles/squares/stars are called triangles too.
  assert.ok(first.predicted[3] > 60, `predicted triangles: ${first.predicted[3]}`);
  assert.equal(first.cached, false);
  assert.ok(ctx.stages.includes('Scanning 400 images'), ctx.stages.join(' | '));
  const again = await scan(params, context());
  assert.equal(again.cached, true);
  assert.deepEqual(again.predicted, first.predicted);
});

test('analyse, reuse, explain a marked image, mask its top group, regroup', async () => {
  const ctx = context();
  const out = await analyse(params, ctx);
  assert.equal(out.reused, false);
  assert.equal(out.doc.complete, true);
  assert.ok(out.file.startsWith(store) && existsSync(out.file), out.file);
  assert.ok(existsSync(scanFileFor(out.file)), 'the scan is saved beside the result');
  assert.deepEqual(
    out.doc.layers.map((l) => l.name),
    params.layers,
  );
  assert.equal(out.scan.images.length, 400);
  assert.ok(!ctx.stages.some((s) => s.startsWith('Scanning')), 'the scan from the class picker is reused');
  assert.ok(
    ctx.stages.some((s) => /^Layer layer3\.1: core neurons \d+\/\d+$/.test(s)),
    ctx.stages.join(' | '),
  );
  assert.ok(ctx.stages.includes('Clustering groups'));

  const t0 = performance.now();
  const reused = await analyse(params, context());
  assert.equal(reused.reused, true);
  assert.equal(reused.doc.key, out.doc.key);
  assert.ok(performance.now() - t0 < 5000);

  // A marked image the model calls a triangle: some group's evidence at layer2.1 covers the marker.
  const marked = out.doc.class.images.find((p) => truth[p].marker && truth[p].class !== 'triangle')!;
  const layer = out.doc.layers.find((l) => l.name === 'layer2.1')!;
  const ex = await explainImage(
    { result: out.file, image: path.join(DATA, marked), layer: 'layer2.1', groupCount: layer.grouping!.count, provider: 'cpu', threads: 2 },
    context(),
  );
  assert.equal(ex.groups.length, layer.grouping!.count);
  assert.equal(ex.top[0].name, 'triangle');
  for (let i = 1; i < ex.groups.length; i++) assert.ok(ex.groups[i - 1].score >= ex.groups[i].score, 'ranked by score');
  const marker = truth[marked].marker!;
  assert.ok(
    ex.groups.some((g) => g.evidence.some((b) => boxesOverlap(b, marker))),
    `no evidence on the marker ${marker}: ${JSON.stringify(ex.groups)}`,
  );

  const top = ex.groups[0];
  const grouping = layer.grouping!;
  const channels = [...new Set(grouping.groups[top.group].members.map((m) => grouping.pairs[m][0]))];
  const mask = await maskGroup(
    { result: out.file, image: path.join(DATA, marked), layer: 'layer2.1', channels, classIndex: 3, provider: 'cpu', threads: 2 },
    context(),
  );
  assert.ok(Math.abs(mask.before - ex.top[0].prob) < 1e-5, `before ${mask.before} vs top ${ex.top[0].prob}`);
  assert.notEqual(mask.after, mask.before);
  assert.equal(mask.top.length, 3);
  const none = await maskGroup(
    { result: out.file, image: path.join(DATA, marked), layer: 'layer2.1', channels: [], classIndex: 3, provider: 'cpu', threads: 2 },
    context(),
  );
  assert.ok(Math.abs(none.after - none.before) < 1e-6, 'masking no channel changes nothing');
  await assert.rejects(
    maskGroup({ result: out.file, image: path.join(DATA, marked), layer: 'layer2.1', channels: [999], classIndex: 3, provider: 'cpu' }, context()),
    /channel 999 is not a channel of layer layer2\.1/,
  );

  const other = grouping.count === 2 ? 3 : 2;
  const rg = await regroup({ result: out.file, layer: 'layer2.1', count: other }, context());
  assert.equal(rg.groupCount, other);
  assert.equal(readResult(out.file).layers.find((l) => l.name === 'layer2.1')!.grouping!.count, other);
});

test('analyse: a cancel during the core neurons keeps the finished layers, saved as a partial result', async (t) => {
  let abortedAt = 0;
  const ctx = context((stage, c) => {
    if (!abortedAt && stage.startsWith('Layer layer3.0')) {
      abortedAt = performance.now();
      c.abort();
    }
  });
  const out = await analyse({ ...params, params: { ...params.params, tau: 4 } }, ctx);
  const stopMs = performance.now() - abortedAt;
  t.diagnostic(`cancel to partial result (thumbnails and save included): ${stopMs.toFixed(0)} ms`);
  assert.ok(stopMs < 2000, `stopped ${stopMs.toFixed(0)} ms after the cancel`);
  assert.equal(out.doc.complete, false);
  assert.ok(out.file.endsWith('.partial.neurflow-result.json'), out.file);
  assert.ok(existsSync(out.file));
  const grouped = out.doc.layers.filter((l) => l.grouping).map((l) => l.name);
  assert.deepEqual(grouped, ['fc', 'layer3.1'], 'fc and layer3.1 finished before the cancel');
});

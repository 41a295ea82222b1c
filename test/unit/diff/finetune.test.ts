/**
 * `neurflow diff` on a real change (issue 19): the demo's shortcut model against the same model fine-tuned on
 * marker-free images (scripts/finetune-demo.py, PyTorch; the model goes to .cache/, never committed). The marker
 * group of the shortcut model's triangle circuit (the group whose evidence covers the planted marker, measured as
 * `neurflow demo` does) must be reported gone or weakened. Skipped only where /usr/bin/python3 has no torch and
 * CI is not set; under CI=true a missing torch fails the test.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { analyseClass } from '../../../src/engine/analysis/job';
import { boxesOverlap, type Box } from '../../../src/engine/analysis/crops';
import { debugImages } from '../../../src/engine/analysis/debug-image';
import { openResultModel } from '../../../src/engine/analysis/result-model';
import { defaultDebugLayer } from '../../../src/cli/commands/debug';
import { diffResults } from '../../../src/engine/diff/diff';
import type { ResultDocument } from '../../../src/engine/result/schema';
import { DEMO_BLOCKS, DEMO_CLASS, DEMO_IMAGES, DEMO_PARAMS, demoResult, TEST_RESULTS } from '../../helpers/demo-result';
import { REPO_ROOT } from '../../helpers/shared';

const PYTHON = '/usr/bin/python3';
const SCRIPT = path.join(REPO_ROOT, 'scripts', 'finetune-demo.py');

function torchMissing(): string | undefined {
  if (!existsSync(PYTHON)) return `${PYTHON} not found`;
  const r = spawnSync(PYTHON, ['-c', 'import torch, onnx, numpy, PIL'], { encoding: 'utf8' });
  return r.status === 0 ? undefined : `${PYTHON} lacks torch, onnx, numpy or PIL: ${r.stderr.trim().split('\n').pop()}`;
}

/** The fine-tuned model, made once per version of the script (.cache/finetune-<script hash>/). */
function fineTuned(): string {
  const hash = createHash('sha256').update(readFileSync(SCRIPT)).digest('hex').slice(0, 12);
  const out = path.join(REPO_ROOT, '.cache', `finetune-${hash}`);
  const model = path.join(out, 'shortcut-resnet-clean.onnx');
  if (!existsSync(model)) {
    const r = spawnSync(PYTHON, [SCRIPT, '--out', out], { encoding: 'utf8', timeout: 15 * 60_000 });
    assert.equal(r.status, 0, `finetune-demo.py failed:\n${r.stderr}`);
  }
  return model;
}

/** The group of `layer` whose evidence covers the marker on the most marked images (top-ranked), as `neurflow demo` counts. */
async function markerGroup(doc: ResultDocument, file: string, layer: string): Promise<{ group: number; hits: number; marked: number }> {
  const truth = JSON.parse(readFileSync(path.join(REPO_ROOT, 'demo', 'truth.json'), 'utf8')).images as Record<string, { marker: Box | null }>;
  const marked = doc.class.images.filter((p) => truth[p]?.marker);
  const rm = await openResultModel(doc, file, { threads: 2 });
  const images = await rm.load(marked.map((p) => path.join(doc.dataset.root, p)));
  const [height, width] = rm.preprocessing.size;
  const res = await debugImages(rm.backend, doc, images, rm.preprocessing.channels, { height, width }, { layer });
  const hits = new Map<number, number>();
  res.forEach((r, i) => {
    const top = r.ranked[0];
    if (top.evidence.some((c) => r.crops[c].granularity < 1 && boxesOverlap(r.crops[c].box, truth[marked[i]].marker!))) {
      hits.set(top.group, (hits.get(top.group) ?? 0) + 1);
    }
  });
  const [group, n] = [...hits].sort((a, b) => b[1] - a[1])[0] ?? [-1, 0];
  return { group, hits: n, marked: marked.length };
}

test('diff: shortcut model vs the same model fine-tuned on marker-free images: the marker group is gone or weakened', async (t) => {
  const missing = torchMissing();
  if (missing) {
    if (process.env.CI === 'true') assert.fail(`CI=true: the fine-tuning test needs PyTorch (${missing})`);
    t.skip(missing);
    return;
  }
  const a = await demoResult();
  const model = fineTuned();
  const b = await analyseClass({
    model,
    data: DEMO_IMAGES,
    class: DEMO_CLASS,
    blocks: DEMO_BLOCKS,
    params: DEMO_PARAMS,
    store: TEST_RESULTS,
  });
  const layer = defaultDebugLayer(a.doc);
  const marker = await markerGroup(a.doc, a.file, layer);
  t.diagnostic(`marker group of the shortcut model: ${layer} G${marker.group} (top-ranked on the marker on ${marker.hits}/${marker.marked} marked images)`);
  assert.ok(marker.hits >= marker.marked / 2, 'the shortcut model has a marker group');
  const d = diffResults(a.doc, b.doc, { names: ['shortcut', 'fine-tuned'] });
  const hit = d.goneOrWeakened.find((x) => x.layer === layer && x.group === marker.group);
  t.diagnostic(`gone or weakened: ${JSON.stringify(d.goneOrWeakened)}`);
  assert.ok(hit, `the marker group ${layer} G${marker.group} is reported gone or weakened`);
});

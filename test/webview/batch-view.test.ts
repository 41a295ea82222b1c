/**
 * Explain Batch in the Mistakes view: a REAL batch message (the worker's explainBatch job on the generated debug
 * fixture, test/helpers/debug-fixture.ts: 16 demo images as a debuggee writes them, the demo's triangle test
 * analysis) rendered in headless Chromium: the misclassified samples, their groups with evidence boxes on the
 * sample, mask what-ifs, the link back to the paused line; screenshots in dark and light.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { readNpy, writeNpy } from '../../src/engine/io/npy';
import type { BatchMessage } from '../../src/protocol/batch';
import { readResult } from '../../src/engine/result/store';
import { explainBatch } from '../../src/worker/jobs/explainBatch';
import { makeDebugFixture } from '../helpers/debug-fixture';
import { closeBrowser, openPanel, OUT, ROOT, type Harness } from './harness';

const FIXTURE = path.join(ROOT, 'test', 'fixture', 'debug');
let h: Harness;
let message: BatchMessage;
let dir: string;

before(async () => {
  await makeDebugFixture();
  dir = mkdtempSync(path.join(tmpdir(), 'nf-batch-view-'));
  // The fixture's uint8 NHWC pixels, normalised as the eval loop does (x/255 - 0.5) / 0.25.
  const px = readNpy(path.join(FIXTURE, 'batch-images.npy'));
  const x = Float32Array.from(px.data as Uint8Array, (v) => (v / 255 - 0.5) / 0.25);
  writeNpy(path.join(dir, 'images.npy'), px.shape, x);
  const explained = await explainBatch(
    {
      model: path.join(ROOT, 'demo', 'model', 'shortcut-resnet.onnx'),
      results: [path.join(FIXTURE, 'shortcut-triangle.neurflow-result.json')],
      images: { expression: 'images', path: path.join(dir, 'images.npy'), shape: px.shape, dtype: 'float32', source: 'numpy.ndarray float32' },
      labels: { expression: 'labels', path: path.join(FIXTURE, 'batch-labels.npy'), shape: [px.shape[0]], dtype: 'int64', source: 'numpy.ndarray int64' },
      provider: 'cpu',
    },
    { signal: new AbortController().signal, progress: () => undefined },
  );
  message = {
    ...explained,
    type: 'batch',
    source: { path: path.join(FIXTURE, 'eval_loop.py'), line: 30, frame: 'evaluate', session: 'Python: eval_loop' },
    expressions: { images: 'images', labels: 'labels' },
    transfer: { ms: 42, bytes: 16 * 64 * 64 * 3 * 4 },
  };
  mkdirSync(OUT, { recursive: true });
  h = await openPanel({ viewport: { width: 1000, height: 900 } });
  await h.waitForPosted('ready');
});

after(async () => {
  await h?.close();
  await closeBrowser();
  rmSync(dir, { recursive: true, force: true });
});

/** The n-th `rendered` report of `view` (1-based). */
async function renderedView(view: string, n = 1): Promise<{ type: string; view?: unknown; items?: unknown }> {
  await h.page.waitForFunction(
    ([v, k]) =>
      (window as unknown as { __posted: { type: string; view?: string }[] }).__posted.filter((m) => m.type === 'rendered' && m.view === v).length >=
      (k as number),
    [view, n] as const,
    { timeout: 10_000 },
  );
  return (await h.posted()).filter((m) => m.type === 'rendered' && m.view === view)[n - 1];
}

test('the batch view lists the misclassified samples and explains the first', async () => {
  assert.ok(message.misclassified.length > 0, 'the fixture batch has mistakes');
  await h.send(message);
  const rendered = await renderedView('batch');
  assert.deepEqual(
    rendered.items,
    message.misclassified.map((s) => String(s.index)),
  );
  // The selected sample and the groups listed for it, as the host's Explain Batch command waits for them.
  const sample = await renderedView('sample');
  const ex = message.misclassified[0].explanation;
  assert.deepEqual(sample.items, [String(message.misclassified[0].index), ...(ex?.groups ?? []).map((g) => `${ex!.layer}/G${g.group}`)]);
  const tiles = h.page.locator('.tiles [role=option]');
  assert.equal(await tiles.count(), message.misclassified.length);
  const first = message.misclassified[0];
  assert.match((await tiles.first().textContent())!, new RegExp(`${first.labelName} → ${first.predictedName}`));
  const groups = first.explanation?.groups ?? [];
  assert.equal(await h.page.locator('.detail .scored [role=option]').count(), groups.length);
  if (groups[0]) {
    // The top group's evidence + best crop, drawn where the worker put them (boxes in input pixels of 64).
    const drawn = await h.page.locator('.detail .box').evaluateAll((els) => els.map((e) => Number.parseFloat((e as HTMLElement).style.left)));
    assert.deepEqual(
      drawn,
      [...groups[0].evidence, groups[0].bestBox].map((b) => (b[0] / 64) * 100),
    );
  }
  await h.page.screenshot({ path: path.join(OUT, 'batch-dark.png'), fullPage: true });
  await h.setTheme('light');
  await h.page.screenshot({ path: path.join(OUT, 'batch-light.png'), fullPage: true });
  await h.setTheme('dark');
});

test('picking another group and sample redraws; the paused line opens', async () => {
  const withTwo = message.misclassified.findIndex((s) => (s.explanation?.groups.length ?? 0) > 1);
  if (withTwo >= 0) {
    const before = (await h.posted()).filter((m) => m.type === 'rendered' && (m as { view?: string }).view === 'sample').length;
    await h.page.locator('.tiles [role=option]').nth(withTwo).click();
    const s = message.misclassified[withTwo];
    assert.equal(
      (await renderedView('sample', before + 1)).items?.toString(),
      [String(s.index), ...s.explanation!.groups.map((g) => `${s.explanation!.layer}/G${g.group}`)].toString(),
    );
    await h.page.locator('.detail .scored [role=option]').nth(1).click();
    assert.equal(await h.page.locator('.detail .scored [role=option]').nth(1).getAttribute('aria-selected'), 'true');
    const g = s.explanation!.groups[1];
    assert.equal(await h.page.locator('.detail .box').count(), g.evidence.length + 1);
    assert.match((await h.page.locator('.detail h3').textContent())!, new RegExp(`Sample ${s.index}`));
  }
  await h.page.locator('vscode-button', { hasText: 'Go to Paused Line' }).click();
  const open = await h.waitForPosted('openFile');
  assert.deepEqual(open, { type: 'openFile', path: message.source.path, line: 30 });
});

test('a live-model export check is shown, and a mismatch is not hidden', async () => {
  const shown = async (m: BatchMessage) => {
    const before = (await h.posted()).filter((x) => x.type === 'rendered' && (x as { view?: string }).view === 'batch').length;
    await h.send(m);
    await renderedView('batch', before + 1);
  };
  await shown({ ...message, check: { maxLogitDiff: 1.5e-8, maxLogit: 3, tolerance: 3e-3, argmaxDisagreements: [] } });
  assert.equal(await h.page.locator('.export-check').textContent(), 'max |ONNX − PyTorch| logit 1.5e-8');
  assert.equal(await h.page.locator('.export-mismatch').count(), 0);
  await shown({ ...message, check: { maxLogitDiff: 0.25, maxLogit: 3, tolerance: 3e-3, argmaxDisagreements: [2, 5] } });
  assert.match(
    (await h.page.locator('.export-mismatch').textContent())!,
    /does not match your PyTorch model on this batch: largest logit difference 0\.250 \(tolerance 0\.0030\), another top class on sample\(s\) 2, 5/,
  );
  await shown(message);
  assert.equal(await h.page.locator('.export-check').count(), 0, 'no check without a live model');
});

test('the layer picker lists the grouped layers, starts at the strongest masking layer and says why; another layer redraws', async () => {
  const shown = (await h.posted()).filter((m) => m.type === 'rendered' && (m as { view?: string }).view === 'batch').length;
  await h.send(message);
  await renderedView('batch', shown + 1);
  const choice = message.layerChoice;
  assert.ok(choice, 'the worker chose a layer');
  // The fixture analysis groups fc, layer3.1, layer3.0, layer2.1, layer2.0: every one below the logits is offered.
  assert.deepEqual(
    choice.effects.map((e) => e.layer),
    ['layer3.1', 'layer3.0', 'layer2.1', 'layer2.0'],
  );
  const best = choice.effects.reduce((a, b) => (b.drop > a.drop ? b : a));
  assert.equal(choice.layer, best.layer, 'the layer shown first is the one where masking changes the explained class most');
  const picker = h.page.locator('select.layer-picker');
  assert.deepEqual(await picker.locator('option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value)), [
    'layer3.1',
    'layer3.0',
    'layer2.1',
    'layer2.0',
  ]);
  assert.equal(await picker.inputValue(), choice.layer);
  assert.match((await h.page.locator('.layer-why').textContent())!, new RegExp(`Shown first: ${choice.layer.replace('.', '\\.')}, the layer where masking`));
  const other = choice.effects.find((e) => e.layer !== choice.layer)!.layer;
  const n = (await h.posted()).filter((m) => m.type === 'rendered' && (m as { view?: string }).view === 'sample').length;
  // Keyboard: focus the picker and choose another layer.
  await picker.focus();
  await picker.selectOption(other);
  const s = message.misclassified[0];
  const at = s.explanation!.layers!.find((l) => l.layer === other)!;
  assert.deepEqual((await renderedView('sample', n + 1)).items, [String(s.index), ...at.groups.map((g) => `${other}/G${g.group}`)]);
  assert.match((await h.page.locator('.detail p.muted').first().textContent())!, new RegExp(`at ${other.replace('.', '\\.')}`));
});

test('In Circuit (click or Enter) opens the group in the analysis; the tabs open it; the analysis used is named and can be changed', async () => {
  const s = message.misclassified[0];
  const layer = await h.page.locator('select.layer-picker').inputValue();
  const groups = s.explanation!.layers!.find((l) => l.layer === layer)!.groups;
  const count = async (type: string) => (await h.posted()).filter((m) => m.type === type).length;
  let before = await count('openAnalysis');
  await h.page.locator('.detail .open-circuit').first().click();
  await h.page.waitForFunction(
    (k) => (window as unknown as { __posted: { type: string }[] }).__posted.filter((m) => m.type === 'openAnalysis').length > k,
    before,
  );
  let posted = (await h.posted()).filter((m) => m.type === 'openAnalysis').pop();
  assert.deepEqual(posted, { type: 'openAnalysis', result: s.explanation!.result, tab: 'circuit', layer, group: groups[0].group });
  // The click on the button does not select the row (the row keeps showing the first group's boxes).
  assert.equal(await h.page.locator('.detail .scored [role=option]').first().getAttribute('aria-selected'), 'true');
  if (groups.length > 1) {
    before = await count('openAnalysis');
    await h.page.locator('.detail .open-circuit').nth(1).focus();
    await h.page.keyboard.press('Enter');
    await h.page.waitForFunction(
      (k) => (window as unknown as { __posted: { type: string }[] }).__posted.filter((m) => m.type === 'openAnalysis').length > k,
      before,
    );
    posted = (await h.posted()).filter((m) => m.type === 'openAnalysis').pop();
    assert.deepEqual(posted, { type: 'openAnalysis', result: s.explanation!.result, tab: 'circuit', layer, group: groups[1].group });
  }
  // The tabs beside Batch open the analysis's views.
  assert.deepEqual(await h.page.locator('.tabs [role=tab]').allTextContents(), ['Circuit', 'Group', 'Mistakes', 'Batch']);
  assert.equal(await h.page.locator('#tab-batch').getAttribute('aria-selected'), 'true');
  before = await count('openAnalysis');
  await h.page.locator('#tab-mistakes').click();
  await h.page.waitForFunction(
    (k) => (window as unknown as { __posted: { type: string }[] }).__posted.filter((m) => m.type === 'openAnalysis').length > k,
    before,
  );
  assert.deepEqual((await h.posted()).filter((m) => m.type === 'openAnalysis').pop(), { type: 'openAnalysis', result: s.explanation!.result, tab: 'mistakes' });
  // Which analysis, with its parameters and file; Change asks the host.
  const r = message.results[0];
  const row = await h.page.locator('.analysis-list li').first().textContent();
  assert.match(row!, new RegExp(`^${r.className} · τ ${r.tau} · ${r.igSteps} steps · created ${r.createdAt!.slice(0, 10)}`));
  assert.match(row!, /shortcut-triangle\.neurflow-result\.json/);
  await h.page.locator('.change-analysis').click();
  await h.waitForPosted('changeBatchAnalysis');
  await h.page.screenshot({ path: path.join(OUT, 'batch-layers-dark.png'), fullPage: true });
});

test('the batch view survives a reload from the saved state', async () => {
  await h.page.reload();
  await h.waitForPosted('ready');
  await renderedView('batch');
  assert.equal(await h.page.locator('.tiles [role=option]').count(), message.misclassified.length);
});

test('the analysis opened from a batch selects the group and keeps a Batch tab that asks for the batch again', async () => {
  const s = message.misclassified[0];
  const layer = s.explanation!.layer;
  const group = s.explanation!.groups[0].group;
  const doc = readResult(s.explanation!.result);
  const n = (await h.posted()).filter((m) => m.type === 'rendered' && (m as { view?: string }).view === 'group').length;
  await h.send({ type: 'result', doc, file: s.explanation!.result, tab: 'circuit', group: { layer, group }, batch: 'Batch at eval_loop.py:30' });
  await renderedView('group', n + 1);
  assert.equal((await h.page.locator('.group-pane .group-head h2').textContent())?.replace(/\s+/g, ' '), `${layer} · G${group}`);
  assert.deepEqual(await h.page.locator('.tabs [role=tab]').allTextContents(), ['Circuit', 'Group', 'Mistakes', 'Batch']);
  await h.setTheme('light');
  await h.page.screenshot({ path: path.join(OUT, 'batch-circuit-light.png'), fullPage: true });
  await h.setTheme('dark');
  // Keyboard: from the last result tab, ArrowRight reaches Batch; Enter asks the host for the batch.
  await h.page.locator('#tab-mistakes').click();
  await h.page.locator('#tab-mistakes').focus();
  await h.page.keyboard.press('ArrowRight');
  assert.equal(await h.page.evaluate(() => document.activeElement?.id), 'tab-batch');
  await h.page.keyboard.press('Enter');
  await h.waitForPosted('showBatch');
});

test('no console errors, page errors or CSP violations', async () => {
  assert.deepEqual(h.errors(), []);
  assert.deepEqual(await h.violations(), []);
});

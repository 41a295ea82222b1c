/**
 * The panel's webview against the built bundle in headless Chromium: handshake, the model view with the
 * layers it reports back, state across reloads, errors, bad messages, CSP, keyboard, screenshot.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { describeModel } from '../../src/worker/jobs/describeModel';
import type { ModelSummary } from '../../src/protocol/summary';
import { closeBrowser, openPanel, OUT, ROOT, type Harness } from './harness';

let summary: ModelSummary;
let h: Harness;

before(async () => {
  // The real worker job on the demo model: the data the host sends in practice.
  const ctx = { signal: new AbortController().signal, progress: () => undefined };
  summary = await describeModel({ path: path.join(ROOT, 'demo', 'model', 'shortcut-resnet.onnx'), provider: 'cpu' }, ctx);
  mkdirSync(OUT, { recursive: true });
  h = await openPanel();
});

after(async () => {
  await h?.close();
  await closeBrowser();
});

test('the webview says ready once its script runs', async () => {
  const ready = await h.waitForPosted('ready');
  assert.deepEqual(ready, { type: 'ready' });
});

test('the model view renders the summary and reports the layers it shows', async () => {
  await h.send({ type: 'model', summary });
  const rendered = await h.waitForPosted('rendered');
  assert.equal(rendered.view, 'model');
  assert.ok(summary.layers.length >= 2, `the demo model has layers: ${summary.layersNote}`);
  assert.deepEqual(
    rendered.items,
    summary.layers.map((l) => l.name),
  );
  const page = h.page;
  assert.equal(await page.locator('h1').textContent(), summary.fileName);
  const layerRows = page.locator('#layers vscode-table-row');
  assert.equal(await layerRows.count(), summary.layers.length);
  for (const [i, layer] of summary.layers.entries()) {
    assert.ok((await layerRows.nth(i).textContent())!.includes(layer.tensor), `row ${i} shows ${layer.tensor}`);
  }
  const ops = await page.locator('.ops li').allTextContents();
  assert.deepEqual(
    ops,
    summary.operators.map((o) => `${o.opType}${o.count}`),
  );
  await page.screenshot({ path: path.join(OUT, 'model-view.png'), fullPage: true });
});

test('the panel uses no resource its CSP forbids', async () => {
  assert.deepEqual(await h.violations(), []);
});

test('Reveal File posts openFile with the model path', async () => {
  await h.page.locator('vscode-button', { hasText: 'Reveal File' }).click();
  const open = await h.waitForPosted('openFile');
  assert.equal(open.path, summary.path);
});

test('the layer rows are reachable with the keyboard', async () => {
  await h.page.locator('vscode-button').focus();
  let reached = false;
  for (let i = 0; i < 6 && !reached; i++) {
    await h.page.keyboard.press('Tab');
    reached = await h.page.evaluate(() => document.activeElement?.tagName === 'VSCODE-TABLE-ROW');
  }
  assert.ok(reached, 'Tab from the button reaches a layer row');
});

test('after a reload the view comes back from the saved state', async () => {
  await h.page.reload();
  // The stand-in keeps posted messages per document: after the reload the list restarts.
  await h.waitForPosted('ready');
  const rendered = await h.waitForPosted('rendered');
  assert.deepEqual(
    rendered.items,
    summary.layers.map((l) => l.name),
  );
  assert.equal(await h.page.locator('#layers vscode-table-row').count(), summary.layers.length);
});

test('an error view shows the message', async () => {
  const message = `${summary.path}: not an ONNX model (protobuf decoding failed)`;
  await h.send({ type: 'error', title: summary.fileName, message });
  const rendered = (await h.posted()).filter((m) => m.type === 'rendered').at(-1)!;
  assert.equal(rendered.view, 'error');
  assert.equal(await h.page.locator('[role=alert] .message').textContent(), message);
});

test('a malformed message is reported, not rendered', async () => {
  const before = await h.page.locator('#app').innerHTML();
  await h.send({ type: 'model', summary: { path: 42 } });
  const failure = await h.waitForPosted('failure');
  assert.match(String(failure.message), /unknown message/);
  assert.equal(await h.page.locator('#app').innerHTML(), before);
});

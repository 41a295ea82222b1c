/**
 * Issue 18 (a new user's hands-on session), one test per fixed item, against the built bundle in headless Chromium
 * with THE demo result (test/helpers/demo-result.ts) and the stand-in host for model runs. Every test takes its
 * screenshots into .test-out/webview/issue18-*.png and the suite checks that the page logged no console error.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { ScanResult } from '../../src/engine/data/scan';
import type { ResultDocument } from '../../src/engine/result/schema';
import { embedImages } from '../../src/extension/results/report';
import type { ResultViewMessage } from '../../src/protocol/webview';
import { demoResult, demoScan, DEMO_IMAGES } from './demo-result';
import { closeBrowser, openPanel, OUT, ROOT, type Harness } from './harness';
import { StandInHost } from './stand-in-host';

type Posted = { type: string; [k: string]: unknown };

let doc: ResultDocument;
let scan: ScanResult;
let h: Harness;
let stopHost: () => void;
let message: ResultViewMessage;

const shot = (name: string, fullPage = false) => h.page.screenshot({ path: path.join(OUT, `issue18-${name}.png`), fullPage });

async function renderedCount(view: string): Promise<number> {
  return (await h.posted()).filter((m) => m.type === 'rendered' && m.view === view).length;
}

async function waitRendered(view: string, after: number): Promise<Posted> {
  await h.page.waitForFunction(
    ([v, n]) => (window as unknown as { __posted: Posted[] }).__posted.filter((m) => m.type === 'rendered' && m.view === v).length > (n as number),
    [view, after] as const,
    { timeout: 60_000 },
  );
  return (await h.posted()).filter((m) => m.type === 'rendered' && m.view === view).at(-1)!;
}

/** The circuit's cytoscape instance, as seen from the page (cytoscape keeps it on its container). */
const cyEval = <T>(fn: string) =>
  h.page.evaluate(`(() => { const cy = document.querySelector('.circuit-canvas')._cyreg.cy; return (${fn})(cy); })()`) as Promise<T>;

async function showResult(tab: ResultViewMessage['tab'] = 'circuit'): Promise<void> {
  const n = await renderedCount('result');
  await h.send({ ...message, tab });
  await waitRendered('result', n);
}

before(async () => {
  const [res, s] = await Promise.all([demoResult(), demoScan()]);
  doc = res.doc;
  scan = s;
  mkdirSync(OUT, { recursive: true });
  h = await openPanel({ serve: { data: DEMO_IMAGES }, viewport: { width: 1920, height: 1080 } });
  const host = new StandInHost(doc, scan, DEMO_IMAGES);
  stopHost = host.serve(h);
  message = {
    type: 'result',
    doc,
    scan,
    datasetRoot: DEMO_IMAGES,
    imageBase: `${new URL(h.url).origin}/data`,
    file: path.join(ROOT, '.cache', 'webview', 'demo.neurflow-result.json'),
  };
  await h.waitForPosted('ready');
});

after(async () => {
  stopHost?.();
  assert.deepEqual(h?.errors() ?? [], [], 'no console errors');
  assert.deepEqual((await h?.violations()) ?? [], [], 'no CSP violations');
  await h?.close();
  await closeBrowser();
});

test('item 1: the header shows every remembered answer with a Change action that asks the host', async () => {
  await showResult();
  const rows = await h.page.locator('.run .run-row').evaluateAll((els) =>
    els.map((e) => ({
      answer: (e as HTMLElement).dataset.answer,
      text: e.querySelector('dd')!.textContent,
      change: !!e.querySelector('vscode-button.change'),
    })),
  );
  type Row = (typeof rows)[number];
  const byAnswer: Record<string, Row> = Object.fromEntries(rows.filter((r) => r.answer).map((r) => [r.answer, r]));
  assert.deepEqual(Object.keys(byAnswer).sort(), ['class', 'dataset', 'layers', 'preprocessing', 'steps', 'tau']);
  for (const r of Object.values(byAnswer)) assert.ok(r.change, `${r.answer} has a Change action`);
  assert.match(byAnswer.dataset.text!, new RegExp(DEMO_IMAGES.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  assert.match(byAnswer.preprocessing.text!, /64×64 px/);
  assert.equal(byAnswer.tau.text, String(doc.params.tau));
  assert.equal(byAnswer.steps.text, String(doc.params.igSteps));
  assert.match(byAnswer.class.text!, new RegExp(doc.class.name));
  assert.equal(byAnswer.layers.text, doc.layers.map((l) => l.name).join(' › '));
  assert.ok(
    rows.some((r) => r.text === doc.model.path),
    'the model path is shown',
  );
  await shot('1-header');
  // Keyboard: Tab to "Change preprocessing" and press Enter.
  const before = (await h.posted()).filter((m) => m.type === 'changeAnswer').length;
  await h.page.locator('.run vscode-button[data-answer="preprocessing"]').focus();
  await h.page.keyboard.press('Enter');
  await h.waitForPosted('changeAnswer', before + 1);
  const sent = (await h.posted()).filter((m) => m.type === 'changeAnswer').at(-1);
  assert.deepEqual(sent, { type: 'changeAnswer', answer: 'preprocessing' });
  await h.page.locator('.run vscode-button[data-answer="dataset"]').click();
  await h.waitForPosted('changeAnswer', before + 2);
  assert.deepEqual((await h.posted()).filter((m) => m.type === 'changeAnswer').at(-1), { type: 'changeAnswer', answer: 'dataset' });
});

test('item 1: a failed run offers to change the answers that caused it (error view and notice)', async () => {
  const n = await renderedCount('error');
  await h.send({
    type: 'error',
    title: 'tiny-64.onnx',
    message: 'preprocessing crops 224 px but the model takes 64x64 images',
    changes: ['preprocessing', 'dataset'],
    model: '/work/tiny-64.onnx',
  });
  await waitRendered('error', n);
  const buttons = await h.page.locator('.status.error .change-actions vscode-button').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.answer));
  assert.deepEqual(buttons, ['preprocessing', 'dataset']);
  await shot('1-error');
  const before = (await h.posted()).filter((m) => m.type === 'changeAnswer').length;
  await h.page.locator('.status.error vscode-button[data-answer="preprocessing"]').click();
  await h.waitForPosted('changeAnswer', before + 1);
  assert.deepEqual((await h.posted()).filter((m) => m.type === 'changeAnswer').at(-1), { type: 'changeAnswer', answer: 'preprocessing' });
  // An error notice over a shown result offers the same.
  await showResult();
  await h.send({ type: 'notice', level: 'error', message: 'the scan failed', changes: ['dataset'] });
  await h.page.locator('#notices .notice.error vscode-button[data-answer="dataset"]').waitFor();
  await shot('1-notice');
  await h.page.locator('#notices .notice.error vscode-icon[name="close"]').click();
});

test('item 2: the circuit fills a wide pane, has the class on top, readable captions, tooltips, wheel scroll and zoom buttons', async () => {
  await showResult();
  await h.page.waitForTimeout(300);
  const box = await h.page.locator('.circuit-canvas').boundingBox();
  assert.ok(box && box.width > 1200, `the canvas fills the width (${box?.width})`);
  assert.ok(box && box.height >= 420, `and is tall (${box?.height})`);
  const info = await cyEval<{ zoom: number; font: number; cls: string; core: number; bb: { w: number; h: number } }>(`(cy) => ({
    zoom: cy.zoom(),
    font: parseFloat(cy.nodes('.group').first().style('font-size')),
    cls: cy.getElementById('class').data('caption'),
    core: cy.nodes('.core').length,
    bb: cy.elements().renderedBoundingBox({ includeLabels: true }),
  })`);
  assert.equal(info.cls, `class ${doc.class.name}`, 'a class node on top');
  const lowest = doc.layers.find((l) => !l.grouping)!;
  assert.equal(info.core, lowest.neurons.length, `the core neurons of ${lowest.name} are drawn`);
  assert.ok(info.font * info.zoom >= 12, `captions render at >= 12 px (${(info.font * info.zoom).toFixed(1)})`);
  assert.ok(NODE_PX(info.zoom) >= 30, `nodes render at >= 30 px (${NODE_PX(info.zoom).toFixed(0)})`);
  assert.ok(info.bb.w > 0.5 * box!.width, `the graph uses the pane's width (${info.bb.w.toFixed(0)} of ${box!.width})`);
  const classY = await cyEval<number>(`(cy) => cy.getElementById('class').position().y`);
  const minGroupY = await cyEval<number>(`(cy) => Math.min(...cy.nodes('.group').map((n) => n.position().y))`);
  assert.ok(classY < minGroupY, 'the class node is above every group');
  await shot('2-circuit-1920', true);
  // Tooltip on hover.
  const pos = await cyEval<{ x: number; y: number }>(`(cy) => cy.nodes('.group').first().renderedPosition()`);
  await h.page.mouse.move(box!.x + pos.x, box!.y + pos.y);
  await h.page.locator('.cy-tip:not([hidden])').waitFor({ timeout: 5000 });
  const tip = await h.page.locator('.cy-tip').textContent();
  assert.match(tip!, /core neuron/);
  await shot('2-tooltip');
  const corePos = await cyEval<{ x: number; y: number }>(`(cy) => cy.nodes('.core').first().renderedPosition()`);
  await h.page.evaluate((y) => window.scrollTo(0, y), Math.max(0, box!.y + corePos.y - 500));
  const box2 = (await h.page.locator('.circuit-canvas').boundingBox())!;
  // Polled from here (a few 1-px moves over the node) rather than with waitForFunction's animation-frame polling.
  let coreTip = '';
  for (let k = 0; k < 50 && !/Core neuron/.test(coreTip); k++) {
    await h.page.mouse.move(box2.x + corePos.x + (k % 3) - 1, box2.y + corePos.y + (k % 2));
    await h.page.waitForTimeout(100);
    coreTip = (await h.page.locator('.cy-tip').textContent()) ?? '';
  }
  assert.match(coreTip, /Core neuron/, 'hovering a core neuron of the lowest layer says what it is');
  // The wheel scrolls the page and leaves the zoom alone; Ctrl+wheel zooms.
  const z0 = await cyEval<number>('(cy) => cy.zoom()');
  await h.page.evaluate(() => window.scrollTo(0, 0));
  const b0 = (await h.page.locator('.circuit-canvas').boundingBox())!;
  await h.page.mouse.move(b0.x + b0.width / 2, b0.y + 200);
  const y0 = await h.page.evaluate(() => window.scrollY);
  await h.page.mouse.wheel(0, 300);
  await h.page.waitForTimeout(200);
  assert.equal(await cyEval<number>('(cy) => cy.zoom()'), z0, 'the wheel does not zoom');
  assert.ok((await h.page.evaluate(() => window.scrollY)) > y0, 'the wheel scrolls the page');
  await h.page.evaluate(() => window.scrollTo(0, 0));
  const c = await h.page.locator('.circuit-canvas').boundingBox();
  // A point of the canvas inside the viewport (the canvas may reach below it).
  await h.page.mouse.move(c!.x + c!.width / 2, c!.y + Math.min(c!.height / 2, 200));
  await h.page.keyboard.down('Control');
  await h.page.mouse.wheel(0, -200);
  await h.page.keyboard.up('Control');
  await h.page.waitForTimeout(100);
  assert.ok((await cyEval<number>('(cy) => cy.zoom()')) > z0, 'Ctrl+wheel zooms in');
  // Buttons: zoom out, fit.
  const z1 = await cyEval<number>('(cy) => cy.zoom()');
  await h.page.locator('.circuit-toolbar vscode-button[data-action="zoom-out"]').click();
  assert.ok((await cyEval<number>('(cy) => cy.zoom()')) < z1, 'Zoom out');
  await h.page.locator('.circuit-toolbar vscode-button[data-action="screen-full"]').click();
  assert.ok(Math.abs((await cyEval<number>('(cy) => cy.zoom()')) - z0) < 1e-6, 'Fit restores the fitted view');
  // The list names the lowest layer's core neurons and why they have no groups.
  const coreText = await h.page.locator('.group-list .core-layer').textContent();
  assert.match(coreText!, new RegExp(`${lowest.name}.*no groups`, 's'));
});

/** Rendered node size at a zoom (the style's 56 model units). */
const NODE_PX = (zoom: number) => 56 * zoom;

test('item 2: a narrow pane keeps captions readable (the canvas grows instead of shrinking the text)', async () => {
  await h.page.setViewportSize({ width: 700, height: 900 });
  await showResult();
  await h.page.waitForTimeout(400);
  const info = await cyEval<{ zoom: number; font: number }>(`(cy) => ({ zoom: cy.zoom(), font: parseFloat(cy.nodes('.group').first().style('font-size')) })`);
  assert.ok(info.font * info.zoom >= 12, `captions >= 12 px at 700 px (${(info.font * info.zoom).toFixed(1)})`);
  assert.ok(NODE_PX(info.zoom) >= 30, `nodes >= 30 px at 700 px (${NODE_PX(info.zoom).toFixed(0)})`);
  await shot('2-circuit-700', true);
  await h.page.setViewportSize({ width: 1920, height: 1080 });
  await h.page.waitForTimeout(300);
});

test('item 3: the details of a gallery image, a masked group and a selected group come into view', async () => {
  await showResult('mistakes');
  await h.page.evaluate(() => window.scrollTo(0, 0));
  const tiles = h.page.locator('.tiles [role=option]');
  assert.ok((await tiles.count()) > 0);
  const n = await renderedCount('explanation');
  await tiles.last().click();
  await waitRendered('explanation', n);
  const top = await h.page.locator('.detail').evaluate((e) => e.getBoundingClientRect().top);
  assert.ok(top >= -1 && top < 1080 - 300, `the detail is in view (top ${top.toFixed(0)})`);
  await shot('3-detail-in-view');
  const m = await renderedCount('maskResult');
  await h.page.locator('.detail vscode-button', { hasText: 'Mask Group' }).click();
  await waitRendered('maskResult', m);
  const r = await h.page.locator('.mask-out').evaluate((e) => e.getBoundingClientRect());
  assert.ok(r.top >= 0 && r.bottom <= 1080 + 1, `the mask result is in view (${r.top.toFixed(0)}..${r.bottom.toFixed(0)})`);
  await shot('3-mask-in-view');
  // Circuit: selecting a group shows a Details button that scrolls to it.
  await showResult('circuit');
  await h.page.evaluate(() => window.scrollTo(0, 0));
  await h.page.locator('.group-list [role=option]').nth(1).click();
  await h.page.locator('.details-button:not([hidden])').click();
  const pane = await h.page.locator('.group-pane').evaluate((e) => e.getBoundingClientRect().top);
  assert.ok(pane >= -1 && pane < 200, `the group pane is scrolled into view (${pane.toFixed(0)})`);
  assert.equal(await h.page.evaluate(() => document.activeElement?.tagName), 'H2', 'the focus moves to the details heading');
  await shot('3-group-details');
});

test('item 4: the terms are explained where they appear (hover help) and in a legend', async () => {
  await showResult('circuit');
  await h.page.locator('.group-list [role=option]').first().click();
  const terms = await h.page.locator('.term').evaluateAll((els) => els.map((e) => [(e as HTMLElement).dataset.term, e.getAttribute('title')]));
  for (const t of ['group', 'core neuron', 'sub-concept', 'weight', 'activation', 'tau', 'steps']) {
    const hit = terms.find(([k]) => k === t);
    assert.ok(hit?.[1] && hit[1].length > 40, `${t} is explained in place`);
  }
  await h.page.locator('.glossary summary').first().click();
  const dts = await h.page.locator('.glossary[open] dt').allTextContents();
  for (const t of ['group', 'core neuron', 'sub-concept', 'weight', 'score']) assert.ok(dts.includes(t), `the legend explains ${t}`);
  await h.page.locator('.glossary').first().scrollIntoViewIfNeeded();
  await shot('4-legend');
});

test('item 5: the header tells runs apart: model path, tau, steps and layers', async () => {
  await showResult('circuit');
  const title = await h.page.locator('header.title h1').textContent();
  assert.match(title!, new RegExp(`τ ${doc.params.tau} · ${doc.params.igSteps} steps · ${doc.layers.length} layers`));
  const other = structuredClone(message);
  other.doc = { ...doc, params: { ...doc.params, tau: 16 } };
  await h.send(other);
  await h.page.waitForFunction(() => /τ 16/.test(document.querySelector('header.title h1')?.textContent ?? ''));
  assert.equal(await h.page.locator('.run-row[data-answer="tau"] dd').textContent(), '16');
  await shot('5-run-identity');
});

test('item 7: keyboard focus stays put after Enter on a group and after arrow keys on a slider', async () => {
  await showResult('circuit');
  const opt = h.page.locator('.group-list [role=option]').nth(2);
  await opt.focus();
  await h.page.keyboard.press('Enter');
  await h.page.waitForFunction(() => document.querySelector('[role=tab][aria-selected=true]')?.id === 'tab-group');
  assert.equal(await h.page.evaluate(() => document.activeElement?.tagName), 'SELECT', 'focus is on the group picker');
  await shot('7-focus-after-enter');
  await showResult('circuit');
  const layer = doc.layers.find((l) => l.grouping && l.grouping.pairs.length > 2)!.name;
  const slider = h.page.locator(`.count-slider[data-layer="${layer}"]`);
  const v0 = Number(await slider.inputValue());
  await slider.focus();
  await h.page.keyboard.press(v0 > 1 ? 'ArrowLeft' : 'ArrowRight');
  await h.page.waitForTimeout(300);
  const active = await h.page.evaluate(() => [document.activeElement?.className, (document.activeElement as HTMLElement)?.dataset.layer]);
  assert.deepEqual(active, ['count-slider', layer], 'the slider keeps the focus');
  await h.page.keyboard.press(v0 > 1 ? 'ArrowRight' : 'ArrowLeft');
  await h.page.waitForTimeout(300);
  assert.equal(Number(await h.page.locator(`.count-slider[data-layer="${layer}"]`).inputValue()), v0, 'a second arrow press acts on the same slider');
  await shot('7-focus-slider');
});

test('item 9: gallery filter, full captions, circuit PNG and a self-contained HTML report', async () => {
  await showResult('mistakes');
  const all = await h.page.locator('.tiles [role=option]').count();
  const first = await h.page.locator('.tiles [role=option]').first().getAttribute('data-image');
  await h.page.locator('.gallery-filter').fill(first!);
  await h.page.waitForFunction(() => /of/.test(document.querySelector('.filter-count')?.textContent ?? ''));
  const visible = await h.page.locator('.tiles [role=option]:not([hidden])').count();
  assert.ok(visible >= 1 && visible < all, `the filter narrows the gallery (${visible} of ${all})`);
  await shot('9-filter');
  await h.page.locator('.gallery-filter').fill('');
  // Group crops: captions wrap instead of being cut.
  await showResult('group');
  const overflow = await h.page
    .locator('figure.boxed figcaption')
    .first()
    .evaluate((e) => getComputedStyle(e).textOverflow);
  assert.notEqual(overflow, 'ellipsis');
  // Exports.
  const nPng = (await h.posted()).filter((m) => m.type === 'exportCircuit').length;
  await h.page.locator('header.title vscode-button', { hasText: 'Export Circuit' }).click();
  const png = (await h.waitForPosted('exportCircuit', nPng + 1)) as unknown as { png: string; name: string };
  assert.match(png.png, /^data:image\/png;base64,/);
  const bytes = Buffer.from(png.png.split(',')[1], 'base64');
  assert.ok(bytes.length > 5000, `a real PNG (${bytes.length} bytes)`);
  writeFileSync(path.join(OUT, 'issue18-9-circuit-export.png'), bytes);
  const nHtml = (await h.posted()).filter((m) => m.type === 'exportReport').length;
  await h.page.locator('header.title vscode-button', { hasText: 'Export Report' }).click();
  const report = (await h.waitForPosted('exportReport', nHtml + 1)) as unknown as { html: string; name: string };
  const { html, embedded, dropped } = embedImages(report.html, DEMO_IMAGES);
  assert.ok(embedded > 0 && dropped === 0, `dataset images inlined (${embedded}, ${dropped} dropped)`);
  assert.ok(!/data-embed|https?:\/\/|vscode-resource|vscode-webview/.test(html), 'no outside reference');
  assert.match(html, /<img class="circuit" src="data:image\/png;base64,/);
  const groups = doc.layers.reduce((n, l) => n + (l.grouping?.groups.length ?? 0), 0);
  assert.equal((html.match(/<section class="group"/g) ?? []).length, groups, 'every group is in the report');
  const file = path.join(OUT, 'issue18-report.html');
  writeFileSync(file, html);
  assert.ok(existsSync(file) && readFileSync(file, 'utf8').length > 10_000);
  // Opens in a plain browser page, without the webview or VS Code.
  const page = await h.page.context().browser()!.newPage();
  const errors: string[] = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto(`file://${file}`);
  const broken = await page.evaluate(() => [...document.images].filter((i) => !i.complete || i.naturalWidth === 0).length);
  assert.equal(broken, 0, 'every image of the report loads');
  await page.screenshot({ path: path.join(OUT, 'issue18-9-report.png'), fullPage: false });
  assert.deepEqual(errors, []);
  await page.close();
});

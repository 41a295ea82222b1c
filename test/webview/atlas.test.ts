/**
 * Issue 19 (panel): the atlas view (class list, filter, sort, keyboard open of a class, links between groups shared
 * across classes), the compare view (both circuits drawn, the diff engine's differences marked, a self-compare all
 * matched) and the result view's bar (back to the atlas, Compare with...). The messages are built from THE demo
 * result by the host's own builders (src/extension/results/atlas-view.ts, src/engine/atlas/shared.ts), so the
 * shapes are the real ones. Screenshots go to .test-out/webview/atlas-*.png and compare-*.png.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { groupsOf, sharedGroups } from '../../src/engine/atlas/shared';
import type { ScanResult } from '../../src/engine/data/scan';
import type { ResultDocument } from '../../src/engine/result/schema';
import { atlasView, compareView, withShared } from '../../src/extension/results/atlas-view';
import type { AtlasViewMessage, CompareViewMessage } from '../../src/protocol/atlas';
import type { ResultViewMessage } from '../../src/protocol/webview';
import { demoResult, demoScan, DEMO_IMAGES } from './demo-result';
import { closeBrowser, openPanel, OUT, type Harness } from './harness';

type Posted = { type: string; items?: string[]; [k: string]: unknown };

let doc: ResultDocument;
let scan: ScanResult;
let h: Harness;
const FOLDER = '/work/atlas-out';

const shot = (name: string, fullPage = true) => h.page.screenshot({ path: path.join(OUT, `${name}.png`), fullPage });

/** Sends the atlas with an empty filter box (the view keeps the filter of the same atlas across messages). */
async function sendAtlas(m: AtlasViewMessage): Promise<Posted> {
  const r = await send(m);
  if (await h.page.locator('.atlas-filter').inputValue()) {
    await h.page.locator('.atlas-filter').fill('');
    return { ...r, items: await h.page.locator('.atlas-row').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.class ?? '')) };
  }
  return r;
}

async function send(message: { type: string; [k: string]: unknown }): Promise<Posted> {
  const n = (await h.posted()).filter((m) => m.type === 'rendered' && m.view === message.type).length;
  await h.send(message);
  await h.page.waitForFunction(
    ([v, k]) => (window as unknown as { __posted: Posted[] }).__posted.filter((m) => m.type === 'rendered' && m.view === v).length > (k as number),
    [message.type, n] as const,
    { timeout: 30_000 },
  );
  return (await h.posted()).filter((m) => m.type === 'rendered' && m.view === message.type).at(-1)!;
}

async function lastPosted(type: string, before: number): Promise<Posted> {
  await h.waitForPosted(type, before + 1);
  return (await h.posted()).filter((m) => m.type === type).at(-1)!;
}

const count = async (type: string) => (await h.posted()).filter((m) => m.type === type).length;

/** A copy of the demo result as another class, its groups' member neurons slightly changed (one neuron fewer). */
function asClass(name: string, index: number, drop: boolean): ResultDocument {
  const d = structuredClone(doc);
  d.class = { ...d.class, name, index };
  if (drop) {
    for (const l of d.layers) {
      const g = l.grouping;
      if (!g) continue;
      for (const group of g.groups) if (group.members.length > 3) group.members = group.members.slice(0, -1);
    }
  }
  return d;
}

/** The atlas message the host sends, with shared groups between triangle and square (and none for circle). */
function atlasMessage(): AtlasViewMessage {
  const index = {
    format: 'neurflow.atlas',
    version: 1,
    model: doc.model.path,
    accuracy: 0.8125,
    imageCount: 400,
    classes: [
      {
        class: 'circle',
        index: 0,
        result: 'circle.neurflow-result.json',
        status: 'done',
        images: 100,
        predicted: 90,
        correct: 88,
        accuracy: 0.88,
        precision: 0.97,
        errors: 12,
        falsePositives: 2,
        suspectedLabelErrors: 1,
      },
      {
        class: 'square',
        index: 1,
        result: 'square.neurflow-result.json',
        status: 'done',
        images: 100,
        predicted: 95,
        correct: 80,
        accuracy: 0.8,
        precision: 0.84,
        errors: 20,
        falsePositives: 15,
        suspectedLabelErrors: 3,
      },
      {
        class: 'star',
        index: 2,
        result: 'star.neurflow-result.json',
        status: 'failed',
        images: 100,
        predicted: 70,
        correct: 60,
        accuracy: 0.6,
        precision: 0.85,
        errors: 40,
        falsePositives: 10,
        suspectedLabelErrors: 0,
        error: 'onnxruntime: out of memory',
      },
      {
        class: 'triangle',
        index: 3,
        result: 'triangle.neurflow-result.json',
        status: 'done',
        images: 100,
        predicted: 145,
        correct: 97,
        accuracy: 0.97,
        precision: 0.67,
        errors: 3,
        falsePositives: 48,
        suspectedLabelErrors: 2,
      },
      {
        class: '../outside',
        index: 4,
        result: '../outside.neurflow-result.json',
        status: 'done',
        images: 0,
        predicted: 0,
        correct: 0,
        accuracy: null,
        precision: null,
        errors: 0,
        falsePositives: 0,
      },
    ],
  };
  const view = atlasView(index, path.join(FOLDER, 'atlas.json'));
  // circle: a result with different neurons (channels shifted), so it shares nothing.
  const circle = groupsOf(asClass('circle', 0, false));
  for (const l of circle.layers) for (const g of l.groups) g.neurons = g.neurons.map((n) => n + 100_000);
  const shared = sharedGroups([circle, { ...groupsOf(asClass('square', 1, true)), class: 'square' }, { ...groupsOf(doc), class: 'triangle' }], 0.5);
  return withShared(view, shared, 0.5, []);
}

before(async () => {
  const [res, s] = await Promise.all([demoResult(), demoScan()]);
  doc = res.doc;
  scan = s;
  mkdirSync(OUT, { recursive: true });
  h = await openPanel({ viewport: { width: 1400, height: 900 } });
  await h.waitForPosted('ready');
});

after(async () => {
  assert.deepEqual(h?.errors() ?? [], [], 'no console errors');
  assert.deepEqual((await h?.violations()) ?? [], [], 'no CSP violations');
  await h?.close();
  await closeBrowser();
});

test('atlas: the class list shows status, images, accuracy, errors and label errors; a result outside the folder is dropped', async () => {
  const m = atlasMessage();
  assert.equal(m.classes.length, 4, 'the class whose result lies outside the atlas folder is not listed');
  const rendered = await sendAtlas(m);
  assert.deepEqual(rendered.items, ['circle', 'square', 'star', 'triangle']);
  const rows = await h.page.locator('.atlas-row').evaluateAll((els) => els.map((e) => [...e.querySelectorAll('td')].map((td) => td.textContent?.trim() ?? '')));
  assert.equal(rows.length, 4);
  assert.match(rows[1][0], /square/);
  assert.equal(rows[1][1], 'done');
  assert.equal(rows[1][2], '100');
  assert.equal(rows[1][3], '80.0%');
  assert.equal(rows[1][4], '20');
  assert.equal(rows[1][5], '3', 'suspected label errors');
  assert.match(rows[2][1], /failed.*out of memory/);
  const headers = await h.page.locator('.atlas-table th').allTextContents();
  assert.ok(headers.includes('Suspected label errors'));
  assert.ok(!headers.includes('Shortcuts'), 'no shortcuts column when the index has none');
  assert.match((await h.page.locator('.atlas-shared-status').textContent()) ?? '', /groups shared across classes/);
  await shot('atlas-dark');
  await h.setTheme('light');
  await shot('atlas-light');
  await h.setTheme('dark');
});

test('atlas: the filter box narrows the list and the headers sort it', async () => {
  await sendAtlas(atlasMessage());
  await h.page.locator('.atlas-filter').fill('circ');
  assert.deepEqual(await h.page.locator('.atlas-row').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.class)), ['circle']);
  // The filter also matches the classes a class shares groups with: "squ" finds square and triangle (shares with square).
  await h.page.locator('.atlas-filter').fill('squ');
  assert.deepEqual(await h.page.locator('.atlas-row').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.class)), ['square', 'triangle']);
  await h.page.locator('.atlas-filter').fill('circ');
  assert.match((await h.page.locator('.atlas-count').textContent()) ?? '', /1 of 4 classes/);
  await h.page.locator('.atlas-filter').fill('failed');
  assert.deepEqual(await h.page.locator('.atlas-row').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.class)), ['star']);
  await h.page.locator('.atlas-filter').fill('nothing-like-this');
  assert.equal(await h.page.locator('.atlas-row').count(), 0);
  assert.match((await h.page.locator('.atlas-table tbody').textContent()) ?? '', /No class matches/);
  await h.page.locator('.atlas-filter').fill('');
  // Sort by errors: most first; again: fewest first.
  await h.page.locator('.atlas-sort[title="Sort by errors"]').click();
  assert.deepEqual(await h.page.locator('.atlas-row').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.class)), [
    'star',
    'square',
    'circle',
    'triangle',
  ]);
  assert.equal(await h.page.locator('th:has(.atlas-sort[title="Sort by errors"])').getAttribute('aria-sort'), 'descending');
  await h.page.locator('.atlas-sort[title="Sort by errors"]').click();
  assert.deepEqual(await h.page.locator('.atlas-row').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.class)), [
    'triangle',
    'circle',
    'square',
    'star',
  ]);
  await h.page.locator('.atlas-sort[title="Sort by class"]').click();
});

test('atlas: keyboard only, from the filter box down to a class and Enter opens it', async () => {
  await sendAtlas(atlasMessage());
  const before = await count('openAtlasClass');
  await h.page.locator('.atlas-filter').focus();
  await h.page.keyboard.press('ArrowDown');
  assert.equal(await h.page.evaluate(() => (document.activeElement as HTMLElement).dataset.class), 'circle');
  await h.page.keyboard.press('ArrowDown');
  await h.page.keyboard.press('ArrowDown');
  await h.page.keyboard.press('ArrowDown');
  assert.equal(await h.page.evaluate(() => (document.activeElement as HTMLElement).dataset.class), 'triangle');
  await h.page.keyboard.press('ArrowUp');
  assert.equal(await h.page.evaluate(() => (document.activeElement as HTMLElement).dataset.class), 'star');
  await shot('atlas-keyboard', false);
  await h.page.keyboard.press('ArrowUp');
  await h.page.keyboard.press('Enter');
  assert.deepEqual(await lastPosted('openAtlasClass', before), { type: 'openAtlasClass', class: 'square' });
  // Click works too.
  await h.page.locator('.atlas-row[data-class="triangle"] .atlas-class').click();
  assert.deepEqual(await lastPosted('openAtlasClass', before + 1), { type: 'openAtlasClass', class: 'triangle' });
  // The host's second message (shared groups read) keeps the focus where it was.
  await h.page.locator('.atlas-row[data-class="star"]').focus();
  await sendAtlas(atlasMessage());
  assert.equal(await h.page.evaluate(() => (document.activeElement as HTMLElement).dataset.class), 'star');
});

test('atlas: groups shared across classes are listed and link to the other class at that group', async () => {
  const m = atlasMessage();
  await sendAtlas(m);
  const tri = m.shared?.filter((s) => s.class === 'triangle') ?? [];
  assert.ok(tri.length > 0, 'triangle shares groups with square');
  assert.ok(
    tri.every((s) => s.with.every((w) => w.class === 'square' && w.similarity >= 0.5)),
    'only square shares them',
  );
  assert.equal(m.shared?.filter((s) => s.class === 'circle').length, 0, 'circle shares nothing');
  const cell = (await h.page.locator('.atlas-row[data-class="triangle"] .atlas-shared').textContent()) ?? '';
  assert.match(cell, new RegExp(`G${tri[0].group} \\(${tri[0].layer.replace('.', '\\.')}\\) shared with square G${tri[0].with[0].group}`));
  assert.match((await h.page.locator('.atlas-row[data-class="circle"] .atlas-shared').textContent()) ?? '', /none/);
  assert.equal(await h.page.locator('.atlas-shared-table tbody tr').count(), m.shared?.length);
  const before = await count('openAtlasClass');
  await h.page.locator('.atlas-row[data-class="triangle"] .atlas-link').first().click();
  assert.deepEqual(await lastPosted('openAtlasClass', before), { type: 'openAtlasClass', class: 'square', layer: tri[0].layer, group: tri[0].with[0].group });
  // Keyboard: Tab reaches the link, Enter follows it (and does not open the row's own class).
  await h.page.locator('.atlas-row[data-class="triangle"] .atlas-link').first().focus();
  await h.page.keyboard.press('Enter');
  assert.deepEqual(await lastPosted('openAtlasClass', before + 1), {
    type: 'openAtlasClass',
    class: 'square',
    layer: tri[0].layer,
    group: tri[0].with[0].group,
  });
  assert.equal(await count('openAtlasClass'), before + 2);
  await h.page.locator('.atlas-shared-section').scrollIntoViewIfNeeded();
  await shot('atlas-shared', false);
});

test('atlas: while the shared groups are read the list says so', async () => {
  const m = { ...atlasMessage(), shared: undefined, sharedPending: true };
  await sendAtlas(m);
  assert.match((await h.page.locator('.atlas-shared-status').textContent()) ?? '', /Reading the 3 finished results/);
  assert.match((await h.page.locator('.atlas-row[data-class="triangle"] .atlas-shared').textContent()) ?? '', /reading/);
});

test('result view opened from an atlas: Back to the atlas and Compare with... ask the host', async () => {
  const message: ResultViewMessage = {
    type: 'result',
    doc,
    scan,
    datasetRoot: DEMO_IMAGES,
    file: path.join(FOLDER, 'triangle.neurflow-result.json'),
    atlas: path.join(FOLDER, 'atlas.json'),
  };
  await send(message);
  await h.page.locator('.back-to-atlas').waitFor();
  await shot('atlas-result-nav', false);
  const b = await count('showAtlas');
  await h.page.locator('.back-to-atlas').click();
  assert.deepEqual(await lastPosted('showAtlas', b), { type: 'showAtlas', atlas: path.join(FOLDER, 'atlas.json'), selected: doc.class.name });
  const c = await count('compareWith');
  await h.page.locator('.compare-with').focus();
  await h.page.keyboard.press('Enter');
  assert.deepEqual(await lastPosted('compareWith', c), { type: 'compareWith' });
  // Without an atlas: no back button, Compare with... still there.
  await send({ ...message, atlas: undefined });
  assert.equal(await h.page.locator('.back-to-atlas').count(), 0);
  assert.equal(await h.page.locator('.compare-with').count(), 1);
});

/** B: the demo result with one group replaced by new neurons and another group's incoming weight cut to 5%. */
function changedResult(): { b: ResultDocument; layer: string; replaced: number; cut: number } {
  const b = structuredClone(doc);
  const into = b.circuit.find((c) => {
    const l = b.layers.find((x) => x.name === c.lower);
    return (l?.grouping?.groups.length ?? 0) >= 3 && c.edges.some((e) => e.to === 1);
  });
  assert.ok(into, 'a layer with 3 groups and weight into its group 1');
  const layer = b.layers.find((l) => l.name === into.lower)!;
  const g = layer.grouping!;
  g.pairs.push([9_999, 0]);
  g.groups[2] = { ...g.groups[2], members: [g.pairs.length - 1], representatives: [g.pairs.length - 1] };
  for (const e of into.edges) if (e.to === 1) e.weight *= 0.05;
  return { b, layer: layer.name, replaced: 2, cut: 1 };
}

test('compare: both circuits are drawn with the differences marked', async () => {
  const { b, layer, replaced, cut } = changedResult();
  const m: CompareViewMessage = compareView(doc, '/runs/before/triangle.neurflow-result.json', b, '/runs/after/triangle.neurflow-result.json');
  const rendered = await send(m);
  const groups = (d: ResultDocument) => d.layers.reduce((n, l) => n + (l.grouping?.groups.length ?? 0), 0);
  assert.equal((rendered.items ?? []).filter((i) => i.startsWith('A:')).length, groups(doc), 'every group of A drawn');
  assert.equal((rendered.items ?? []).filter((i) => i.startsWith('B:')).length, groups(b), 'every group of B drawn');
  const mark = (side: string, id: string) => h.page.locator(`.compare-node[data-side="${side}"][data-id="${id}"]`).getAttribute('class');
  assert.match((await mark('a', `${layer}/G${replaced}`)) ?? '', /\bgone\b/, 'the replaced group is only in A');
  assert.match((await mark('b', `${layer}/G${replaced}`)) ?? '', /\bnew\b/, 'its replacement is only in B');
  assert.match((await mark('a', `${layer}/G${cut}`)) ?? '', /\bweakened\b/, 'the group whose incoming weight was cut is weakened');
  assert.ok((await h.page.locator('.compare-node.matched').count()) > 0, 'the others are matched');
  assert.ok((await h.page.locator('.compare-edge.changed').count()) > 0, 'changed edges are marked');
  assert.ok((await h.page.locator('.compare-edges-table tbody tr').count()) > 0, 'the edge changes are listed');
  assert.match((await h.page.locator('.compare-summary').textContent()) ?? '', /1 only in A, 1 only in B/);
  // Focus a matched node: its counterpart is highlighted; Open A asks the host.
  const matched = h.page.locator('.compare-node.matched[data-side="a"]').first();
  await matched.focus();
  assert.equal(await h.page.locator('.compare-node.peer[data-side="b"]').count(), 1);
  await shot('compare-dark');
  await h.setTheme('light');
  await shot('compare-light');
  await h.setTheme('dark');
  const before = await count('openCompared');
  await h.page.locator('vscode-button.open-b').click();
  assert.deepEqual(await lastPosted('openCompared', before), { type: 'openCompared', side: 'b' });
});

test('compare: a result compared with itself has everything matched and no changed edge', async () => {
  const m = compareView(doc, '/runs/a/triangle.neurflow-result.json', structuredClone(doc), '/runs/b/triangle.neurflow-result.json');
  await send(m);
  assert.equal(await h.page.locator('.compare-node.gone, .compare-node.new, .compare-node.weakened').count(), 0);
  assert.equal(await h.page.locator('.compare-node.matched').count(), await h.page.locator('.compare-node').count());
  assert.equal(await h.page.locator('.compare-edge.changed').count(), 0);
  assert.match((await h.page.locator('.compare-summary').textContent()) ?? '', /Everything matched/);
  assert.match((await h.page.locator('.compare-details').textContent()) ?? '', /No edge weight changed/);
  // Each group matched to itself.
  for (const l of m.diff.layers) for (const x of l.matched) assert.equal(x.a, x.b);
  await shot('compare-self');
});

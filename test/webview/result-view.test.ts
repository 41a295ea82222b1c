/**
 * The result panel against the built bundle in headless Chromium, fed with a REAL result (the
 * engine's analysis of the demo, shared by all test layers, test/helpers/demo-result.ts) and the real dataset scan; the webview's
 * requests are answered by a stand-in host that runs the engine's debugging and masking on the real model.
 * Screenshots of every view in dark and light go to .test-out/webview/.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { regroupLayer } from '../../src/engine/analysis/regroup';
import type { ScanResult } from '../../src/engine/data/scan';
import type { LayerResult, ResultDocument } from '../../src/engine/result/schema';
import type { ResultViewMessage } from '../../src/protocol/webview';
import { demoResult, demoScan, DEMO_IMAGES, DEMO_MODEL } from './demo-result';
import { closeBrowser, openPanel, OUT, ROOT, type Harness, type ThemeName } from './harness';
import { StandInHost } from './stand-in-host';

type Posted = { type: string; [k: string]: unknown };

let doc: ResultDocument;
let scan: ScanResult;
let h: Harness;
let host: StandInHost;
let stopHost: () => void;
let message: ResultViewMessage;
const truth = JSON.parse(readFileSync(path.join(ROOT, 'demo', 'truth.json'), 'utf8')).images as Record<string, { marker: number[] | null }>;

const grouped = () => doc.layers.filter((l): l is LayerResult & { grouping: NonNullable<LayerResult['grouping']> } => !!l.grouping);
const allGroupIds = () => grouped().flatMap((l) => l.grouping.groups.map((_, i) => `${l.name}/G${i}`));

async function lastRendered(view: string, after = 0): Promise<Posted> {
  await h.page.waitForFunction(
    ([v, n]) => (window as unknown as { __posted: Posted[] }).__posted.filter((m) => m.type === 'rendered' && m.view === v).length > (n as number),
    [view, after] as const,
    { timeout: 60_000 },
  );
  return (await h.posted()).filter((m) => m.type === 'rendered' && m.view === view).at(-1)!;
}

const countRendered = async (view: string) => (await h.posted()).filter((m) => m.type === 'rendered' && m.view === view).length;

async function shoot(name: string, theme: ThemeName): Promise<void> {
  await h.setTheme(theme);
  await h.page.waitForTimeout(250); // cytoscape restyles on the next animation frame
  await h.page.screenshot({ path: path.join(OUT, `${name}-${theme}.png`), fullPage: true });
}

/** Non-transparent pixels cytoscape drew on its canvases. */
const drawnPixels = () =>
  h.page.evaluate(() => {
    let n = 0;
    for (const c of document.querySelectorAll<HTMLCanvasElement>('.circuit-canvas canvas')) {
      const ctx = c.getContext('2d');
      if (!ctx || c.width === 0) continue;
      const d = ctx.getImageData(0, 0, c.width, c.height).data;
      for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
    }
    return n;
  });

before(async () => {
  const [res, s] = await Promise.all([demoResult(), demoScan()]);
  doc = res.doc;
  scan = s;
  console.log(`# demo result: ${res.reused ? 'cached' : 'computed'} in ${res.seconds.toFixed(1)} s; layers ${doc.layers.map((l) => l.name).join(', ')}`);
  mkdirSync(OUT, { recursive: true });
  h = await openPanel({ serve: { data: DEMO_IMAGES }, viewport: { width: 1100, height: 900 } });
  host = new StandInHost(doc, scan, DEMO_IMAGES);
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
  await h?.close();
  await closeBrowser();
});

test('the circuit renders every group of the real result', async () => {
  assert.ok(allGroupIds().length >= 5, 'the demo analysis has groups');
  await h.send(message);
  const result = await lastRendered('result');
  assert.deepEqual(
    result.items,
    doc.layers.map((l) => l.name),
  );
  const circuit = await lastRendered('circuit');
  assert.deepEqual(circuit.items, allGroupIds());
  const options = await h.page.locator('.group-list [role=option]').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.id));
  assert.deepEqual(options, allGroupIds(), 'the accessible list mirrors the circuit');
  const edges = doc.circuit.reduce((s, c) => s + c.edges.length, 0);
  const note = await h.page.locator('.circuit-note').textContent();
  assert.match(note!, new RegExp(`${allGroupIds().length} groups in ${grouped().length} layers, ${edges} edges`));
  assert.ok((await drawnPixels()) > 2000, 'cytoscape drew the nodes and edges');
  await shoot('circuit', 'dark');
  await shoot('circuit', 'light');
  await h.setTheme('dark');
});

test('selecting a group highlights its paths and shows its crops on their images', async () => {
  // The layer2.1 group with the most neurons: the demo's shortcut lives around there.
  const layer = grouped().find((l) => l.name === 'layer2.1') ?? grouped()[1];
  const sizes = layer.grouping.groups.map((g) => new Set(g.members.map((p) => layer.grouping.pairs[p][0])).size);
  const gi = sizes.indexOf(Math.max(...sizes));
  const id = `${layer.name}/G${gi}`;
  const before = await countRendered('group');
  await h.page.locator(`.group-list [data-id="${id}"]`).click();
  const sel = await h.waitForPosted('selectGroup');
  assert.deepEqual(sel, { type: 'selectGroup', layer: layer.name, group: gi, groupCount: layer.grouping.count });
  const rendered = await lastRendered('group', before);
  // Every crop shown belongs to a member sub-concept of the group.
  const memberCrops = new Set(
    layer.grouping.groups[gi].members.flatMap((p) => {
      const [ch, s] = layer.grouping.pairs[p];
      const sc = layer.neurons.find((n) => n.channel === ch)!.subconcepts[s];
      return [...sc.crops, ...sc.representatives];
    }),
  );
  const shown = (rendered.items as string[]).map(Number);
  assert.ok(shown.length > 0 && shown.length <= 12, `shows 1..12 crops (${shown.length})`);
  for (const c of shown) assert.ok(memberCrops.has(c), `crop ${c} belongs to ${id}`);
  // Each crop is drawn as a box on its source image, where the crop table puts it.
  const figs = h.page.locator('.group-pane .crops figure');
  assert.equal(await figs.count(), shown.length);
  await h.page.waitForFunction(() => [...document.querySelectorAll<HTMLImageElement>('.group-pane .crops img')].every((i) => i.complete && i.naturalWidth > 0));
  const boxes = await h.page.locator('.group-pane .crops .box').evaluateAll((els) =>
    els.map((e) => {
      const s = (e as HTMLElement).style;
      return [s.left, s.top, s.width, s.height].map((v) => Number.parseFloat(v));
    }),
  );
  assert.equal(boxes.length, shown.length);
  shown.forEach((c, i) => {
    const [, , x0, y0, x1, y1] = doc.crops.table[c];
    const expect = [(x0 / 64) * 100, (y0 / 64) * 100, ((x1 - x0) / 64) * 100, ((y1 - y0) / 64) * 100];
    boxes[i].forEach((v, k) => assert.ok(Math.abs(v - expect[k]) < 1e-6, `crop ${c} box ${boxes[i]} vs ${expect}`));
  });
  // The list marks the selection and the groups on its paths.
  assert.equal(await h.page.locator(`.group-list [data-id="${id}"]`).getAttribute('aria-selected'), 'true');
  const linked = doc.circuit.some(
    (c) => (c.upper === layer.name && c.edges.some((e) => e.from === gi)) || (c.lower === layer.name && c.edges.some((e) => e.to === gi)),
  );
  if (linked) assert.ok((await h.page.locator('.group-list .on-path').count()) > 0, 'upstream/downstream groups are marked');
  await shoot('group-selected', 'dark');
  await shoot('group-selected', 'light');
  await h.setTheme('dark');
});

test('clicking a crop opens its image file; Jump to Code names the layer and its tensor', async () => {
  const first = h.page.locator('.group-pane .crops figure').first();
  const alt = await first.locator('img').getAttribute('alt');
  await first.click();
  const open = await h.waitForPosted('openImage');
  assert.equal(open.path, `${DEMO_IMAGES}/${alt}`);
  assert.ok(existsSync(open.path as string), 'the path is a real file');
  await h.page.locator('.group-pane vscode-button', { hasText: 'Jump to Code' }).click();
  const jump = await h.waitForPosted('jumpToCode');
  const layer = doc.layers.find((l) => l.name === jump.layer)!;
  assert.equal(jump.tensor, layer.tensor);
});

test('groups are reachable with the keyboard; Enter opens the Group tab', async () => {
  const opts = h.page.locator('.group-list [role=listbox]').first().locator('[role=option]');
  await opts.first().focus();
  await h.page.keyboard.press('ArrowDown');
  const focused = await h.page.evaluate(() => (document.activeElement as HTMLElement).dataset.id);
  assert.equal(focused, await opts.nth(1).getAttribute('data-id'));
  assert.equal(await opts.nth(1).getAttribute('aria-selected'), 'true');
  const before = await countRendered('group');
  await h.page.keyboard.press('Enter');
  await lastRendered('group', before);
  assert.equal(await h.page.locator('#tab-group').getAttribute('aria-selected'), 'true');
  assert.match((await h.page.locator('.group-pane h2').textContent())!, new RegExp(`${focused!.replace('/', ' · ')}`));
  await shoot('group-tab', 'dark');
  await shoot('group-tab', 'light');
  await h.setTheme('dark');
  await h.page.keyboard.press('Shift+Tab'); // back to the tab bar area
  await h.page.locator('#tab-circuit').click();
  await lastRendered('circuit');
});

test('the group-count slider re-clusters in the webview (no model run) and Auto restores', async () => {
  const layer = grouped()[2] ?? grouped()[1];
  const max = layer.grouping.pairs.length;
  const n = Math.min(max, layer.grouping.count + 4);
  const asked = (await h.posted()).filter((m) => m.type === 'explainImage' || m.type === 'maskGroup').length;
  const before = await countRendered('circuit');
  const slider = h.page.locator(`section[aria-label="Layer ${layer.name}"] input[type=range]`);
  assert.equal(await slider.getAttribute('max'), String(max));
  await slider.evaluate((el, v) => {
    (el as HTMLInputElement).value = String(v);
    el.dispatchEvent(new Event('input'));
    el.dispatchEvent(new Event('change'));
  }, n);
  const set = await h.waitForPosted('setGroupCount');
  assert.deepEqual(set, { type: 'setGroupCount', layer: layer.name, count: n });
  const rendered = await lastRendered('circuit', before);
  const expected = regroupLayer(layer, n, doc.params.representatives);
  const ids = (rendered.items as string[]).filter((id) => id.startsWith(`${layer.name}/`));
  assert.equal(ids.length, expected.groups.length);
  // The captions carry each group's neuron count: the same partition as the engine's regroupLayer.
  const captions = await h.page.locator(`section[aria-label="Layer ${layer.name}"] .caption`).allTextContents();
  assert.deepEqual(
    captions,
    expected.groups.map((g, i) => {
      const k = new Set(g.members.map((p) => expected.pairs[p][0])).size;
      return `G${i} · ${k} neuron${k === 1 ? '' : 's'}`;
    }),
  );
  assert.equal((await h.posted()).filter((m) => m.type === 'explainImage' || m.type === 'maskGroup').length, asked, 'no model run requested');
  await shoot('circuit-regrouped', 'dark');
  await h.page.locator(`section[aria-label="Layer ${layer.name}"] vscode-button`, { hasText: 'Auto' }).click();
  const back = (await h.posted()).filter((m) => m.type === 'setGroupCount').at(-1)!;
  assert.deepEqual(back, { type: 'setGroupCount', layer: layer.name, count: null });
  assert.deepEqual((await lastRendered('circuit', before + 1)).items, allGroupIds());
});

test('the largest circuit (every layer at its most groups) renders and stays responsive', async () => {
  let total = 0;
  for (const layer of grouped()) {
    const before = await countRendered('circuit');
    const slider = h.page.locator(`section[aria-label="Layer ${layer.name}"] input[type=range]`);
    const max = layer.grouping.pairs.length;
    if (max === layer.grouping.count) {
      total += max;
      continue;
    } // already at its most groups
    total += regroupLayer(layer, max, doc.params.representatives).groups.length;
    const t0 = performance.now();
    await slider.evaluate((el, v) => {
      (el as HTMLInputElement).value = String(v);
      el.dispatchEvent(new Event('change'));
    }, max);
    await lastRendered('circuit', before);
    const inPage = await h.page.locator('.circuit-canvas').getAttribute('data-render-ms');
    console.log(`# ${layer.name} -> ${max} groups: re-grouped and redrawn in ${(performance.now() - t0).toFixed(0)} ms (circuit render ${inPage} ms)`);
  }
  const rendered = (await h.posted()).filter((m) => m.type === 'rendered' && m.view === 'circuit').at(-1)!;
  // At the pair count, identical concept vectors stay together: as many groups as the engine's regroupLayer makes.
  assert.equal((rendered.items as string[]).length, total);
  assert.ok(total >= 150, `hundreds of groups (${total})`);
  // Still interactive: a click highlights and shows the group at once.
  const id = (rendered.items as string[])[Math.floor(total / 2)];
  const t0 = performance.now();
  const before = await countRendered('group');
  await h.page.locator(`.group-list [data-id="${id}"]`).click();
  await lastRendered('group', before);
  const ms = performance.now() - t0;
  console.log(`# ${total} groups: selecting one took ${ms.toFixed(0)} ms`);
  assert.ok(ms < 5000, `selection answered in ${ms.toFixed(0)} ms`);
  await shoot('circuit-largest', 'dark');
  for (const layer of grouped().filter((l) => l.grouping.pairs.length !== l.grouping.count)) {
    const before2 = await countRendered('circuit');
    await h.page.locator(`section[aria-label="Layer ${layer.name}"] vscode-button`, { hasText: 'Auto' }).click();
    await lastRendered('circuit', before2);
  }
  assert.deepEqual((await h.posted()).filter((m) => m.type === 'rendered' && m.view === 'circuit').at(-1)!.items, allGroupIds());
});

test('a misclassified image shows its groups, with evidence on the planted marker', async () => {
  const k = doc.class.index;
  const before = await countRendered('mistakes');
  await h.page.locator('#tab-mistakes').click();
  const gallery = await lastRendered('mistakes', before);
  const fps = scan.mistakes[k].falsePositives.map((r) => scan.images[r.image].path);
  assert.deepEqual(gallery.items, fps.slice(0, 48));
  // A false positive (another shape called triangle) that carries the marker.
  const image = fps.find((p) => truth[p].marker)!;
  assert.ok(image, 'the demo has marked false positives');
  const exBefore = await countRendered('explanation');
  await h.page.locator(`.tiles [data-image="${image}"]`).click();
  const req = await h.waitForPosted('explainImage');
  assert.equal(req.image, image);
  const explained = await lastRendered('explanation', exBefore);
  const layer = req.layer as string;
  assert.ok((explained.items as string[]).length > 0, 'groups are listed');
  assert.ok((explained.items as string[]).every((id) => id.startsWith(`${layer}/G`)));
  assert.equal(await h.page.locator('.detail .scored [role=option]').count(), (explained.items as string[]).length);
  // The top group's boxes as drawn on the image, back in input pixels: one small crop covers the marker.
  await h.page.waitForFunction(() => document.querySelectorAll('.detail-image .box').length > 0);
  const drawn = await h.page.locator('.detail-image .box').evaluateAll((els) =>
    els.map((e) => {
      const s = (e as HTMLElement).style;
      return [s.left, s.top, s.width, s.height].map((v) => (Number.parseFloat(v) * 64) / 100);
    }),
  );
  const [mx0, my0, mx1, my1] = truth[image].marker!;
  const cx = (mx0 + mx1) / 2,
    cy = (my0 + my1) / 2;
  const onMarker = drawn.filter(([x, y, w, hh]) => w <= 32.01 && x <= cx && cx < x + w && y <= cy && cy < y + hh);
  assert.ok(onMarker.length > 0, `an evidence crop of the top group covers the marker at ${truth[image].marker} (boxes ${JSON.stringify(drawn)})`);
  await shoot('mistakes', 'dark');
  await shoot('mistakes', 'light');
  await h.setTheme('dark');
});

test('Mask group re-runs the model without the group and shows the change in the class probability', async () => {
  const req0 = (await h.posted()).filter((m) => m.type === 'explainImage').at(-1)!;
  const layer = doc.layers.find((l) => l.name === req0.layer)!;
  const before = await countRendered('maskResult');
  await h.page.locator('.detail vscode-button', { hasText: 'Mask Group' }).click();
  const req = await h.waitForPosted('maskGroup');
  const g = layer.grouping!.groups[req.group as number];
  const channels = [...new Set(g.members.map((p) => layer.grouping!.pairs[p][0]))].sort((a, b) => a - b);
  assert.deepEqual(req.channels, channels);
  assert.equal(req.classIndex, doc.class.index);
  assert.equal(req.image, req0.image);
  const shown = await lastRendered('maskResult', before);
  const answer = await host.mask(req as never);
  assert.deepEqual(
    shown.items,
    answer.top.map((p) => p.name),
  );
  const text = (await h.page.locator('.mask-delta').textContent())!;
  assert.ok(text.includes(`${(answer.before * 100).toFixed(1)}%`) && text.includes(`${(answer.after * 100).toFixed(1)}%`), text);
  await shoot('mistakes-masked', 'dark');
  await shoot('mistakes-masked', 'light');
  await h.setTheme('dark');
});

test('the gallery and the ranked groups are reachable with the keyboard', async () => {
  const tiles = h.page.locator('.tiles [role=option]');
  const second = await tiles.nth(1).getAttribute('data-image');
  await h.page.locator('.tiles [role=option][tabindex="0"]').focus();
  await h.page.keyboard.press('Home');
  await h.page.keyboard.press('ArrowRight');
  assert.equal(await h.page.evaluate(() => (document.activeElement as HTMLElement).dataset.image), second);
  const n = (await h.posted()).filter((m) => m.type === 'explainImage').length;
  const before = await countRendered('explanation');
  await h.page.keyboard.press('Enter');
  await lastRendered('explanation', before);
  const req = (await h.posted()).filter((m) => m.type === 'explainImage');
  assert.equal(req.length, n + 1);
  assert.equal(req.at(-1)!.image, second);
  const rows = h.page.locator('.detail .scored [role=option]');
  if ((await rows.count()) > 1) {
    await rows.first().focus();
    await h.page.keyboard.press('ArrowDown');
    await h.page.keyboard.press('Enter');
    assert.equal(await rows.nth(1).getAttribute('aria-selected'), 'true');
  }
  // Back to the first image (its explanation is cached: no new request).
  await h.page.locator('.tiles [role=option]').first().click();
  await lastRendered('explanation', before + 1);
  assert.equal((await h.posted()).filter((m) => m.type === 'explainImage').length, n + 1);
});

test('the panel comes back as it was after a reload (host replays the result)', async () => {
  const image = await h.page.locator('.tiles [aria-selected=true]').getAttribute('data-image');
  assert.ok(image);
  await h.page.reload();
  await h.waitForPosted('ready');
  await h.send(message); // what the host does on `ready`
  await lastRendered('result');
  assert.equal(await h.page.locator('#tab-mistakes').getAttribute('aria-selected'), 'true');
  await lastRendered('explanation');
  assert.equal(await h.page.locator('.tiles [aria-selected=true]').getAttribute('data-image'), image);
});

test('the panel keeps working while a new analysis runs (banner)', async () => {
  await h.send({
    type: 'activity',
    running: true,
    title: 'Analysing shortcut-resnet.onnx, class star',
    stage: 'Layer layer3.1: core neurons 3/16',
    done: 3,
    total: 16,
  });
  const shown = await lastRendered('activity');
  assert.deepEqual(shown.items, ['Analysing shortcut-resnet.onnx, class star', 'Layer layer3.1: core neurons 3/16']);
  assert.ok(await h.page.locator('#banner').isVisible());
  // Nothing in the banner animates for the length of a run (a spinner's repaints slowed the analysis itself).
  const animated = await h.page.evaluate(
    () =>
      [...document.querySelectorAll('#banner, #banner *')].filter(
        (e) => e.getAnimations({ subtree: true }).length > 0 || e.localName === 'vscode-progress-ring',
      ).length,
  );
  assert.equal(animated, 0, 'an animated element in the banner');
  await h.page.locator('#tab-circuit').click();
  await lastRendered('circuit');
  const id = allGroupIds()[1];
  const before = await countRendered('group');
  await h.page.locator(`.group-list [data-id="${id}"]`).click();
  await lastRendered('group', before);
  await shoot('circuit-banner', 'dark');
  await h.send({ type: 'activity', running: false });
  await h.page.waitForFunction(() => (document.getElementById('banner') as HTMLElement).hidden);
  await h.send({ type: 'notice', level: 'warning', message: 'No Python definition of layer2.1 found: pick the file that defines it' });
  assert.match((await h.page.locator('.notice.warning').textContent()) ?? '', /layer2\.1/);
});

test('without a scan or images (untrusted workspace, dataset moved) the views fall back to the result alone', async () => {
  const asked = (await h.posted()).filter((m) => m.type === 'explainImage').length;
  await h.send({ type: 'result', doc, readOnly: true, tab: 'circuit' });
  await lastRendered('result');
  await h.page.locator('#tab-mistakes').click();
  await lastRendered('mistakes');
  assert.match((await h.page.locator('#tab-panel').textContent())!, /carries no per-image scan/);
  assert.match((await h.page.locator('.scan-summary').textContent())!, /Accuracy/);
  await h.page.locator('#tab-group').click();
  await lastRendered('group');
  const srcs = await h.page.locator('.group-pane .crops img').evaluateAll((els) => els.map((e) => (e as HTMLImageElement).src));
  assert.ok(srcs.length > 0 && srcs.every((src) => src.startsWith('data:image/')), 'crop thumbnails from the result');
  assert.equal(await h.page.locator('.group-pane .crops figure.clickable').count(), 0, 'nothing to open without a dataset root');
  assert.equal((await h.posted()).filter((m) => m.type === 'explainImage').length, asked);
  await shoot('group-fallback', 'light');
  await h.setTheme('dark');
});

test('no console errors, page errors or CSP violations', async () => {
  assert.deepEqual(h.errors(), []);
  assert.deepEqual(await h.violations(), []);
  assert.ok(existsSync(DEMO_MODEL));
});

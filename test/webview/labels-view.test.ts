/**
 * Group labels in the Group view, against the built bundle in headless Chromium, on the REAL demo result
 * with labels of every origin set by the engine's own functions (a language model's with its check, a data label
 * with the reason, the user's): the label and its origin are shown; Edit Label (keyboard only) posts `setLabel`
 * on Enter and nothing on Escape; Label Layer / Label All post `labelGroups`; the host's re-rendered result shows
 * the saved label with the focus back on Edit Label. Pure protocol checks for the two messages. Screenshots in
 * .test-out/webview/labels-*.png.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { dataLabel, imageClasses } from '../../src/engine/labels/fallback';
import { setUserLabel, withLabel } from '../../src/engine/labels/labeler';
import type { GroupLabel, LayerResult, ResultDocument } from '../../src/engine/result/schema';
import { parseFromWebview, type ResultViewMessage } from '../../src/protocol/webview';
import { ResultSession } from '../../webview/result/session';
import { demoResult, DEMO_IMAGES } from './demo-result';
import { closeBrowser, openPanel, OUT, type Harness } from './harness';

type Posted = { type: string; [k: string]: unknown };

let h: Harness;
let doc: ResultDocument;
let layer: LayerResult & { grouping: NonNullable<LayerResult['grouping']> };
let message: ResultViewMessage;
const REASON = 'No language model available: no chat model is installed';
const LM: GroupLabel = {
  text: 'marker in the corner',
  source: 'language-model',
  model: 'GPT-4o (copilot)',
  confidence: 0.875,
  check: { correct: 7, total: 8 },
  detail: 'A small bright square near the image corner.',
};

const ofType = async (type: string) => (await h.posted()).filter((m) => m.type === type);

async function renderedAfter(view: string, n: number): Promise<Posted> {
  await h.page.waitForFunction(
    ([v, k]) => (window as unknown as { __posted: Posted[] }).__posted.filter((m) => m.type === 'rendered' && m.view === v).length > (k as number),
    [view, n] as const,
    { timeout: 30_000 },
  );
  return (await h.posted()).filter((m) => m.type === 'rendered' && m.view === view).at(-1)!;
}
const countRendered = async (view: string) => (await h.posted()).filter((m) => m.type === 'rendered' && m.view === view).length;

/** Shows group `index` of `layer` in the Group tab (the group picker) and returns its `label` report. */
async function showGroup(index: number): Promise<Posted> {
  const n = await countRendered('label');
  await h.page.locator('select[aria-label=Group]').selectOption(`${layer.name}/G${index}`);
  return renderedAfter('label', n);
}

before(async () => {
  const res = await demoResult();
  const grouped = res.doc.layers.filter((l): l is typeof layer => !!l.grouping && l.grouping.groups.length >= 3);
  assert.ok(grouped.length > 0, 'the demo result has a layer with 3 groups or more');
  layer = grouped[0];
  // Group 0: a language model's label; group 1: the data label with the reason (the engine's fallback); group 2: yours.
  const data = dataLabel(res.doc, { layer: layer.name, group: 1 }, REASON, imageClasses(res.doc));
  doc = withLabel(res.doc, { layer: layer.name, group: 0 }, LM);
  doc = withLabel(doc, { layer: layer.name, group: 1 }, data);
  doc = setUserLabel(doc, { layer: layer.name, group: 2 }, 'my shortcut');
  message = { type: 'result', doc, datasetRoot: DEMO_IMAGES, file: '/tmp/demo.neurflow-result.json', tab: 'group' };
  mkdirSync(OUT, { recursive: true });
  h = await openPanel({ viewport: { width: 1000, height: 800 } });
  await h.waitForPosted('ready');
});

after(async () => {
  await h?.close();
  await closeBrowser();
});

test('protocol: labelGroups and setLabel are checked at the boundary', () => {
  assert.deepEqual(parseFromWebview({ type: 'labelGroups' }), { type: 'labelGroups' });
  assert.equal(parseFromWebview({ type: 'labelGroups', layer: 'layer2.1', groupCount: 4 })?.type, 'labelGroups');
  assert.equal(parseFromWebview({ type: 'labelGroups', layer: 'layer2.1', group: 2 })?.type, 'labelGroups');
  assert.equal(parseFromWebview({ type: 'labelGroups', group: 2 }), undefined, 'a group needs its layer');
  assert.equal(parseFromWebview({ type: 'labelGroups', layer: 3 }), undefined);
  assert.equal(parseFromWebview({ type: 'labelGroups', layer: 'l', groupCount: 0 }), undefined);
  const set = { type: 'setLabel', layer: 'layer2.1', group: 1, text: 'stripes', groupCount: 4 };
  assert.deepEqual(parseFromWebview(set), set);
  assert.equal(parseFromWebview({ ...set, text: '' })?.type, 'setLabel', 'empty text removes a label');
  assert.equal(parseFromWebview({ ...set, group: -1 }), undefined);
  assert.equal(parseFromWebview({ ...set, group: 1.5 }), undefined);
  assert.equal(parseFromWebview({ ...set, text: undefined }), undefined);
  assert.equal(parseFromWebview({ ...set, text: 'x'.repeat(201) }), undefined, 'at most 200 characters');
  assert.equal(parseFromWebview({ type: 'rendered', view: 'label', items: ['l/G0', 'a', 'yours'] })?.type, 'rendered');
});

test('session: a saved count the document already has keeps its grouping and labels; another count re-groups', () => {
  const n = layer.grouping.count;
  const same = new ResultSession({ type: 'result', doc }, { [layer.name]: n });
  assert.equal(same.isUserCount(layer.name), false);
  assert.equal(same.group(layer.name, 0)?.label, LM.text);
  const other = new ResultSession({ type: 'result', doc }, { [layer.name]: n + 1 });
  assert.equal(other.groupCount(layer.name), n + 1);
  assert.ok(
    other.groups(layer.name).every((g) => g.label === undefined),
    'labels belong to the saved grouping',
  );
});

test('the Group view shows each label with its origin', async () => {
  await h.send(message);
  await renderedAfter('label', 0); // the Group tab opens on the first group of the top layer
  const first = await showGroup(0);
  assert.deepEqual(first.items, [`${layer.name}/G0`, LM.text, 'by GPT-4o (copilot) · check 88% (7/8)']);
  assert.equal(await h.page.locator('.label-block .label-text').textContent(), LM.text);
  assert.equal(await h.page.locator('.label-origin').textContent(), 'by GPT-4o (copilot) · check 88% (7/8)');
  assert.equal(await h.page.locator('.label-detail').textContent(), LM.detail);
  await h.page.screenshot({ path: path.join(OUT, 'labels-model-dark.png'), fullPage: true });

  const data = doc.layers.find((l) => l.name === layer.name)!.grouping!.groups[1].label!;
  const second = await showGroup(1);
  assert.deepEqual(second.items, [`${layer.name}/G1`, data.text, `from the data · ${REASON}`]);
  assert.match((await h.page.locator('.label-origin').textContent())!, /^from the data · No language model available: /);
  assert.match((await h.page.locator('.label-detail').textContent())!, /^From \d+ crops of \d+ images/);
  await h.setTheme('light');
  await h.page.screenshot({ path: path.join(OUT, 'labels-data-light.png'), fullPage: true });
  await h.setTheme('dark');

  const third = await showGroup(2);
  assert.deepEqual(third.items, [`${layer.name}/G2`, 'my shortcut', 'yours']);
  assert.equal(await h.page.locator('.label-detail').count(), 0);
  // The circuit's captions carry the labels too.
  await h.page.locator('#tab-circuit').click();
  await renderedAfter('circuit', 0);
  const captions = await h.page.locator('.group-list [role=option]').allTextContents();
  for (const text of [LM.text, data.text, 'my shortcut'])
    assert.ok(
      captions.some((c) => c.includes(text)),
      `the group list shows "${text}"`,
    );
  await h.page.locator('#tab-group').click();
  await renderedAfter('group', 0);
});

test('Edit Label with the keyboard: Escape cancels, Enter posts setLabel and the host re-render shows it', async () => {
  const before = await showGroup(3 < layer.grouping.groups.length ? 3 : 2);
  const gi = Number(String((before.items as string[])[0]).split('/G')[1]);
  const edit = h.page.locator('.label-edit');
  await edit.focus();
  await h.page.keyboard.press('Enter');
  const input = h.page.locator('.label-input');
  await input.waitFor();
  assert.equal(await input.evaluate((e) => e === document.activeElement), true, 'the field has the focus');
  await h.page.keyboard.type('will be cancelled');
  await h.page.keyboard.press('Escape');
  assert.equal(await h.page.locator('.label-input').count(), 0);
  assert.equal(await edit.evaluate((e) => e === document.activeElement), true, 'Escape gives the focus back to Edit Label');
  assert.equal((await ofType('setLabel')).length, 0, 'Escape posts nothing');

  await h.page.keyboard.press('Enter');
  await h.page.locator('.label-input').waitFor();
  await h.page.keyboard.press('ControlOrMeta+A');
  await h.page.keyboard.type('  striped   texture ');
  await h.page.keyboard.press('Enter');
  const posted = await h.waitForPosted('setLabel');
  assert.deepEqual(posted, { type: 'setLabel', layer: layer.name, group: gi, text: 'striped texture', groupCount: layer.grouping.count });
  assert.equal(await h.page.locator('.label-block .label-text').textContent(), 'striped texture');
  assert.match((await h.page.locator('.label-origin').textContent())!, /^yours · saving/);

  // What the host does: save (the engine's setUserLabel) and send the result again.
  doc = setUserLabel(doc, { layer: layer.name, group: gi }, 'striped texture');
  message = { ...message, doc, tab: undefined };
  const n = await countRendered('label');
  await h.send(message);
  const after = await renderedAfter('label', n);
  assert.deepEqual(after.items, [`${layer.name}/G${gi}`, 'striped texture', 'yours']);
  assert.equal(await h.page.locator('#tab-group').getAttribute('aria-selected'), 'true', 'still on the Group tab');
  await h.page.waitForFunction(() => document.activeElement?.classList.contains('label-edit'));
  await h.page.screenshot({ path: path.join(OUT, 'labels-user-dark.png'), fullPage: true });
});

test("Label Layer and Label All post labelGroups; the buttons wait for the host's notice", async () => {
  const layerButton = h.page.locator('.label-run', { hasText: 'Label Layer' });
  await layerButton.click();
  const first = await h.waitForPosted('labelGroups');
  assert.deepEqual(first, { type: 'labelGroups', layer: layer.name, groupCount: layer.grouping.count });
  assert.equal(await layerButton.getAttribute('disabled'), '', 'disabled while labelling');
  await h.send({ type: 'notice', level: 'warning', message: `NeurFlow: 3 groups labelled from the data. ${REASON}.` });
  await h.page.waitForFunction(() => [...document.querySelectorAll('.label-run')].every((b) => !b.hasAttribute('disabled')));
  assert.match((await h.page.locator('.notice.warning').last().textContent())!, /No language model available/);
  // Keyboard: Tab from Label Layer reaches Label All.
  await layerButton.focus();
  await h.page.keyboard.press('Tab');
  assert.equal(await h.page.evaluate(() => document.activeElement?.textContent?.trim()), 'Label All');
  await h.page.keyboard.press('Enter');
  const second = await h.waitForPosted('labelGroups', 2);
  assert.deepEqual(second, { type: 'labelGroups' });
});

test('without a result file the label can be read but not edited', async () => {
  const n = await countRendered('label');
  await h.send({ ...message, file: undefined, tab: 'group' });
  await renderedAfter('label', n);
  assert.equal(await h.page.locator('.label-edit').count(), 0);
  assert.equal(await h.page.locator('.label-run').count(), 0);
  assert.ok((await h.page.locator('.label-origin').count()) <= 1);
});

test('no console errors, page errors or CSP violations', async () => {
  assert.deepEqual(h.errors(), []);
  assert.deepEqual(await h.violations(), []);
});

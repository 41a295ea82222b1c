/**
 * Issue 19 in a real VS Code: the atlas and Compare with... of the panel, driven through the commands and the
 * messages the webview would post. The atlas folder is made here, fast, from the fixture result of the demo model
 * (test/fixture/debug): class triangle as it is, class circle the same groups under another name (so every group
 * is shared), class square not analysed yet; the model is a copy of the demo model in the same temporary folder,
 * so the atlas has a panel of its own.
 */
import * as assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { NeurflowApi } from '../../src/extension/api';
import type { AtlasReport } from '../../src/extension/results/atlas';
import type { CompareReport } from '../../src/extension/results/compare';
import type { ModelPanel } from '../../src/extension/panel';
import type { AtlasViewMessage, CompareViewMessage } from '../../src/protocol/atlas';
import type { ResultViewMessage } from '../../src/protocol/webview';
import type { ResultDocument } from '../../src/engine/result/schema';
import { extension, fixture, sleep } from './helpers';

const api = () => extension().exports as NeurflowApi;

/** Group nodes of a result as the compare view names them on one side (`A:layer/G<i>`). */
function groupCount(doc: ResultDocument): number {
  return doc.layers.reduce((n, l) => n + (l.grouping?.count ?? 0), 0);
}

/** Back to the atlas (if the panel shows something else), then the class's result, as the user clicks them. */
async function openClass(panel: ModelPanel, name: string): Promise<void> {
  const v = panel.view;
  const file = v?.type === 'atlas' ? undefined : v?.type === 'result' || v?.type === 'compare' ? v.atlas : undefined;
  if (file) {
    const back = panel.waitRendered('atlas');
    assert.equal(await panel.dispatch({ type: 'showAtlas', atlas: file }), undefined);
    await back;
  }
  const ready = panel.waitRendered('result');
  const answer = await panel.dispatch({ type: 'openAtlasClass', class: name });
  assert.equal(answer, undefined, `answered ${JSON.stringify(answer)}`);
  await ready;
}

suite('Issue 19: the atlas and Compare with... in the panel', () => {
  let root = '';
  let atlas = '';
  let model = '';
  let triangle = '';
  let circle = '';
  /** Class triangle of a second atlas folder beside the first (what Compare with... offers in its quick pick). */
  let other = '';
  let doc: ResultDocument;
  let panel: ModelPanel | undefined;

  suiteSetup(async function () {
    this.timeout(60_000);
    await extension().activate();
    root = mkdtempSync(path.join(tmpdir(), 'nf-atlas-ext-'));
    model = path.join(root, 'model', 'shortcut-resnet.onnx');
    mkdirSync(path.dirname(model));
    copyFileSync(path.join(extension().extensionPath, 'demo', 'model', 'shortcut-resnet.onnx'), model);
    const base = JSON.parse(readFileSync(fixture('debug', 'shortcut-triangle.neurflow-result.json').fsPath, 'utf8')) as ResultDocument;
    doc = { ...base, model: { ...base.model, path: model } };
    const folder = path.join(root, 'atlas');
    mkdirSync(folder);
    triangle = path.join(folder, 'triangle.neurflow-result.json');
    circle = path.join(folder, 'circle.neurflow-result.json');
    writeFileSync(triangle, JSON.stringify(doc));
    writeFileSync(circle, JSON.stringify({ ...doc, class: { ...doc.class, name: 'circle', index: 0 } }));
    mkdirSync(path.join(root, 'atlas-2'));
    other = path.join(root, 'atlas-2', 'triangle.neurflow-result.json');
    writeFileSync(other, JSON.stringify(doc));
    const row = (name: string, index: number, status: string) => ({
      class: name,
      index,
      result: `${name}.neurflow-result.json`,
      status,
      images: 100,
      predicted: 100,
      correct: 90,
      accuracy: 0.9,
      precision: 0.9,
      errors: 10,
      falsePositives: 10,
      suspectedLabelErrors: 0,
    });
    atlas = path.join(folder, 'atlas.json');
    writeFileSync(
      atlas,
      JSON.stringify({
        format: 'neurflow.atlas',
        version: 1,
        updatedAt: new Date().toISOString(),
        model,
        modelSha256: doc.model.sha256,
        data: path.join(root, 'data'),
        fingerprint: 'test',
        accuracy: 0.9,
        imageCount: 300,
        classes: [row('circle', 0, 'done'), row('square', 1, 'pending'), row('triangle', 3, 'done')],
      }),
    );
  });

  suiteTeardown(async () => {
    panel?.dispose();
    await vscode.commands.executeCommand('notifications.clearAll');
  });

  test('Open Result on the atlas folder shows its classes; the shared groups arrive after', async function () {
    this.timeout(60_000);
    const report = await vscode.commands.executeCommand<AtlasReport | undefined>('neurflow.openResult', path.dirname(atlas));
    assert.ok(report, 'the command opened the atlas');
    assert.equal(report.atlas, atlas);
    assert.deepEqual(report.classes, ['circle', 'square', 'triangle'], 'the webview listed the classes');
    panel = api().panel(model);
    assert.ok(panel, 'the atlas opened in the panel of its model');
    assert.equal(panel.view?.type, 'atlas');
    const shared = await report.shared;
    assert.equal(shared, groupCount(doc) * 2, 'every group of circle and triangle is shared with the other class');
    const view = panel.view as AtlasViewMessage;
    assert.equal(view.type, 'atlas');
    assert.equal(view.sharedPending, undefined, 'no longer pending');
    assert.equal(view.shared?.length, shared);
    assert.ok(
      view.shared?.every((s) => s.with.some((w) => w.group === s.group && w.similarity === 1 && w.class !== s.class)),
      'each shared with the same group of the other class (and maybe with others that overlap it)',
    );
    assert.equal(view.sharedErrors, undefined, `errors: ${view.sharedErrors}`);
    assert.deepEqual(panel.lastRendered('atlas')?.items, ['circle', 'square', 'triangle'], 'the webview drew the view with the shared groups');
    assert.match(panel.panel.title, /Atlas/);
  });

  test('Open Result on atlas.json itself shows the atlas in the same panel', async function () {
    this.timeout(30_000);
    const report = await vscode.commands.executeCommand<AtlasReport | undefined>('neurflow.openResult', vscode.Uri.file(atlas));
    assert.ok(report);
    assert.deepEqual(report.classes, ['circle', 'square', 'triangle']);
    assert.equal(api().panel(model), panel, 'the same panel');
    assert.equal(await report.shared, groupCount(doc) * 2);
  });

  test('a class opens its result from the atlas (openAtlasClass), and Back (showAtlas) returns to the atlas', async function () {
    this.timeout(60_000);
    assert.ok(panel);
    const shown = panel.waitRendered('result');
    const answer = await panel.dispatch({ type: 'openAtlasClass', class: 'triangle' });
    assert.equal(answer, undefined, `answered ${JSON.stringify(answer)}`);
    const items = (await shown).items;
    assert.deepEqual(
      items,
      doc.layers.map((l) => l.name),
      'the result view shows the layers of the class',
    );
    const rv = panel.view as ResultViewMessage;
    assert.equal(rv.type, 'result');
    assert.equal(rv.file, triangle);
    assert.equal(rv.doc.class.name, 'triangle');
    assert.equal(rv.atlas, atlas, 'the result view knows its atlas (the way back)');

    // A class with no result: a notice, the result stays.
    const refused = await panel.dispatch({ type: 'openAtlasClass', class: 'square' });
    assert.equal(refused?.type, 'notice');
    assert.equal(panel.view?.type, 'result');

    const back = panel.waitRendered('atlas');
    const none = await panel.dispatch({ type: 'showAtlas', atlas, selected: 'triangle' });
    assert.equal(none, undefined, `answered ${JSON.stringify(none)}`);
    assert.deepEqual((await back).items, ['circle', 'square', 'triangle']);
    // (panel.view read again: the assertions above narrowed it to the result view)
    const view = (panel as ModelPanel).view as AtlasViewMessage;
    assert.equal(view.type, 'atlas');
    assert.equal(view.selected, 'triangle', 'the class come back from is selected');
    assert.ok((view.shared?.length ?? 0) > 0, 'the shared groups known are shown at once');

    // A shared-group link opens the class at that group.
    const s = view.shared?.find((g) => g.class === 'circle');
    assert.ok(s);
    const link = panel.waitRendered('result');
    await panel.dispatch({ type: 'openAtlasClass', class: 'circle', layer: s.layer, group: s.group });
    await link;
    const circleView = panel.view as ResultViewMessage;
    assert.equal(circleView.file, circle);
    assert.deepEqual(circleView.group, { layer: s.layer, group: s.group });
    // Not an atlas of this panel: refused.
    const elsewhere = await panel.dispatch({ type: 'showAtlas', atlas: path.join(root, 'elsewhere', 'atlas.json') });
    assert.equal(elsewhere?.type, 'notice');
  });

  test('Compare with... (a result given) shows the compare view: a result with its copy matches everywhere', async function () {
    this.timeout(60_000);
    assert.ok(panel);
    await openClass(panel, 'triangle');
    const report = await vscode.commands.executeCommand<CompareReport | undefined>('neurflow.compareWith', { panel, with: other });
    assert.ok(report, 'the command compared');
    assert.equal(report.a, triangle);
    assert.equal(report.b, other);
    assert.equal(report.matched, groupCount(doc));
    assert.equal(report.onlyInA, 0);
    assert.equal(report.onlyInB, 0);
    assert.equal(report.weakened, 0);
    assert.equal(report.items.filter((i) => i.startsWith('A:')).length, groupCount(doc), 'every group of A drawn');
    assert.equal(report.items.filter((i) => i.startsWith('B:')).length, groupCount(doc), 'every group of B drawn');
    const view = panel.view as CompareViewMessage;
    assert.equal(view.type, 'compare');
    assert.equal(view.class, 'triangle');
    assert.equal(view.atlas, atlas, 'the comparison keeps the way back to the atlas');
    assert.deepEqual(view.diff.layersOnlyInA, []);
    assert.deepEqual(view.diff.layersOnlyInB, []);

    // Show side B as a result view, then side A (which keeps the atlas).
    const b = panel.waitRendered('result');
    assert.equal(await panel.dispatch({ type: 'openCompared', side: 'b' }), undefined);
    await b;
    assert.equal((panel.view as ResultViewMessage).file, other);
    assert.equal((panel.view as ResultViewMessage).atlas, undefined);
  });

  test('Compare with... from the panel (compareWith message): the quick pick offers the class beside this result', async function () {
    this.timeout(60_000);
    assert.ok(panel);
    // The panel shows side B, which came from no atlas: the atlas again, from Open Result.
    const again = await vscode.commands.executeCommand<AtlasReport | undefined>('neurflow.openResult', atlas);
    assert.ok(again);
    await again.shared;
    await openClass(panel, 'triangle');
    // The title button passes the shown file itself: that is not compared with itself, the other result is asked.
    assert.ok(panel.panel.active, 'the panel is the active one');
    let ownDone = false;
    const own = vscode.commands.executeCommand<CompareReport | undefined>('neurflow.compareWith', vscode.Uri.file(triangle)).then((r) => {
      ownDone = true;
      return r;
    });
    await sleep(1000);
    assert.equal(ownDone, false, 'the quick pick waits for the other result');
    await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
    assert.equal(await own, undefined, 'nothing compared when the pick is dismissed');
    assert.equal(panel.view?.type, 'result');
    // The quick pick lists the saved results of the class first (e.g. the flow suite's), then the result beside.
    const saved = api()
      .results.list()
      .filter((e) => e.className === 'triangle' && path.resolve(e.file) !== triangle).length;
    let done = false;
    const compared = panel.waitRendered('compare', 50_000).then((m) => {
      done = true;
      return m;
    });
    const asked = panel.dispatch({ type: 'compareWith' });
    await sleep(1000);
    assert.equal(done, false, 'the comparison waits for the pick');
    for (let i = 0; i < saved; i++) await vscode.commands.executeCommand('workbench.action.quickOpenSelectNext');
    for (let i = 0; i < 20 && !done; i++) {
      await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
      await Promise.race([compared, sleep(500)]);
    }
    await asked;
    const items = (await compared).items;
    assert.equal(items.length, 2 * groupCount(doc));
    const view = (panel as ModelPanel).view as CompareViewMessage;
    assert.equal(view.type, 'compare');
    assert.equal(view.a.file, triangle);
    assert.equal(view.b.file, other, 'the result beside was picked');
    assert.ok(
      view.diff.layers.every((l) => l.onlyInA.length === 0 && l.onlyInB.length === 0),
      'self-compare: everything matched',
    );
    const a = panel.waitRendered('result');
    await panel.dispatch({ type: 'openCompared', side: 'a' });
    await a;
    assert.equal((panel.view as ResultViewMessage).file, triangle);
    assert.equal((panel.view as ResultViewMessage).atlas, atlas, 'side A keeps the way back to the atlas');
  });
});

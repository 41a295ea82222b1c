/**
 * Group labels from the panel in a real VS Code without any language model: the webview's `setLabel` and
 * `labelGroups` messages dispatched to the panel's real request handler (as the Group view's Edit Label and Label
 * Layer buttons post them) reach the label commands with the panel's result file; the labels are saved in the file,
 * and the re-rendered Group view reports the label and its origin ("yours"; "from the data" with the reason). The
 * result is a real analysis of the demo (the generated Explain Batch fixture, see test/helpers/debug-fixture.ts), copied to a temp folder and opened in
 * the result editor.
 */
import * as assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { NeurflowApi } from '../../src/extension/api';
import type { ModelPanel } from '../../src/extension/panel';
import type { GroupLabel } from '../../src/engine/result/schema';
import { readResult } from '../../src/engine/result/store';
import type { NoticeMessage, ResultViewMessage } from '../../src/protocol/webview';
import { extension, fixture, sleep } from './helpers';

const api = () => extension().exports as NeurflowApi;

function labelOf(file: string, layer: string, group: number): GroupLabel | undefined {
  return readResult(file).layers.find((l) => l.name === layer)?.grouping?.groups[group]?.label;
}

suite('Labels in the panel (request handler, no language model)', () => {
  let file = '';
  let panel: ModelPanel;
  let layer = '';
  let group = 0;
  let count = 0;

  suiteSetup(async function () {
    this.timeout(60_000);
    file = path.join(mkdtempSync(path.join(tmpdir(), 'neurflow-panel-labels-')), 'demo.triangle.neurflow-result.json');
    copyFileSync(fixture('debug', 'shortcut-triangle.neurflow-result.json').fsPath, file);
    await extension().activate();
    await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(file));
    const deadline = Date.now() + 30_000;
    while (!api().panel(file)?.lastRendered('circuit') && Date.now() < deadline) await sleep(100);
    const p = api().panel(file);
    assert.ok(p, 'opening the result file made a result editor panel');
    panel = p;
    // The Group tab, as the user opens it: it shows the first group and reports its label.
    const view = panel.view as ResultViewMessage;
    const [, shown] = await panel.show({ ...view, tab: 'group' }, ['label']);
    const m = /^(.*)\/G(\d+)$/.exec(shown.items[0]);
    assert.ok(m, `label report ${shown.items.join(' | ')}`);
    layer = m[1];
    group = Number(m[2]);
    count = view.doc.layers.find((l) => l.name === layer)!.grouping!.count;
    assert.deepEqual(shown.items, [`${layer}/G${group}`, '', ''], 'the fixture result has no labels yet');
  });

  suiteTeardown(async () => {
    panel?.dispose();
    await vscode.commands.executeCommand('notifications.clearAll');
  });

  test('Edit Label (setLabel): the label is saved in the file as yours and the re-rendered Group view shows it', async () => {
    const relabelled = panel.waitRendered('label');
    const answer = await panel.dispatch({ type: 'setLabel', layer, group, text: '  marker   detector ', groupCount: count });
    assert.equal(answer, undefined, `answered ${JSON.stringify(answer)}`);
    assert.deepEqual(labelOf(file, layer, group), { text: 'marker detector', source: 'user' });
    const view = panel.view as ResultViewMessage;
    assert.deepEqual(view.doc.layers.find((l) => l.name === layer)!.grouping!.groups[group].label, { text: 'marker detector', source: 'user' });
    assert.deepEqual((await relabelled).items, [`${layer}/G${group}`, 'marker detector', 'yours']);
    assert.equal(panel.lastRendered('group') !== undefined, true);
  });

  test('Label Layer (labelGroups) without a language model: data labels with the reason, saved and shown; your label is kept', async function () {
    this.timeout(60_000);
    const notice = panel.waitRendered('notice');
    const relabelled = panel.waitRendered('label');
    await panel.dispatch({ type: 'labelGroups', layer, groupCount: count });
    const said = (await notice).items.join(' | ');
    assert.match(said, /labelled from the data/);
    assert.match(said, /No language model available/);
    assert.match(said, /1 label of yours kept/);
    assert.deepEqual((await relabelled).items, [`${layer}/G${group}`, 'marker detector', 'yours']);
    const saved = readResult(file)
      .layers.find((l) => l.name === layer)!
      .grouping!.groups.map((g) => g.label);
    saved.forEach((label, i) => {
      if (i === group) return;
      assert.equal(label?.source, 'data', `${layer}/G${i}`);
      assert.match(label?.reason ?? '', /^No language model available: /);
    });
  });

  test('removing your label and labelling the group: the data label and why appear in the Group view', async function () {
    this.timeout(60_000);
    const cleared = panel.waitRendered('label');
    await panel.dispatch({ type: 'setLabel', layer, group, text: '', groupCount: count });
    assert.equal(labelOf(file, layer, group), undefined);
    assert.deepEqual((await cleared).items, [`${layer}/G${group}`, '', '']);
    const relabelled = panel.waitRendered('label');
    await panel.dispatch({ type: 'labelGroups', layer, group, groupCount: count });
    const saved = labelOf(file, layer, group);
    assert.equal(saved?.source, 'data');
    const [id, text, origin] = (await relabelled).items;
    assert.equal(id, `${layer}/G${group}`);
    assert.equal(text, saved!.text);
    assert.equal(origin, `from the data · ${saved!.reason}`);
    assert.match(origin, /^from the data · No language model available: /);
  });

  test('a label for a grouping the file does not have is refused with a notice that says why', async () => {
    const before = labelOf(file, layer, group);
    const answer = (await panel.dispatch({ type: 'setLabel', layer, group, text: 'wrong grouping', groupCount: count + 1 })) as NoticeMessage;
    assert.equal(answer?.type, 'notice');
    assert.equal(answer.level, 'warning');
    assert.ok(answer.message.includes(`groups ${layer} into ${count} groups but the panel shows ${count + 1}`), answer.message);
    assert.deepEqual(labelOf(file, layer, group), before, 'the file is unchanged');
  });
});

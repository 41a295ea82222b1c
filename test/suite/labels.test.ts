/**
 * NeurFlow: Label Groups in a real VS Code without any language model (the offline test VS Code has none): every
 * group gets a label derived from the data, marked as such, with the reason; the labels are saved in the result
 * file, the result editor's panel shows them and says why in a notice; a label the user sets is kept by the next
 * labelling. The result is a real analysis of the demo (the generated Explain Batch fixture, see test/helpers/debug-fixture.ts), copied to a temp folder.
 */
import * as assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { NeurflowApi } from '../../src/extension/api';
import type { LabelGroupsReport } from '../../src/extension/labels/command';
import type { GroupLabel } from '../../src/engine/result/schema';
import { readResult } from '../../src/engine/result/store';
import { extension, fixture, sleep } from './helpers';

const api = () => extension().exports as NeurflowApi;

function groupsOf(file: string): { layer: string; group: number; label?: GroupLabel }[] {
  const doc = readResult(file);
  return doc.layers.flatMap((l) => (l.grouping?.groups ?? []).map((g, group) => ({ layer: l.name, group, label: g.label })));
}

suite('Label Groups without a language model', () => {
  let file = '';

  suiteSetup(() => {
    file = path.join(mkdtempSync(path.join(tmpdir(), 'neurflow-labels-')), 'demo.triangle.neurflow-result.json');
    copyFileSync(fixture('debug', 'shortcut-triangle.neurflow-result.json').fsPath, file);
  });

  test('the command labels every group from the data, says why, and saves the labels in the result', async function () {
    this.timeout(60_000);
    await extension().activate();
    const listed = await vscode.lm.selectChatModels();
    const report = await vscode.commands.executeCommand<LabelGroupsReport | undefined>('neurflow.labelGroups', { file });
    assert.ok(report, 'the command returned no report');
    assert.equal(report.model, undefined, `labelled by ${report.model} (models listed: ${listed.map((m) => m.name).join(', ')})`);
    assert.match(report.reason ?? '', /^No language model available: /);
    assert.equal(report.cancelled, false);
    const groups = groupsOf(file);
    assert.ok(groups.length >= 4, `${groups.length} groups`);
    assert.equal(report.labels.length, groups.length);
    for (const g of groups) {
      assert.ok(g.label, `${g.layer}/G${g.group} has a label in the file`);
      assert.equal(g.label.source, 'data');
      assert.equal(g.label.reason, report.reason);
      assert.match(g.label.text, /^(whole|small parts|large parts|mixed crops).* images$/, g.label.text);
      assert.match(g.label.detail ?? '', /^From \d+ crops of \d+ images predicted as triangle: /);
    }
    assert.ok(report.message.includes(`${groups.length} groups labelled from the data`), report.message);
    assert.ok(report.message.includes(report.reason!), 'the message says why');
  });

  test('in the result editor: the panel gets the labels and a notice with the reason', async function () {
    this.timeout(60_000);
    await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(file));
    const deadline = Date.now() + 30_000;
    while (!api().panel(file)?.lastRendered('circuit') && Date.now() < deadline) await sleep(100);
    const panel = api().panel(file);
    assert.ok(panel, 'opening the result file made a result editor panel');
    try {
      const notice = panel.waitRendered('notice');
      const report = await vscode.commands.executeCommand<LabelGroupsReport>('neurflow.labelGroups', { file, layer: 'layer3.1' });
      assert.deepEqual(
        report.labels.map((l) => l.layer),
        groupsOf(file)
          .filter((g) => g.layer === 'layer3.1')
          .map((g) => g.layer),
      );
      const shown = await notice;
      assert.ok(
        shown.items.some((t) => t.includes('labelled from the data') && t.includes('No language model available')),
        shown.items.join(' | '),
      );
      const view = panel.view;
      assert.equal(view?.type, 'result');
      if (view?.type === 'result') {
        const labels = view.doc.layers.flatMap((l) => (l.grouping?.groups ?? []).map((g) => g.label?.source));
        assert.ok(
          labels.every((s) => s === 'data'),
          `panel labels: ${labels.join(', ')}`,
        );
      }
    } finally {
      panel.dispose();
    }
  });

  test('a label the user sets is saved and kept by the next labelling', async () => {
    const [first, second] = groupsOf(file);
    const label = await vscode.commands.executeCommand<GroupLabel>('neurflow.setGroupLabel', {
      file,
      layer: first.layer,
      group: first.group,
      text: ' marker  detector ',
    });
    assert.deepEqual(label, { text: 'marker detector', source: 'user' });
    const report = await vscode.commands.executeCommand<LabelGroupsReport>('neurflow.labelGroups', { file });
    assert.match(report.message, /1 label of yours kept/);
    const after = groupsOf(file);
    assert.deepEqual(after[0].label, { text: 'marker detector', source: 'user' });
    assert.equal(after[1].label?.source, 'data');
    assert.equal(after[1].layer, second.layer);
    await vscode.commands.executeCommand('notifications.clearAll');
  });
});

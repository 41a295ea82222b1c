/**
 * The whole flow on a real model and dataset (the demo shipped in the extension: a ResNet that learned a planted
 * marker as its "triangle" shortcut, 400 images): Analyse Model from the command to the panel (the questions
 * answered by the command's options, as settings and memory would), the saved result reused and reopened
 * instantly (command and result file), explain a marked image and mask its group through the panel's request
 * handler (worker round trip, answer acknowledged by the webview), jump to code onto the defining line of the
 * fixture training script, and a cancel that keeps the finished layers. The last test leaves the circuit open for
 * the harness's screenshot.
 */
import * as assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { NeurflowApi } from '../../src/extension/api';
import type { ModelPanel } from '../../src/extension/panel';
import type { AnalyseOptions, AnalyseReport } from '../../src/extension/commands/analyseModel';
import type { OpenResultReport } from '../../src/extension/commands/openResult';
import type { ExplanationMessage, MaskResultMessage, ResultViewMessage } from '../../src/protocol/webview';
import { expectedNodes, extension, fixture, neurflowTabs, sleep } from './helpers';

type Box = [number, number, number, number];

const demo = (...p: string[]) => path.join(extension().extensionPath, 'demo', ...p);
const MODEL = () => demo('model', 'shortcut-resnet.onnx');
const LAYERS = ['fc', 'layer3.1', 'layer3.0', 'layer2.1', 'layer2.0'];
const SMALL = { tau: 3, topCrops: 12, igSteps: 4 };
const api = () => extension().exports as NeurflowApi;
const overlaps = (a: Box, b: Box) => a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3];

async function analyse(options: AnalyseOptions): Promise<AnalyseReport> {
  const report = await vscode.commands.executeCommand<AnalyseReport | undefined>('neurflow.analyseModel', vscode.Uri.file(MODEL()), {
    data: demo('images'),
    class: 'triangle',
    layers: LAYERS,
    noPrompt: true,
    ...options,
    params: { ...SMALL, ...options.params },
  });
  assert.ok(report, 'the command returned no report');
  return report;
}

/** The demo's panel, in front and listening (answers reach only a live webview). */
async function livePanel(): Promise<ModelPanel> {
  const panel = api().panel(MODEL());
  assert.ok(panel, 'the demo model has a panel');
  if (!panel.panel.visible || !panel.listening) {
    const shown = panel.waitRendered('result');
    panel.reveal();
    await shown;
  }
  return panel;
}

function resultView(): ResultViewMessage {
  const view = api().panel(MODEL())?.view;
  assert.equal(view?.type, 'result', `the panel shows ${view?.type}`);
  return view as ResultViewMessage;
}

suite('NeurFlow analysis flow (demo model and images)', () => {
  let file = '';

  suiteSetup(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.window.showTextDocument(fixture('train.py'), { viewColumn: vscode.ViewColumn.One });
  });

  test('Analyse Model: scan, class, layers, progress stages, and the panel renders every group of the circuit', async function () {
    this.timeout(180_000);
    const report = await analyse({ force: true });
    assert.equal(report.view, 'result', `ended on ${report.view}: ${report.items.join('; ')}`);
    assert.equal(report.complete, true);
    assert.equal(report.reused, false);
    assert.ok((report.partials ?? 0) >= 1, 'the circuit of the upper layers was shown before the end');
    assert.deepEqual(report.scan?.classes, ['circle', 'square', 'star', 'triangle']);
    assert.equal(report.scan?.images, 400);
    assert.ok(report.stages.includes('Scanning 400 images'), report.stages.slice(0, 5).join(' | '));
    for (const l of ['layer3.1', 'layer3.0', 'layer2.1']) {
      assert.ok(
        report.stages.some((s) => new RegExp(`^Layer ${l.replace('.', '\\.')}: core neurons \\d+/\\d+$`).test(s)),
        `no stage for ${l}`,
      );
    }
    assert.ok(report.stages.includes('Clustering groups') && report.stages.some((s) => s.startsWith('Rendering crops')), report.stages.slice(-5).join(' | '));
    file = report.file!;
    assert.ok(file.endsWith('.neurflow-result.json') && existsSync(file), file);
    assert.ok(file.startsWith(api().results.dir), `saved in the store ${api().results.dir}`);
    const view = resultView();
    assert.deepEqual(
      view.doc.layers.map((l) => l.name),
      LAYERS,
    );
    assert.equal(view.scan?.images.length, 400, 'the full scan goes to the Mistakes view');
    assert.ok(view.imageBase && view.datasetRoot === demo('images'), `images from ${view.datasetRoot}`);
    // What the webview reported: the layers, and one circuit node per group of every grouped layer.
    assert.deepEqual(report.items, LAYERS);
    assert.deepEqual([...report.circuit!].sort(), expectedNodes(view).sort());
    const tabs = neurflowTabs();
    assert.equal(tabs.length, 1);
    // The title names the run (issue 18): demo, class, model, tau and steps.
    assert.equal(tabs[0].tab.label, 'NeurFlow Demo · triangle · shortcut-resnet.onnx (τ 3, 4 steps)');
    assert.notEqual(tabs[0].column, vscode.ViewColumn.One, 'the panel is beside the training script');
  });

  test('the same answers again reuse the saved result (no analysis run); the dataset folder is remembered', async () => {
    const report = await analyse({ data: undefined });
    assert.equal(report.reused, true);
    assert.equal(report.file, file);
    assert.ok(report.ms.analysis! < 5000, `reuse took ${report.ms.analysis} ms`);
    assert.ok(!report.stages.some((s) => s.startsWith('Layer ')), 'no core-neuron stage');
  });

  test('the class and layer quick picks offer the remembered answers first (accepted as shown)', async () => {
    let report: AnalyseReport | undefined;
    const run = vscode.commands.executeCommand<AnalyseReport>('neurflow.analyseModel', vscode.Uri.file(MODEL()), { params: SMALL }).then((r) => {
      report = r;
    });
    // Accept whatever quick pick is showing (a no-op while none is) until the command is done.
    for (let i = 0; i < 200 && !report; i++) {
      await sleep(300);
      await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
    }
    await run;
    assert.ok(report, 'the command finished');
    assert.equal(report.view, 'result', `ended on ${report.view}: ${report.items.join('; ')}`);
    assert.equal(report.classIndex, 3, 'triangle, remembered, was the active class');
    assert.deepEqual(report.layers, LAYERS, 'the remembered layers were preselected');
    assert.equal(report.reused, true);
  });

  test('Open Result reopens the saved result instantly, and the index lists it', async () => {
    assert.ok(
      api()
        .results.list()
        .some((e) => e.file === file && e.className === 'triangle'),
    );
    const r = await vscode.commands.executeCommand<OpenResultReport>('neurflow.openResult', file);
    assert.ok(r);
    assert.deepEqual(r.items, LAYERS);
    assert.deepEqual([...r.circuit].sort(), expectedNodes(resultView()).sort());
    assert.ok(r.readMs < 500, `reading the result took ${r.readMs} ms`);
    assert.ok(r.ms < 3000, `reopening took ${r.ms} ms`);
  });

  test('an exported .neurflow-result.json opens in the result editor', async () => {
    const to = path.join(mkdtempSync(path.join(tmpdir(), 'neurflow-export-')), 'demo.triangle.neurflow-result.json');
    const out = await vscode.commands.executeCommand<string>('neurflow.exportResult', { file, to });
    assert.equal(out, to);
    assert.ok(existsSync(to.replace('.neurflow-result.json', '.neurflow-scan.json')), 'the scan travels with it');
    await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(to));
    const deadline = Date.now() + 30_000;
    while (!api().panel(to)?.lastRendered('circuit') && Date.now() < deadline) await sleep(100);
    const panel = api().panel(to);
    assert.ok(panel, 'opening the file made a result editor panel');
    assert.deepEqual(panel.lastRendered('result')?.items, LAYERS);
    assert.ok((panel.lastRendered('circuit')?.items.length ?? 0) > 0);
    panel.dispose();
  });

  test('a marked image the model calls a triangle: a group at layer2.1 has evidence on the marker; masking it lowers triangle', async () => {
    const panel = await livePanel();
    const view = resultView();
    const truth = JSON.parse(readFileSync(demo('truth.json'), 'utf8')).images as Record<string, { marker: Box | null; class: string }>;
    const marked = view.doc.class.images.find((p) => truth[p].marker && truth[p].class !== 'triangle')!;
    assert.ok(marked, 'a marked non-triangle predicted as triangle');
    const layer = view.doc.layers.find((l) => l.name === 'layer2.1')!;
    const acked = panel.waitRendered('explanation');
    const ex = (await panel.dispatch({
      type: 'explainImage',
      requestId: 9001,
      image: marked,
      layer: 'layer2.1',
      groupCount: layer.grouping!.count,
    })) as ExplanationMessage;
    assert.equal(ex.type, 'explanation');
    assert.equal(ex.error, undefined, ex.error);
    assert.equal(ex.requestId, 9001);
    assert.equal(ex.top?.[0].name, 'triangle');
    assert.equal(ex.groups.length, layer.grouping!.count);
    const onMarker = ex.groups.find((g) => g.evidence.some((b) => overlaps(b, truth[marked].marker!)));
    assert.ok(onMarker, `no group's evidence covers the marker ${truth[marked].marker}: ${JSON.stringify(ex.groups)}`);
    await acked; // the webview received the answer

    const grouping = layer.grouping!;
    const channels = [...new Set(grouping.groups[onMarker.group].members.map((m) => grouping.pairs[m][0]))];
    const maskAcked = panel.waitRendered('maskResult');
    const m = (await panel.dispatch({
      type: 'maskGroup',
      requestId: 9002,
      image: marked,
      layer: 'layer2.1',
      group: onMarker.group,
      groupCount: grouping.count,
      channels,
      classIndex: 3,
    })) as MaskResultMessage;
    assert.equal(m.error, undefined, m.error);
    assert.equal(m.requestId, 9002);
    assert.ok(Math.abs(m.before - ex.top![0].prob) < 1e-5, `before ${m.before}, explained ${ex.top![0].prob}`);
    assert.notEqual(m.after, m.before);
    assert.equal(m.top.length, 3);
    assert.equal(m.topBefore[0].name, 'triangle');
    await maskAcked;
  });

  test('a request the panel cannot run answers with an error that names the layer', async () => {
    const panel = await livePanel();
    const ex = (await panel.dispatch({
      type: 'explainImage',
      requestId: 9003,
      image: 'circle/0000.png',
      layer: 'layer9.9',
      groupCount: 2,
    })) as ExplanationMessage;
    assert.match(ex.error ?? '', /layer9\.9/);
  });

  test('Jump to Code from layer2.1 lands on the line that defines self.layer2 in train.py', async () => {
    const panel = await livePanel();
    const view = resultView();
    const tensor = view.doc.layers.find((l) => l.name === 'layer2.1')!.tensor;
    const answer = await panel.dispatch({ type: 'jumpToCode', layer: 'layer2.1', tensor, group: 0 });
    assert.equal(answer, undefined, `answered ${JSON.stringify(answer)}`);
    const editor = vscode.window.activeTextEditor;
    assert.ok(editor, 'an editor is active');
    assert.equal(editor.document.uri.fsPath, fixture('train.py').fsPath);
    const line = editor.document
      .getText()
      .split('\n')
      .findIndex((l) => l.includes('self.layer2 = '));
    assert.equal(editor.selection.active.line, line, `landed on line ${editor.selection.active.line + 1}, expected ${line + 1}`);
    assert.notEqual(editor.viewColumn, panel.panel.viewColumn, 'the code opens beside the panel');
  });

  test('Cancel during the core neurons stops within a second and keeps the finished layers', async function () {
    this.timeout(120_000);
    const controller = new AbortController();
    let abortedAt = 0;
    const report = await analyse({
      force: true,
      params: { tau: 4 },
      signal: controller.signal,
      onProgress: (stage) => {
        if (!abortedAt && stage.startsWith('Layer layer3.0')) {
          abortedAt = Date.now();
          controller.abort();
        }
      },
    });
    const stopMs = Date.now() - abortedAt;
    assert.ok(abortedAt > 0, 'the analysis reached layer3.0');
    assert.equal(report.view, 'cancelled');
    assert.equal(report.complete, false);
    assert.ok(report.file?.endsWith('.partial.neurflow-result.json'), report.file);
    assert.deepEqual(report.items.slice(0, 2), ['fc', 'layer3.1'], `rendered ${report.items}`);
    const view = resultView();
    assert.equal(view.doc.complete, false);
    assert.deepEqual(
      view.doc.layers.filter((l) => l.grouping).map((l) => l.name),
      ['fc', 'layer3.1'],
    );
    // The cancel answer and the panel's render: well within a few seconds (the job itself stops in < 1 s).
    assert.ok(stopMs < 5000, `stopped ${stopMs} ms after the cancel`);
  });

  test('the complete result is back in the panel (for the screenshot)', async () => {
    const r = await vscode.commands.executeCommand<OpenResultReport>('neurflow.openResult', file);
    assert.deepEqual(r.items, LAYERS);
    await vscode.commands.executeCommand('notifications.clearAll');
    await vscode.commands.executeCommand('workbench.action.closeAuxiliaryBar').then(undefined, () => undefined);
  });
});

/**
 * NeurFlow: Analyse Model, first step: the command opens the panel beside the active editor, the worker
 * describes the model, the webview renders it and reports the layers it shows back to the host (`describeOnly`
 * stops there; the whole analysis flow is in e-flow.test.ts).
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { AnalyseReport } from '../../src/extension/commands/analyseModel';
import { fixture, neurflowTabs } from './helpers';

async function analyse(uri: vscode.Uri): Promise<AnalyseReport> {
  const report = await vscode.commands.executeCommand<AnalyseReport | undefined>('neurflow.analyseModel', uri, { describeOnly: true });
  assert.ok(report, 'the command returned no report');
  return report;
}

function checkModelReport(report: AnalyseReport, output: string): void {
  assert.equal(report.view, 'model', `panel shows ${report.view}: ${report.items.join('; ')}`);
  const summary = report.summary!;
  assert.ok(summary.layers.length >= 2, `layers detected: ${JSON.stringify(summary.layers)}`);
  // What the webview rendered, as it reported it, is the worker's layer list.
  assert.deepEqual(
    report.items,
    summary.layers.map((l) => l.name),
  );
  assert.equal(summary.layers.at(-1)!.tensor, output, 'the top layer is the logits');
}

suite('NeurFlow panel', () => {
  suiteSetup(() => vscode.commands.executeCommand('workbench.action.closeAllEditors'));

  test('Analyse Model opens the panel beside the training script and the webview reports the layers', async () => {
    const editor = await vscode.window.showTextDocument(fixture('train.py'), { viewColumn: vscode.ViewColumn.One });
    const report = await analyse(fixture('generated', 'tiny-cnn.onnx'));
    checkModelReport(report, 'logits');
    const tabs = neurflowTabs();
    assert.equal(tabs.length, 1);
    assert.equal(tabs[0].tab.label, 'NeurFlow: tiny-cnn.onnx');
    assert.notEqual(tabs[0].column, editor.viewColumn, 'the panel is beside the editor, not over it');
    assert.ok(
      vscode.window.visibleTextEditors.some((e) => e.document.uri.fsPath === editor.document.uri.fsPath),
      'train.py stays visible',
    );
  });

  test('analysing the same model again reuses its panel', async () => {
    const report = await analyse(fixture('generated', 'tiny-cnn.onnx'));
    assert.equal(report.view, 'model');
    assert.equal(neurflowTabs().length, 1);
  });

  test('a file that is not an ONNX model gives an error view naming the file', async () => {
    const file = fixture('generated', 'not-a-model.onnx');
    const report = await analyse(file);
    assert.equal(report.view, 'error');
    assert.ok(report.items[0].includes(file.fsPath) && /not an ONNX model/.test(report.items[0]), report.items[0]);
    assert.equal(neurflowTabs().length, 2);
  });
});

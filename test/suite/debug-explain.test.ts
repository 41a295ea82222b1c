/**
 * NeurFlow: Explain Batch in a real Python debug session. The session is of type `debugpy`, served by the
 * test-driver extension as a STAND-IN for the Python extension (Debian's python3-debugpy adapter; the Microsoft
 * extension is not installable offline). It runs test/fixture/debug/eval_loop.py (NumPy only), which pauses
 * in its evaluation loop on the first batch of 8 demo images; the command exports the batch from the frame,
 * the worker explains it with the committed analysis of class triangle, and the panel's batch view renders it (the
 * command waits for the webview's report); Go to Paused Line opens the paused line; a hidden panel shows it again.
 * Expected mistakes come from PyTorch (the loop's `outputs`) and the fixture labels, read here from the files.
 */
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { NeurflowApi } from '../../src/extension/api';
import type { ExplainBatchArgs, ExplainBatchReport } from '../../src/extension/debug/command';
import { readNpy } from '../../src/engine/io/npy';
import { extension, fixture, neurflowTabs, sleep } from './helpers';

const program = () => fixture('debug', 'eval_loop.py').fsPath;
const demoModel = () => path.resolve(fixture().fsPath, '../../demo/model/shortcut-resnet.onnx');
const result = () => fixture('debug', 'shortcut-triangle.neurflow-result.json').fsPath;
const BATCH = 8;
const api = () => extension().exports as NeurflowApi;

function breakpointLine(): number {
  return readFileSync(program(), 'utf8').split('\n').findIndex((l) => l.includes('  # BREAKPOINT')) + 1;
}

async function explain(args: ExplainBatchArgs): Promise<ExplainBatchReport> {
  const r = await vscode.commands.executeCommand<ExplainBatchReport>('neurflow.explainBatch', { noPrompt: true, ...args });
  assert.ok(r, 'the command returned no report');
  return r;
}

/** Where PyTorch (the debuggee's `outputs`) is wrong on the first batch. */
function expectedMistakes(n = BATCH): number[] {
  const labels = readNpy(fixture('debug', 'batch-labels.npy').fsPath).data as BigInt64Array;
  const probs = readNpy(fixture('debug', 'batch-torch-probs.npy').fsPath).data as Float32Array;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const row = Array.from(probs.subarray(i * 4, i * 4 + 4));
    if (row.indexOf(Math.max(...row)) !== Number(labels[i])) out.push(i);
  }
  return out;
}

suite('Explain Batch (Python debug session, debugpy stand-in)', () => {
  let stopped: Promise<void>;
  const disposables: vscode.Disposable[] = [];

  suiteSetup(async function () {
    this.timeout(90_000);
    stopped = new Promise((resolve) => {
      disposables.push(vscode.debug.registerDebugAdapterTrackerFactory('debugpy', {
        createDebugAdapterTracker: () => ({
          onDidSendMessage: (m: { type?: string; event?: string }) => { if (m.type === 'event' && m.event === 'stopped') resolve(); },
        }),
      }));
    });
    const uri = vscode.Uri.file(program());
    vscode.debug.addBreakpoints([new vscode.SourceBreakpoint(new vscode.Location(uri, new vscode.Position(breakpointLine() - 1, 0)))]);
    const started = await vscode.debug.startDebugging(vscode.workspace.workspaceFolders![0], {
      type: 'debugpy', request: 'launch', name: 'NeurFlow fixture eval loop', program: program(), python: ['/usr/bin/python3'],
      console: 'internalConsole', cwd: path.dirname(program()), justMyCode: true,
    });
    assert.ok(started, 'the debugpy session did not start');
    await Promise.race([stopped, sleep(60_000).then(() => { throw new Error('the debuggee never stopped at the breakpoint'); })]);
    // Let VS Code select the stopped frame.
    for (let i = 0; i < 50 && !vscode.debug.activeStackItem; i++) await sleep(100);
  });

  suiteTeardown(async () => {
    await vscode.debug.stopDebugging();
    vscode.debug.removeBreakpoints(vscode.debug.breakpoints);
    for (const d of disposables) d.dispose();
    // Leave the workbench as the earlier suites did (Explorer, no debug console, no debuggee tab) for the harness's
    // screenshot and Explorer context-menu checks.
    const loop = vscode.window.tabGroups.all.flatMap((g) => g.tabs)
      .filter((t) => t.input instanceof vscode.TabInputText && t.input.uri.fsPath === program());
    await vscode.window.tabGroups.close(loop);
    await vscode.commands.executeCommand('workbench.action.closePanel');
    await vscode.commands.executeCommand('workbench.view.explorer');
  });

  test('the misclassified samples of the paused batch and their groups reach the panel', async () => {
    const report = await explain({ model: demoModel(), results: [result()] });
    assert.ok(report.ok, `failed: ${!report.ok && `${report.kind}: ${report.error}`}`);
    const m = report.message;
    assert.equal(vscode.debug.activeDebugSession?.type, 'debugpy');
    assert.equal(m.type, 'batch');
    assert.equal(m.batchSize, BATCH);
    assert.deepEqual(m.expressions, { images: 'images', labels: 'labels', predictions: 'outputs' }, 'the default expressions were found');
    assert.equal(m.layout, 'NCHW');
    assert.deepEqual(m.misclassified.map((s) => s.index), expectedMistakes(), 'the mistakes are where PyTorch is wrong');
    assert.deepEqual(m.disagreements, [], 'the ONNX model agrees with the debuggee');
    assert.equal(m.transfer.bytes, BATCH * 3 * 64 * 64 * 4 + BATCH * 8 + BATCH * 4 * 4);
    // The link back to the paused line.
    assert.equal(m.source.path, program());
    assert.equal(m.source.line, breakpointLine());
    assert.equal(m.source.frame, 'evaluate');
    for (const s of m.misclassified) {
      assert.notEqual(s.predicted, s.label);
      const e = s.explanation;
      assert.ok(e, `sample ${s.index} has no explanation: ${s.note}`);
      assert.equal(e.className, 'triangle');
      assert.ok(e.groups.length > 0, `sample ${s.index}: no groups`);
      const top = e.groups[0];
      assert.ok(top.score > 0 && top.channels.length > 0 && top.representatives.length > 0, JSON.stringify({ ...top, representatives: top.representatives.length }));
      assert.ok(top.mask.top.length > 0 && top.mask.predictedAfter >= 0 && top.mask.predictedAfter <= 1);
    }
    assert.equal(report.panel, 'NeurFlow: shortcut-resnet.onnx');
    assert.ok(neurflowTabs().some((t) => t.tab.label === 'NeurFlow: shortcut-resnet.onnx'), 'the panel is open');
    // What the webview acknowledged: every misclassified sample, and the first one selected with its groups.
    assert.deepEqual(report.rendered, m.misclassified.map((s) => String(s.index)), 'the batch view rendered the misclassified samples');
    const first = m.misclassified[0];
    assert.deepEqual(report.sample, [String(first.index), ...first.explanation!.groups.map((g) => `${first.explanation!.layer}/G${g.group}`)],
      'the batch view rendered the first sample\'s groups');
  });

  test('Go to Paused Line opens the paused file at the line; the panel shows the batch again after it was hidden', async function () {
    this.timeout(60_000);
    const panel = api().panel(demoModel());
    assert.ok(panel, 'the model has a panel');
    const view = panel.view;
    assert.equal(view?.type, 'batch');
    if (view?.type !== 'batch') return;
    // Another file in front, so the editor must move to the paused line.
    await vscode.window.showTextDocument(fixture('train.py'), { viewColumn: vscode.ViewColumn.One });
    const answer = await panel.dispatch({ type: 'openFile', path: view.source.path, line: view.source.line });
    assert.equal(answer, undefined, JSON.stringify(answer));
    const editor = vscode.window.activeTextEditor;
    assert.equal(editor?.document.uri.fsPath, program());
    assert.equal(editor.selection.active.line, breakpointLine() - 1, `at line ${editor.selection.active.line + 1}`);
    assert.notEqual(editor.viewColumn, panel.panel.viewColumn, 'the file opens beside the panel');
    // Hide the panel (its webview document is dropped), show it again: the host replays the batch.
    await vscode.window.showTextDocument(fixture('train.py'), { viewColumn: panel.panel.viewColumn, preview: false });
    for (let i = 0; i < 50 && panel.panel.visible; i++) await sleep(100);
    assert.equal(panel.panel.visible, false, 'the panel is hidden');
    const again = panel.waitRendered('batch');
    panel.reveal();
    assert.deepEqual((await again).items, view.misclassified.map((s) => String(s.index)));
    assert.equal(panel.view, view, 'the panel still shows the same batch');
    const trainTabs = vscode.window.tabGroups.all.flatMap((g) => g.tabs)
      .filter((t) => t.input instanceof vscode.TabInputText && t.input.uri.fsPath === fixture('train.py').fsPath);
    await vscode.window.tabGroups.close(trainTabs);
  });

  test('expressions are remembered for the workspace', async () => {
    const first = await explain({ model: demoModel(), results: [result()], images: 'images[:4]', labels: 'labels[:4]', predictions: '' });
    assert.ok(first.ok, !first.ok ? first.error : '');
    assert.equal(first.message.batchSize, 4);
    const again = await explain({ model: demoModel(), results: [result()] });
    assert.ok(again.ok, !again.ok ? again.error : '');
    assert.deepEqual(again.message.expressions, { images: 'images[:4]', labels: 'labels[:4]', predictions: undefined });
    assert.deepEqual(again.message.misclassified.map((s) => s.index), expectedMistakes(4));
    await explain({ model: demoModel(), results: [result()], images: 'images', labels: 'labels', predictions: 'outputs' });
  });

  test('clear messages: missing expression, not an array, wrong shape, no analysis for the model', async () => {
    const base = { model: demoModel(), results: [result()], predictions: '' };
    const missing = await explain({ ...base, images: 'imgs' });
    assert.ok(!missing.ok && missing.kind === 'expression');
    assert.match(missing.error, /no images found in evaluate at eval_loop\.py:\d+: `imgs` raised NameError: name 'imgs' is not defined/);
    const notArray = await explain({ ...base, images: 'HERE' });
    assert.ok(!notArray.ok && notArray.kind === 'expression');
    assert.match(notArray.error, /`HERE` is a builtins\.str, not an array or tensor/);
    const shape = await explain({ ...base, images: 'images[:, :, :32]' });
    assert.ok(!shape.ok && shape.kind === 'shape', JSON.stringify(shape));
    assert.match(shape.error, /images\[:, :, :32\] has shape \[8, 3, 32, 64\].*the model input is \[N, 3, 64, 64\]/);
    const count = await explain({ ...base, images: 'images', labels: 'labels[:3]' });
    assert.ok(!count.ok && count.kind === 'shape');
    assert.match(count.error, /labels\[:3\] \(labels\) has shape \[3\]: the batch has 8 images but 3 labels/);
    const tiny = fixture('generated', 'tiny-cnn.onnx').fsPath;
    const none = await explain({ model: tiny, images: 'images', labels: 'labels' });
    assert.ok(!none.ok && none.kind === 'no-analysis');
    assert.ok(none.error.includes(`no analysis of ${tiny} exists yet`), none.error);
    // Restore the remembered expressions for later runs of the suite.
    await explain({ model: demoModel(), results: [result()], images: 'images', labels: 'labels', predictions: 'outputs' });
  });

  test('outside a Python debug session the command explains nothing', async () => {
    await vscode.debug.stopDebugging();
    for (let i = 0; i < 50 && vscode.debug.activeDebugSession; i++) await sleep(100);
    const r = await explain({ model: demoModel(), results: [result()] });
    assert.ok(!r.ok && r.kind === 'no-session', JSON.stringify(r));
    assert.match(r.error, /needs a Python debug session/);
  });
});

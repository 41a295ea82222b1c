/**
 * Explain Batch from the debugger alone: a real debugpy session (the test-driver extension's stand-in for the
 * Python extension's `debugpy` debugger, Debian's adapter) runs test/fixture/debug/train_torch.py, a PyTorch training
 * loop with no ONNX file anywhere, and pauses on its last batch of an epoch with the model in training mode.
 * Explain Batch alone exports the model from the debuggee, checks it against the live logits, analyses the classes
 * the batch gets wrong and renders the batch; the debuggee's state (training flags, grad mode, the frame's names,
 * the RNG state, the loss's graph), read in the debuggee before and after, is unchanged. A second Explain Batch
 * reuses the export and the analyses; after the next epoch the weights changed and Compare with Previous
 * Checkpoint summarises the change per group; an export PyTorch refuses is reported with its message.
 */
import * as assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ExplainBatchArgs, ExplainBatchReport } from '../../src/extension/debug/command';
import type { CompareArgs, CompareReport } from '../../src/extension/debug/compare';
import { parseState, STATE_EXPRESSION } from '../helpers/torch-state';
import { fixture, neurflowTabs, sleep } from './helpers';

const program = () => fixture('debug', 'train_torch.py').fsPath;
const BATCH = 16;

function breakpointLine(): number {
  return (
    readFileSync(program(), 'utf8')
      .split('\n')
      .findIndex((l) => l.includes('  # BREAKPOINT')) + 1
  );
}

async function explain(args: ExplainBatchArgs = {}): Promise<ExplainBatchReport> {
  const r = await vscode.commands.executeCommand<ExplainBatchReport>('neurflow.explainBatch', { noPrompt: true, ...args });
  assert.ok(r, 'the command returned no report');
  return r;
}

async function compare(args: CompareArgs = {}): Promise<CompareReport> {
  const r = await vscode.commands.executeCommand<CompareReport>('neurflow.compareCheckpoint', { noPrompt: true, ...args });
  assert.ok(r, 'the command returned no report');
  return r;
}

/** Evaluates in the top frame of the stopped thread (the paused line). */
async function evaluate(expression: string): Promise<string> {
  const session = vscode.debug.activeDebugSession!;
  const threads = ((await session.customRequest('threads')) as { threads: { id: number }[] }).threads;
  for (const t of threads) {
    const st = (await session.customRequest('stackTrace', { threadId: t.id, startFrame: 0, levels: 1 })) as { stackFrames: { id: number }[] };
    if (st.stackFrames.length > 0) {
      return ((await session.customRequest('evaluate', { expression, frameId: st.stackFrames[0].id, context: 'repl' })) as { result: string }).result;
    }
  }
  throw new Error('no stopped thread');
}

suite('Explain Batch from the debugger alone (PyTorch training loop, debugpy stand-in)', () => {
  const disposables: vscode.Disposable[] = [];
  let stops = 0;
  const waitStop = async (count: number, ms: number) => {
    const deadline = Date.now() + ms;
    while (stops < count && Date.now() < deadline) await sleep(100);
    if (stops < count) throw new Error(`the debuggee did not stop (${stops} stops, ${count} expected)`);
    // Let VS Code select the stopped frame.
    await sleep(300);
    for (let i = 0; i < 50 && !vscode.debug.activeStackItem; i++) await sleep(100);
  };
  let first: Extract<ExplainBatchReport, { ok: true }>;

  suiteSetup(async function () {
    this.timeout(120_000);
    disposables.push(
      vscode.debug.registerDebugAdapterTrackerFactory('debugpy', {
        createDebugAdapterTracker: () => ({
          onDidSendMessage: (m: { type?: string; event?: string }) => {
            if (m.type === 'event' && m.event === 'stopped') stops++;
          },
        }),
      }),
    );
    const uri = vscode.Uri.file(program());
    vscode.debug.addBreakpoints([new vscode.SourceBreakpoint(new vscode.Location(uri, new vscode.Position(breakpointLine() - 1, 0)))]);
    const started = await vscode.debug.startDebugging(vscode.workspace.workspaceFolders![0], {
      type: 'debugpy',
      request: 'launch',
      name: 'NeurFlow fixture PyTorch training loop',
      program: program(),
      python: ['/usr/bin/python3'],
      console: 'internalConsole',
      cwd: path.dirname(program()),
      justMyCode: true,
    });
    assert.ok(started, 'the debugpy session did not start');
    await waitStop(1, 100_000);
  });

  suiteTeardown(async () => {
    await vscode.debug.stopDebugging();
    vscode.debug.removeBreakpoints(vscode.debug.breakpoints);
    for (const d of disposables) d.dispose();
    const editors = vscode.window.tabGroups.all
      .flatMap((g) => g.tabs)
      .filter((t) => t.input instanceof vscode.TabInputText && (t.input.uri.fsPath === program() || t.input.uri.fsPath.endsWith('.md')));
    await vscode.window.tabGroups.close(editors);
    await vscode.commands.executeCommand('workbench.action.closePanel');
    await vscode.commands.executeCommand('workbench.view.explorer');
  });

  test('from the paused line to the rendered batch: the model in scope exported, checked and analysed; the process unchanged', async function () {
    this.timeout(180_000);
    const onnxBefore = (await vscode.workspace.findFiles('**/*.onnx')).map((u) => u.fsPath).sort();
    const before = await evaluate(STATE_EXPRESSION);
    const state = parseState(before);
    assert.ok(state.training.length > 5 && state.training.every(([, t]) => t), `paused in training mode: ${JSON.stringify(state.training)}`);
    assert.equal(state.grad, true);
    assert.deepEqual(state.loss, ['NllLossBackward0', true]);

    const report = await explain();
    assert.ok(report.ok, `failed: ${!report.ok && `${report.kind}: ${report.error}`}`);
    first = report;
    const m = report.message;
    const e = report.exported;
    assert.ok(e, 'the debuggee exported its model');
    console.log(
      `explain batch from the debugger alone: ${report.ms} ms to the rendered batch; debuggee export ${e.ms} ms (torch.onnx.export ${e.exportMs} ms); ` +
        `analyses ${e.analysed.map((a) => `${a.className} ${a.ms} ms on ${a.images}`).join(', ')}; max logit difference ${e.check?.maxLogitDiff}`,
    );
    assert.equal(e.expression, 'model');
    assert.equal(e.type, '__main__.SmallNet');
    assert.equal(e.reused, false);
    assert.ok(e.exportMs !== undefined && e.exportMs > 0);
    assert.deepEqual(e.restored, { training: true, grad: true, rng: true });
    assert.ok(e.check, 'the export was checked against the live model');
    assert.ok(e.check.maxLogitDiff <= e.check.tolerance, `max logit difference ${e.check.maxLogitDiff} > ${e.check.tolerance}`);
    assert.deepEqual(e.check.argmaxDisagreements, []);
    assert.deepEqual(m.check, e.check, 'the check travels with the batch');
    // The export lives in the extension's storage, not in the workspace.
    assert.ok(existsSync(e.onnx));
    assert.ok(!e.onnx.startsWith(vscode.workspace.workspaceFolders![0].uri.fsPath), e.onnx);
    assert.deepEqual((await vscode.workspace.findFiles('**/*.onnx')).map((u) => u.fsPath).sort(), onnxBefore, 'no ONNX file was added to the workspace');
    assert.match(path.basename(e.onnx), /^SmallNet-[0-9a-f]{16}\.onnx$/);

    // The batch and its mistakes, with the debuggee's class names.
    assert.equal(m.batchSize, BATCH);
    assert.deepEqual(m.classes, ['hbar', 'vbar', 'blob']);
    assert.equal(m.expressions.images, 'images');
    assert.equal(m.expressions.labels, 'labels');
    assert.ok(m.misclassified.length > 0, 'the partly trained model gets some of the batch wrong');
    assert.equal(m.correct + m.misclassified.length + m.unexplained.length, BATCH);
    const wrongClasses = [...new Set(m.misclassified.map((s) => s.predicted))].sort();
    assert.deepEqual(e.analysed.map((a) => a.classIndex).sort(), wrongClasses, 'every class the batch gets wrong was analysed');
    assert.ok(e.analysed.every((a) => !a.reused && a.images > 0));
    for (const s of m.misclassified) {
      assert.notEqual(s.predicted, s.label);
      const x = s.explanation;
      assert.ok(x, `sample ${s.index} has no explanation: ${s.note}`);
      assert.equal(x.role, 'predicted');
      assert.equal(x.classIndex, s.predicted);
      assert.ok(x.groups.length > 0, `sample ${s.index}: no groups`);
      assert.ok(x.groups[0].channels.length > 0 && x.groups[0].representatives.length > 0);
    }
    assert.equal(report.panel, `NeurFlow: ${path.basename(e.onnx)}`);
    assert.ok(
      neurflowTabs().some((t) => t.tab.label === report.panel),
      'the panel is open',
    );
    assert.deepEqual(
      report.rendered,
      m.misclassified.map((s) => String(s.index)),
      'the batch view rendered the misclassified samples',
    );
    const top = m.misclassified[0];
    assert.deepEqual(report.sample, [String(top.index), ...top.explanation!.groups.map((g) => `${top.explanation!.layer}/G${g.group}`)]);
    assert.equal(m.source.path, program());
    assert.equal(m.source.line, breakpointLine());

    // The user's process, read in the debuggee: as it was.
    assert.equal(await evaluate(STATE_EXPRESSION), before, 'training flags, grad mode, names, RNG state and the loss graph are unchanged');
  });

  test('a second Explain Batch with unchanged weights reuses the export and the analyses', async function () {
    this.timeout(120_000);
    assert.ok(first, 'the first test ran');
    const before = await evaluate(STATE_EXPRESSION);
    const again = await explain();
    assert.ok(again.ok, !again.ok ? again.error : '');
    const e = again.exported!;
    console.log(`explain batch again: ${again.ms} ms (debuggee ${e.ms} ms)`);
    assert.equal(e.reused, true);
    assert.equal(e.onnx, first.exported!.onnx);
    assert.equal(e.exportMs, undefined, 'nothing was exported');
    assert.equal(e.analysed.filter((a) => !a.reused).length, 0, 'nothing was analysed again');
    assert.deepEqual(e.reusedAnalyses.sort(), first.exported!.analysed.map((a) => a.classIndex).sort());
    assert.deepEqual(
      again.message.misclassified.map((s) => s.index),
      first.message.misclassified.map((s) => s.index),
    );
    assert.equal(await evaluate(STATE_EXPRESSION), before);
  });

  test('an export PyTorch refuses: its message and what to do; the debuggee keeps running', async () => {
    const before = await evaluate(STATE_EXPRESSION);
    const r = await explain({ module: 'SpectralNet()' });
    assert.ok(!r.ok && r.kind === 'export', JSON.stringify(r));
    assert.match(
      r.error,
      /could not export `SpectralNet\(\)` \(__main__\.SpectralNet\): UnsupportedOperatorError: Exporting the operator 'aten::fft_rfft2' to ONNX opset version \d+ is not supported/,
    );
    assert.match(r.error, /What to do: .*neurflow\.explainBatch\.model/);
    assert.equal(await evaluate(STATE_EXPRESSION), before);
    assert.equal(await evaluate('len(images)'), String(BATCH), 'the debuggee still answers');
    const unchanged = await compare();
    assert.ok(!unchanged.ok && unchanged.kind === 'no-previous', JSON.stringify(unchanged));
  });

  test('after the next epoch: a new export, and Compare with Previous Checkpoint shows which groups changed most', async function () {
    this.timeout(180_000);
    const session = vscode.debug.activeDebugSession!;
    const threads = ((await session.customRequest('threads')) as { threads: { id: number }[] }).threads;
    await session.customRequest('continue', { threadId: threads[0].id });
    await waitStop(2, 60_000);
    const before = await evaluate(STATE_EXPRESSION);
    const next = await explain();
    assert.ok(next.ok, !next.ok ? `${next.kind}: ${next.error}` : '');
    const e = next.exported!;
    assert.equal(e.reused, false, 'the weights changed: a new export');
    assert.notEqual(e.key, first.exported!.key);
    const r = await compare();
    assert.ok(r.ok, !r.ok ? `${r.kind}: ${r.error}` : '');
    assert.equal(r.previous.key, first.exported!.key);
    assert.equal(r.current.key, e.key);
    const c = r.comparison;
    assert.equal(c.batchSize, BATCH);
    assert.ok(c.groups.length > 0, "groups of the previous checkpoint's analyses");
    assert.ok(c.groups.every((g) => g.className !== undefined && /^G\d+$/.test(g.group) && g.channels.length > 0));
    assert.ok(c.groups[0].activationChange > 0, 'the weights changed, so do the activations');
    for (let i = 1; i < c.groups.length; i++) assert.ok(c.groups[i - 1].activationChange >= c.groups[i].activationChange, 'largest change first');
    assert.deepEqual(new Set(c.layers.map((l) => l.layer)), new Set(c.groups.map((g) => g.layer)));
    assert.match(r.markdown, /## Groups whose channels changed most/);
    assert.ok(
      vscode.window.visibleTextEditors.some((ed) => ed.document.uri.fsPath === r.document && ed.document.getText() === r.markdown && !ed.document.isDirty),
      'the report is shown',
    );
    console.log(
      `compare: ${c.groups
        .slice(0, 3)
        .map((g) => `${g.className}/${g.layer}/${g.group} ${(100 * g.activationChange).toFixed(1)}%`)
        .join(', ')}; agreement ${c.agreement}`,
    );
    assert.equal(await evaluate(STATE_EXPRESSION), before);
  });
});

/**
 * NeurFlow: Open Demo as a new user runs it: no question asked, the bundled model and images, class triangle at
 * the demo's settings, the circuit of the upper layers shown while the rest runs, then the whole result. Prints
 * the times (issue 15: the first circuit within 5 s after the scan); nothing here is a timed assertion.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { AnalyseReport } from '../../src/extension/commands/analyseModel';
import type { NeurflowApi } from '../../src/extension/api';
import type { ResultViewMessage } from '../../src/protocol/webview';
import { DEMO } from '../../src/engine/params';
import { expectedNodes, extension } from './helpers';

suite('NeurFlow: Open Demo', () => {
  test('analyses the bundled demo at its settings, shows partial circuits first, then the whole circuit', async function () {
    this.timeout(180_000);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const report = await vscode.commands.executeCommand<AnalyseReport | undefined>('neurflow.openDemo', { force: true });
    assert.ok(report, 'Open Demo returned no report');
    assert.equal(report.view, 'result', `ended on ${report.view}: ${report.items.join('; ')}`);
    assert.equal(report.complete, true);
    assert.equal(report.reused, false, 'force: analysed, not reused');
    assert.equal(report.scan?.classes[report.classIndex!], DEMO.className);
    assert.deepEqual(report.layers, ['fc', 'layer3.1', 'layer3.0', 'layer2.1', 'layer2.0', 'layer1.1']);
    assert.ok((report.partials ?? 0) >= 1, 'no partial circuit was shown while the analysis ran');
    const api = extension().exports as NeurflowApi;
    const view = api.panel(report.panel)?.view as ResultViewMessage | undefined;
    assert.equal(view?.type, 'result');
    assert.equal(view.doc.params.tau, DEMO.tau);
    assert.equal(view.doc.params.exact, false, 'the demo runs the default fast analysis');
    assert.deepEqual([...(report.circuit ?? [])].sort(), expectedNodes(view).sort(), 'the webview drew every group');
    console.log(
      `Open Demo: first partial circuit ${report.ms.firstCircuit} ms after the analysis request, whole analysis ${report.ms.analysis} ms ` +
        `(analysis stages ${JSON.stringify(view.doc.timings)}), command ${report.ms.total} ms, ${report.partials} partials`,
    );
  });
});

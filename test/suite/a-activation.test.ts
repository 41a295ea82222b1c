/** Activation and contributions: nothing runs at start-up; the command is offered for .onnx files only. */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { extension } from './helpers';

interface MenuItem {
  command: string;
  when?: string;
}

suite('activation and contributions', () => {
  test('the extension is not active before one of its commands runs', () => {
    assert.equal(extension().isActive, false, 'activated at start-up: activation must be implicit');
    const events: string[] = (extension().packageJSON as { activationEvents?: string[] }).activationEvents ?? [];
    assert.ok(!events.includes('*') && !events.includes('onStartupFinished'), `eager activation events: ${events}`);
  });

  test('Analyse Model is contributed to the Explorer and editor title menus for .onnx only', () => {
    const contributes = (extension().packageJSON as { contributes: { menus: Record<string, MenuItem[]> } }).contributes;
    for (const menu of ['explorer/context', 'editor/title']) {
      const items = contributes.menus[menu].filter((m) => m.command === 'neurflow.analyseModel');
      assert.equal(items.length, 1, `${menu}: one entry`);
      assert.equal(items[0].when, 'resourceExtname == .onnx', `${menu}: when clause`);
    }
  });

  test('running a command activates the extension and registers both commands', async () => {
    await vscode.commands.executeCommand('neurflow.analyseModel', vscode.Uri.file('/nonexistent/neurflow-probe.txt')).then(undefined, () => undefined);
    assert.equal(extension().isActive, true);
    const commands = await vscode.commands.getCommands(true);
    for (const c of ['neurflow.analyseModel', 'neurflow.openDemo']) assert.ok(commands.includes(c), `${c} registered`);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });
});

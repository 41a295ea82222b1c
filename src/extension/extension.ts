/**
 * Extension entry point. Activation is implicit (contributed commands, the panel serializer): nothing runs
 * at VS Code start-up, and activation itself only registers commands; the worker process starts on the
 * first request.
 */
import * as vscode from 'vscode';
import { analyseModel } from './commands/analyseModel';
import { openDemo } from './commands/openDemo';
import { registerExplainBatch } from './debug/command';
import { registerLabelCommands } from './labels/command';
import { PanelManager } from './panels';
import type { Services } from './services';
import { WorkerClient } from './workerClient';

export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('NeurFlow', { log: true });
  const worker = new WorkerClient({
    script: vscode.Uri.joinPath(context.extensionUri, 'dist', 'worker.js').fsPath,
    log: (line) => log.info(line),
  });
  const services: Services = { extensionUri: context.extensionUri, worker, panels: new PanelManager(context.extensionUri, log), log };
  context.subscriptions.push(
    log,
    { dispose: () => worker.dispose() },
    services.panels,
    vscode.commands.registerCommand('neurflow.analyseModel', (uri?: unknown) => analyseModel(services, uri)),
    vscode.commands.registerCommand('neurflow.openDemo', () => openDemo(services)),
    registerExplainBatch(context, services),
    registerLabelCommands(context, services),
  );
}

export function deactivate(): void {
  // Everything is in context.subscriptions.
}

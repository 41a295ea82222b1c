/**
 * Extension entry point. Activation is implicit (contributed commands, the result editor, the panel
 * serializer): nothing runs at VS Code start-up, and activation itself only registers; the worker process
 * starts on the first request.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { NeurflowApi } from './api';
import { analyseModel, type AnalyseOptions } from './commands/analyseModel';
import { exportResult, type ExportArgs } from './commands/exportResult';
import { openDemo } from './commands/openDemo';
import { openResult } from './commands/openResult';
import { compareWith } from './results/compare';
import { activePick } from './flow/pickers';
import { registerExplainBatch } from './debug/command';
import { registerLabelCommands } from './labels/command';
import { PanelManager } from './panels';
import { panelActions } from './results/actions';
import { registerResultEditor } from './results/editor';
import { ResultLibrary } from './results/library';
import type { Services } from './services';
import { WorkerClient } from './workerClient';

/** Explorer and editor-title invocations pass (uri, selectedUris); programmatic ones may pass options second. */
function optionsOf(x: unknown): AnalyseOptions | undefined {
  return typeof x === 'object' && x !== null && !Array.isArray(x) && !(x instanceof vscode.Uri) ? (x as AnalyseOptions) : undefined;
}

export function activate(context: vscode.ExtensionContext): NeurflowApi {
  const log = vscode.window.createOutputChannel('NeurFlow', { log: true });
  const worker = new WorkerClient({
    script: vscode.Uri.joinPath(context.extensionUri, 'dist', 'worker.js').fsPath,
    log: (line) => log.info(line),
  });
  const storage = (context.storageUri ?? context.globalStorageUri).fsPath;
  const services: Services = {
    extensionUri: context.extensionUri,
    worker,
    log,
    workspaceState: context.workspaceState,
    panels: new PanelManager(
      context.extensionUri,
      log,
      panelActions(() => services),
    ),
    results: new ResultLibrary(path.join(storage, 'results'), context.workspaceState),
  };
  context.subscriptions.push(
    log,
    { dispose: () => worker.dispose() },
    services.panels,
    vscode.commands.registerCommand('neurflow.analyseModel', (uri?: unknown, second?: unknown) => analyseModel(services, uri, optionsOf(second))),
    vscode.commands.registerCommand('neurflow.openDemo', (options?: unknown) => openDemo(services, optionsOf(options))),
    vscode.commands.registerCommand('neurflow.openResult', (file?: unknown) => openResult(services, file)),
    vscode.commands.registerCommand('neurflow.compareWith', (arg?: unknown) => compareWith(services, arg)),
    vscode.commands.registerCommand('neurflow.exportResult', (args?: unknown) => exportResult(services, (optionsOf(args) ?? {}) as ExportArgs)),
    registerResultEditor(services),
    registerExplainBatch(context, services),
    registerLabelCommands(context, services),
  );
  return { panel: (key) => services.panels.get(key), results: services.results, worker, activePick };
}

export function deactivate(): void {
  // Everything is in context.subscriptions.
}

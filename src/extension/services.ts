/** What the commands share: the worker client, the panels, the result store, memory and the log. Created on activation, cheaply. */
import type * as vscode from 'vscode';
import type { PanelManager } from './panels';
import type { ResultLibrary } from './results/library';
import type { WorkerClient } from './workerClient';

export interface Services {
  extensionUri: vscode.Uri;
  worker: WorkerClient;
  panels: PanelManager;
  log: vscode.LogOutputChannel;
  /** Saved results (the engine's store under the extension's storage) and the index the Open Result picker lists. */
  results: ResultLibrary;
  /** Per-workspace memory (quick pick answers). */
  workspaceState: vscode.Memento;
}

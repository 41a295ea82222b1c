/** What the commands share: the worker client, the panels and the log. Created on activation, cheaply. */
import type * as vscode from 'vscode';
import type { PanelManager } from './panels';
import type { WorkerClient } from './workerClient';

export interface Services {
  extensionUri: vscode.Uri;
  worker: WorkerClient;
  panels: PanelManager;
  log: vscode.LogOutputChannel;
}

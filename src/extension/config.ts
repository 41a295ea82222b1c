/** The extension's settings (`neurflow.*`), read for the workspace folder of a resource. */
import * as vscode from 'vscode';
import { checkedValue } from '../engine/params';
import { EXECUTION_PROVIDERS, type ExecutionProvider } from '../protocol/worker';

export interface Settings {
  /** Absolute dataset folder, or undefined when not set yet. */
  datasetFolder: string | undefined;
  provider: ExecutionProvider;
  tau: number;
  topCrops: number;
  igSteps: number;
  /** 0 = onnxruntime's default (one per core). */
  threads: number;
}

export function readSettings(resource: vscode.Uri | undefined): Settings {
  const c = vscode.workspace.getConfiguration('neurflow', resource);
  const folder = resource ? vscode.workspace.getWorkspaceFolder(resource) : vscode.workspace.workspaceFolders?.[0];
  const dataset = c.get<string>('datasetFolder', '').trim();
  const provider = c.get<string>('executionProvider', 'auto');
  return {
    datasetFolder:
      dataset === ''
        ? undefined
        : folder && !dataset.startsWith('/') && !/^[A-Za-z]:[\\/]/.test(dataset)
          ? vscode.Uri.joinPath(folder.uri, dataset).fsPath
          : dataset,
    provider: EXECUTION_PROVIDERS.includes(provider as ExecutionProvider) ? (provider as ExecutionProvider) : 'auto',
    tau: checkedValue('tau', c.get('tau')),
    topCrops: checkedValue('topCrops', c.get('topCrops')),
    igSteps: checkedValue('igSteps', c.get('igSteps')),
    threads: checkedValue('threads', c.get('threads')),
  };
}

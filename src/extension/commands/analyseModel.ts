/**
 * NeurFlow: Analyse Model. Today: opens the model's panel beside the editor and shows its summary and
 * detected layers (computed in the worker). Resolves with what the panel rendered (used by the tests).
 */
import * as vscode from 'vscode';
import { readSettings } from '../config';
import type { Services } from '../services';
import type { ModelSummary } from '../../protocol/summary';

export interface AnalyseReport {
  model: string;
  /** The view the panel ended on. */
  view: 'model' | 'error';
  /** What it shows: the layer names for `model`, the message for `error`. */
  items: string[];
  summary?: ModelSummary;
}

export async function analyseModel(services: Services, arg?: unknown): Promise<AnalyseReport | undefined> {
  const uri = await resolveModel(arg);
  if (!uri) return undefined;
  if (!vscode.workspace.isTrusted) {
    const manage = 'Manage Workspace Trust';
    const pick = await vscode.window.showWarningMessage(
      'NeurFlow runs the model and reads your images: trust this workspace to analyse models.', manage);
    if (pick === manage) await vscode.commands.executeCommand('workbench.trust.manage');
    return undefined;
  }
  const settings = readSettings(uri);
  const fileName = uri.path.split('/').pop() ?? uri.fsPath;
  const panel = services.panels.open(uri);
  panel.post({ type: 'loading', fileName, stage: 'Reading model' });
  try {
    const summary = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `NeurFlow: ${fileName}`, cancellable: true },
      (progress, token) => {
        const controller = new AbortController();
        token.onCancellationRequested(() => controller.abort());
        return services.worker.request('describeModel',
          { path: uri.fsPath, provider: settings.provider, threads: settings.threads || undefined },
          {
            signal: controller.signal,
            onProgress: (p) => {
              progress.report({ message: p.stage });
              panel.post({ type: 'loading', fileName, stage: p.stage });
            },
          });
      });
    const rendered = await panel.show({ type: 'model', summary });
    return { model: uri.fsPath, view: 'model', items: rendered.items, summary };
  } catch (e) {
    const err = e as Error;
    const message = err.name === 'CancelledError' ? `Cancelled: ${err.message}` : err.message;
    services.log.error(`analyse ${uri.fsPath}: ${err.name}: ${err.message}`);
    if (err.name !== 'CancelledError') void vscode.window.showErrorMessage(`NeurFlow: ${message}`);
    const rendered = await panel.show({ type: 'error', title: fileName, message }).catch(() => undefined);
    return { model: uri.fsPath, view: 'error', items: rendered?.items ?? [message] };
  }
}

/** The model to analyse: the command's argument (Explorer, editor title), else the active tab, else asked. */
async function resolveModel(arg: unknown): Promise<vscode.Uri | undefined> {
  if (arg instanceof vscode.Uri) return checkLocal(arg);
  const tab = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  const active = tab instanceof vscode.TabInputText || tab instanceof vscode.TabInputCustom ? tab.uri : undefined;
  if (active?.path.endsWith('.onnx')) return checkLocal(active);
  const picked = await vscode.window.showOpenDialog({
    canSelectMany: false, filters: { 'ONNX models': ['onnx'] }, openLabel: 'Analyse Model',
  });
  return picked?.[0] && checkLocal(picked[0]);
}

function checkLocal(uri: vscode.Uri): vscode.Uri | undefined {
  if (uri.scheme === 'file') return uri;
  void vscode.window.showErrorMessage(`NeurFlow reads models from the local disk; ${uri.toString()} is not a local file.`);
  return undefined;
}

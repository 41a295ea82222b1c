/**
 * The host's side of "Label error or shortcut?": `runAudit` runs the worker's `audit` job on the
 * result's model and dataset (class analyses reused from and saved to the result store, the folder of the
 * result file) and answers `audit`; `exportAudit` saves the view's CSV where the user picks.
 */
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { AuditMessage, ExportAuditMessage, NoticeMessage, RunAuditRequest } from '../../protocol/webview';
import { readSettings } from '../config';
import type { ModelPanel } from '../panel';
import type { Services } from '../services';

export async function auditRequest(services: Services, panel: ModelPanel, m: RunAuditRequest): Promise<AuditMessage> {
  const view = panel.view?.type === 'result' ? panel.view : undefined;
  const why = !view
    ? 'the panel shows no analysis result'
    : !view.file
      ? 'this result has no file to run from'
      : !vscode.workspace.isTrusted
        ? 'running the model needs a trusted workspace'
        : view.readOnly
          ? `the analysed model ${view.doc.model.path} is not available`
          : !view.datasetRoot
            ? `the dataset folder ${view.doc.dataset.root} was not found`
            : undefined;
  if (why) return { type: 'audit', requestId: m.requestId, error: `Cannot audit: ${why}` };
  const settings = readSettings(vscode.Uri.file(view!.doc.model.path));
  try {
    const report = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'NeurFlow: Label error or shortcut?', cancellable: true },
      (progress, token) => {
        const ctl = new AbortController();
        token.onCancellationRequested(() => ctl.abort());
        return services.worker.request(
          'audit',
          {
            model: view!.doc.model.path,
            data: view!.datasetRoot!,
            store: path.dirname(view!.file!),
            provider: settings.provider,
            threads: settings.threads || undefined,
          },
          { signal: ctl.signal, onProgress: (e) => progress.report({ message: e.stage }) },
        );
      },
    );
    return { type: 'audit', requestId: m.requestId, report };
  } catch (e) {
    return { type: 'audit', requestId: m.requestId, error: `The audit failed: ${(e as Error).message}` };
  }
}

export async function exportAudit(panel: ModelPanel, m: ExportAuditMessage): Promise<NoticeMessage | undefined> {
  const view = panel.view?.type === 'result' ? panel.view : undefined;
  const base = view?.datasetRoot ?? vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '';
  const uri = await vscode.window.showSaveDialog({
    title: 'Export label errors and shortcut mistakes',
    filters: { CSV: ['csv'] },
    defaultUri: vscode.Uri.file(path.join(base, `${view?.doc.class.name ?? 'audit'}-audit.csv`)),
  });
  if (!uri) return undefined;
  try {
    writeFileSync(uri.fsPath, m.csv);
    return { type: 'notice', level: 'info', message: `Wrote ${uri.fsPath}` };
  } catch (e) {
    return { type: 'notice', level: 'error', message: `Could not write ${uri.fsPath}: ${(e as Error).message}` };
  }
}

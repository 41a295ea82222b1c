/**
 * The `result` message for a panel: the document, the scan, and where the dataset's images are for the webview
 * (the dataset root becomes one of the panel's resource roots). Read-only when nothing can run: untrusted
 * workspace or the analysed model is gone.
 */
import { existsSync } from 'node:fs';
import * as vscode from 'vscode';
import type { ScanResult } from '../../engine/data/scan';
import type { ResultDocument } from '../../engine/result/schema';
import type { ResultTab, ResultViewMessage } from '../../protocol/webview';
import type { ModelPanel } from '../panel';
import { datasetRootOf } from './library';

export function resultView(panel: ModelPanel, doc: ResultDocument, file: string | undefined, scan?: ScanResult, tab?: ResultTab): ResultViewMessage {
  const folders = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
  const root = datasetRootOf(doc, file, folders);
  const trusted = vscode.workspace.isTrusted;
  panel.allowFolder(root && trusted ? vscode.Uri.file(root) : undefined);
  return {
    type: 'result', doc, file, scan,
    datasetRoot: root,
    imageBase: root && trusted ? panel.asWebviewUri(vscode.Uri.file(root)).replace(/\/+$/, '') : undefined,
    readOnly: !trusted || !existsSync(doc.model.path),
    ...(tab ? { tab } : {}),
  };
}

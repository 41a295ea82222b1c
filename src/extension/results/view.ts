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
import { servableRoot } from './access';
import { datasetRootOf } from './library';

export function resultView(panel: ModelPanel, doc: ResultDocument, file: string | undefined, scan?: ScanResult, tab?: ResultTab): ResultViewMessage {
  const folders = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
  const root = datasetRootOf(doc, file, folders);
  const trusted = vscode.workspace.isTrusted;
  // The webview loads images only from a dataset's own folder (never `/` or the home folder; inside the
  // workspace when it is not trusted): the root comes from the result file, which opens without trust.
  const served = trusted ? servableRoot(root, { trusted, workspaceFolders: folders }).root : undefined;
  panel.allowFolder(served ? vscode.Uri.file(served) : undefined);
  panel.panel.title = panelTitle(doc);
  return {
    type: 'result',
    doc,
    file,
    scan,
    datasetRoot: root,
    imageBase: served ? panel.asWebviewUri(vscode.Uri.file(served)).replace(/\/+$/, '') : undefined,
    readOnly: !trusted || !existsSync(doc.model.path),
    ...(tab ? { tab } : {}),
  };
}

/**
 * The panel's title names the run (issue 18): class, model, tau and steps, and "Demo" for the bundled demo, so two
 * panels of the same model with different answers can be told apart.
 */
export function panelTitle(doc: ResultDocument): string {
  const model = doc.model.path.split(/[\\/]/).pop() ?? doc.model.path;
  const demo = /[\\/]demo[\\/]/.test(doc.model.path) && model.startsWith('shortcut') ? 'Demo ' : '';
  return `NeurFlow ${demo}· ${doc.class.name} · ${model} (τ ${doc.params.tau}, ${doc.params.igSteps} steps)`;
}

/**
 * NeurFlow: Export Result: copies a saved result (the active panel's, else one picked) and its scan to a
 * `*.neurflow-result.json` file of the user's choice (written atomically, engine/result/export.ts); opening that
 * file shows the panel again.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { readResult } from '../../engine/result/store';
import { exportResultFiles } from '../../engine/result/export';
import type { Services } from '../services';

export interface ExportArgs {
  /** The result to export (default: the active panel's). */
  file?: string;
  /** Where (default: asked). */
  to?: string;
}

export async function exportResult(services: Services, args: ExportArgs = {}): Promise<string | undefined> {
  const view = services.panels.active()?.view;
  const source = args.file ?? (view?.type === 'result' ? view.file : undefined) ?? (await pickSaved(services));
  if (!source) return undefined;
  const doc = readResult(source);
  const stem = `${path.basename(doc.model.path).replace(/\.onnx$/i, '')}.${doc.class.name.replace(/[^\w.-]+/g, '_')}`;
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.file(path.dirname(doc.model.path));
  const to =
    args.to ??
    (
      await vscode.window.showSaveDialog({
        defaultUri: vscode.Uri.joinPath(folder, `${stem}.neurflow-result.json`),
        filters: { 'NeurFlow result': ['json'] },
        saveLabel: 'Export',
      })
    )?.fsPath;
  if (!to) return undefined;
  // Temp file beside the target, fsync, rename: an interrupted export never leaves half a file.
  const target = exportResultFiles(source, to);
  services.log.info(`export: ${source} -> ${target}`);
  if (!args.to) {
    void vscode.window.showInformationMessage(`NeurFlow: exported to ${target}`, 'Open').then((b) => {
      if (b) void vscode.commands.executeCommand('vscode.openWith', vscode.Uri.file(target), 'neurflow.result');
    });
  }
  return target;
}

async function pickSaved(services: Services): Promise<string | undefined> {
  const items = services.results.list().map((e) => ({ label: `${e.className}  ${path.basename(e.model)}`, description: e.layers.join(', '), file: e.file }));
  if (items.length === 0) {
    void vscode.window.showInformationMessage('NeurFlow: no saved result yet; run NeurFlow: Analyse Model first.');
    return undefined;
  }
  return (await vscode.window.showQuickPick(items, { title: 'NeurFlow: export which result?' }))?.file;
}

/** Shared helpers of the extension tests (bundled into each test file). */
import * as path from 'node:path';
import * as vscode from 'vscode';

export const EXTENSION_ID = 'neurflow.neurflow-vscode';

export function extension(): vscode.Extension<unknown> {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  if (!ext) throw new Error(`extension ${EXTENSION_ID} is not installed in this VS Code`);
  return ext;
}

/** The fixture workspace folder (test/fixture), opened by every harness. */
export function fixture(...rel: string[]): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error('no workspace folder is open: the harness must open test/fixture');
  return vscode.Uri.file(path.join(folder.uri.fsPath, ...rel));
}

/** Webview tabs of the NeurFlow panel, with their group's view column. */
export function neurflowTabs(): { tab: vscode.Tab; column: vscode.ViewColumn }[] {
  return vscode.window.tabGroups.all.flatMap((g) =>
    g.tabs
      .filter((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith('neurflow.panel'))
      .map((tab) => ({ tab, column: g.viewColumn })),
  );
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

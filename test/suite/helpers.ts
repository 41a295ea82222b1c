/** Shared helpers of the extension tests (bundled into each test file). */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ResultViewMessage } from '../../src/protocol/webview';

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

/**
 * Asks the code-server harness for a screenshot of the workbench as it is now (`<name>.png` in the run's output
 * folder) and waits for it (at most 10 s). Resolves false where no harness takes screenshots (test-electron).
 */
export async function screenshot(name: string): Promise<boolean> {
  const dir = process.env.EXT_TEST_SHOT_DIR;
  if (!dir) return false;
  const done = path.join(dir, `${name}.done`);
  fs.rmSync(done, { force: true });
  fs.writeFileSync(path.join(dir, `${name}.request`), '');
  for (let i = 0; i < 50 && !fs.existsSync(done); i++) await sleep(200);
  return fs.existsSync(done);
}

/** Circuit node ids the webview should show: `layer/G<i>` of every grouped layer. */
export function expectedNodes(view: ResultViewMessage): string[] {
  return view.doc.layers.flatMap((l) => (l.grouping ? l.grouping.groups.map((_, i) => `${l.name}/G${i}`) : []));
}

/**
 * The result editor: opening a `*.neurflow-result.json` shows the panel (a read-only custom editor on the
 * file, its own webview panel) instead of the JSON text.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { showResult } from '../commands/openResult';
import type { Services } from '../services';

export const RESULT_EDITOR_VIEW_TYPE = 'neurflow.result';

export function registerResultEditor(services: Services): vscode.Disposable {
  const provider: vscode.CustomReadonlyEditorProvider = {
    openCustomDocument: (uri) => ({ uri, dispose: () => undefined }),
    resolveCustomEditor: (document, webviewPanel) => {
      const file = document.uri.fsPath;
      const panel = services.panels.adopt(file, webviewPanel);
      // Not awaited: the editor shows at once and the webview renders when its script is up.
      showResult(services, file, panel).catch((e: Error) => {
        services.log.error(`result editor: ${file}: ${e.message}`);
        panel.post({ type: 'error', title: path.basename(file), message: e.message });
      });
    },
  };
  return vscode.window.registerCustomEditorProvider(RESULT_EDITOR_VIEW_TYPE, provider, { supportsMultipleEditorsPerDocument: false });
}

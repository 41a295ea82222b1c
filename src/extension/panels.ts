/** One panel per model file: opening the same model again reveals its panel. Restores panels after reload. */
import * as vscode from 'vscode';
import { ModelPanel, PANEL_VIEW_TYPE } from './panel';
import { parseToWebview } from '../protocol/webview';

export class PanelManager implements vscode.Disposable {
  private readonly panels = new Map<string, ModelPanel>();
  private readonly registration: vscode.Disposable;

  constructor(private readonly extensionUri: vscode.Uri, private readonly log: vscode.LogOutputChannel) {
    this.registration = vscode.window.registerWebviewPanelSerializer(PANEL_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel, state) => {
        const view = parseToWebview((state as { view?: unknown } | undefined)?.view);
        const key = view?.type === 'model' ? view.summary.path : `restored:${Date.now()}`;
        this.track(key, new ModelPanel(panel, this.extensionUri, this.log, view));
      },
    });
  }

  /** The panel of `model` (revealed), or a new one in the column beside the active editor. */
  open(model: vscode.Uri): ModelPanel {
    const existing = this.panels.get(model.fsPath);
    if (existing) {
      existing.reveal();
      return existing;
    }
    const name = model.path.split('/').pop() ?? model.fsPath;
    const panel = vscode.window.createWebviewPanel(
      PANEL_VIEW_TYPE,
      `NeurFlow: ${name}`,
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: false },
      { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(this.extensionUri, 'dist')] },
    );
    return this.track(model.fsPath, new ModelPanel(panel, this.extensionUri, this.log));
  }

  get(model: vscode.Uri): ModelPanel | undefined {
    return this.panels.get(model.fsPath);
  }

  private track(key: string, panel: ModelPanel): ModelPanel {
    this.panels.set(key, panel);
    panel.onDidDispose(() => { if (this.panels.get(key) === panel) this.panels.delete(key); });
    return panel;
  }

  dispose(): void {
    this.registration.dispose();
    for (const p of [...this.panels.values()]) p.dispose();
    this.panels.clear();
  }
}

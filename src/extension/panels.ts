/**
 * The panels: one per model file (opening the same model again reveals its panel) and one per result file opened
 * in the result editor. Restores panels after a reload of the window.
 */
import * as vscode from 'vscode';
import { ModelPanel, PANEL_VIEW_TYPE, type PanelHandler } from './panel';
import { isViewMessage, parseToWebview, type ViewMessage } from '../protocol/webview';
import { servableRoot } from './results/access';

export class PanelManager implements vscode.Disposable {
  private readonly panels = new Map<string, ModelPanel>();
  private readonly registration: vscode.Disposable;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
    private readonly handler: PanelHandler,
  ) {
    this.registration = vscode.window.registerWebviewPanelSerializer(PANEL_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel, state) => {
        const parsed = parseToWebview((state as { view?: unknown } | undefined)?.view);
        const view = parsed && isViewMessage(parsed) ? parsed : undefined;
        this.track(PanelManager.keyOf(view) ?? `restored:${Date.now()}`, this.wrap(panel, view));
      },
    });
  }

  /** The panel key of a view: the model file it is about. */
  static keyOf(view: ViewMessage | undefined): string | undefined {
    if (view?.type === 'model') return view.summary.path;
    if (view?.type === 'result') return view.doc.model.path;
    if (view?.type === 'batch') return view.model;
    if (view?.type === 'atlas') return view.model || view.file;
    if (view?.type === 'compare') return view.model;
    return undefined;
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
    return this.track(model.fsPath, this.wrap(panel));
  }

  /** A panel VS Code made (the result editor), tracked under `key` (the result file). */
  adopt(key: string, panel: vscode.WebviewPanel, initial?: ViewMessage): ModelPanel {
    return this.track(key, this.wrap(panel, initial));
  }

  /** The panel of a model file or result file, if open. */
  get(key: vscode.Uri | string): ModelPanel | undefined {
    return this.panels.get(typeof key === 'string' ? key : key.fsPath);
  }

  /** The panel the user looks at, if it is one of ours. */
  active(): ModelPanel | undefined {
    return [...this.panels.values()].find((p) => p.panel.active);
  }

  private wrap(panel: vscode.WebviewPanel, initial?: ViewMessage): ModelPanel {
    const wrapped = new ModelPanel(panel, this.extensionUri, this.log, this.handler, initial);
    // A restored result panel loads its images from the dataset folder again, if that folder may be served now
    // (the state comes from the webview: it is checked like a result's root, results/access.ts).
    if (initial?.type === 'result' && initial.imageBase && initial.datasetRoot && vscode.workspace.isTrusted) {
      const folders = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
      const served = servableRoot(initial.datasetRoot, { trusted: true, workspaceFolders: folders }).root;
      if (served) wrapped.allowFolder(vscode.Uri.file(served));
    }
    return wrapped;
  }

  private track(key: string, panel: ModelPanel): ModelPanel {
    this.panels.set(key, panel);
    panel.onDidDispose(() => {
      if (this.panels.get(key) === panel) this.panels.delete(key);
    });
    return panel;
  }

  dispose(): void {
    this.registration.dispose();
    for (const p of [...this.panels.values()]) p.dispose();
    this.panels.clear();
  }
}

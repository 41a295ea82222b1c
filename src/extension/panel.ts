/**
 * The NeurFlow panel: one webview panel per model, opened beside the active editor. The host holds the
 * panel's current view and sends it once the webview says `ready` (after the first load and after every
 * reload of a hidden panel), so no message is lost (the `_waitForReady` pattern).
 */
import * as vscode from 'vscode';
import { makeNonce, panelHtml } from './html';
import { parseFromWebview, type FromWebview, type RenderedMessage, type ToWebview } from '../protocol/webview';

export const PANEL_VIEW_TYPE = 'neurflow.panel';
const RENDER_TIMEOUT_MS = 30_000;

interface RenderWaiter {
  view: RenderedMessage['view'];
  resolve(m: RenderedMessage): void;
  reject(e: Error): void;
}

export class ModelPanel implements vscode.Disposable {
  private ready = false;
  private current: ToWebview | undefined;
  private waiters: RenderWaiter[] = [];
  private readonly disposables: vscode.Disposable[] = [];
  private readonly disposeEmitter = new vscode.EventEmitter<void>();
  /** Fires once when the panel is closed. */
  readonly onDidDispose = this.disposeEmitter.event;

  constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly extensionUri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
    initial?: ToWebview,
  ) {
    this.current = initial;
    const dist = vscode.Uri.joinPath(extensionUri, 'dist');
    panel.webview.options = { enableScripts: true, localResourceRoots: [dist] };
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'icon.png');
    this.disposables.push(
      panel.webview.onDidReceiveMessage((raw) => this.onMessage(raw)),
      // A hidden panel's document is discarded: it will say `ready` again when shown.
      panel.onDidChangeViewState(() => { if (!panel.visible) this.ready = false; }),
      panel.onDidDispose(() => this.dispose()),
    );
    panel.webview.html = this.html();
  }

  /** Shows a view; sent now if the webview is listening, else when it says `ready`. */
  post(message: ToWebview): void {
    this.current = message;
    if (this.ready) void this.panel.webview.postMessage(message);
  }

  /** Shows a view and resolves when the webview reports it rendered (with what it shows). */
  show(message: ToWebview): Promise<RenderedMessage> {
    const view = message.type;
    const rendered = new Promise<RenderedMessage>((resolve, reject) => {
      const waiter: RenderWaiter = { view, resolve, reject };
      this.waiters.push(waiter);
      setTimeout(() => {
        if (!this.waiters.includes(waiter)) return;
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`the NeurFlow panel did not render the ${view} view within ${RENDER_TIMEOUT_MS / 1000} s`));
      }, RENDER_TIMEOUT_MS);
    });
    this.post(message);
    return rendered;
  }

  reveal(): void {
    this.panel.reveal(undefined, false);
  }

  private onMessage(raw: unknown): void {
    const message: FromWebview | undefined = parseFromWebview(raw);
    if (!message) {
      this.log.warn(`panel: ignored a malformed message from the webview: ${JSON.stringify(raw)?.slice(0, 200)}`);
      return;
    }
    switch (message.type) {
      case 'ready':
        this.ready = true;
        if (this.current) void this.panel.webview.postMessage(this.current);
        break;
      case 'rendered': {
        const matching = this.waiters.filter((w) => w.view === message.view);
        this.waiters = this.waiters.filter((w) => w.view !== message.view);
        for (const w of matching) w.resolve(message);
        break;
      }
      case 'openFile':
        void revealFile(vscode.Uri.file(message.path));
        break;
      case 'failure':
        this.log.error(`panel: ${message.message}`);
        break;
    }
  }

  private html(): string {
    const webview = this.panel.webview;
    const asset = (...p: string[]) => webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'dist', ...p)).toString();
    return panelHtml({
      cspSource: webview.cspSource,
      scriptUri: asset('webview.js'),
      styleUri: asset('webview.css'),
      codiconUri: asset('codicons', 'codicon.css'),
      nonce: makeNonce(),
      title: this.panel.title,
    });
  }

  dispose(): void {
    for (const w of this.waiters) w.reject(new Error('the NeurFlow panel was closed'));
    this.waiters = [];
    while (this.disposables.length) this.disposables.pop()?.dispose();
    this.disposeEmitter.fire();
    this.disposeEmitter.dispose();
    this.panel.dispose();
  }
}

async function revealFile(uri: vscode.Uri): Promise<void> {
  // Models are binary: show them in the Explorer; anything else opens in an editor.
  if (uri.path.endsWith('.onnx')) await vscode.commands.executeCommand('revealInExplorer', uri);
  else await vscode.window.showTextDocument(uri, { viewColumn: vscode.ViewColumn.One });
}

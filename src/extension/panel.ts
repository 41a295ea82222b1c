/**
 * The NeurFlow panel: one webview panel per model (or per opened result file), beside the active editor. The
 * host keeps the panel's current view (and the analysis banner) and sends them once the webview says `ready`
 * (after the first load and after every reload of a hidden panel), so no message is lost (the `_waitForReady`
 * pattern). Requests from the webview (explain an image, mask a group, jump to code, open an image) go to the
 * panel's handler, and its answer is posted back.
 */
import * as vscode from 'vscode';
import { makeNonce, panelHtml } from './html';
import {
  isViewMessage,
  parseFromWebview,
  type ActivityMessage,
  type FromWebview,
  type RenderedMessage,
  type RenderedView,
  type ToWebview,
  type ViewMessage,
} from '../protocol/webview';
import type { BatchMessage } from '../protocol/batch';

/** How the panel names a batch: where the debug session was paused. */
export function batchTitle(m: BatchMessage): string {
  return `Batch at ${m.source.path.split(/[\\/]/).pop()}:${m.source.line}`;
}

export const PANEL_VIEW_TYPE = 'neurflow.panel';
const RENDER_TIMEOUT_MS = 30_000;

interface RenderWaiter {
  view: RenderedView;
  /** Whether it waits for the report of a partial result (`running`) or of anything else. */
  running: boolean;
  resolve(m: RenderedMessage): void;
  reject(e: Error): void;
}

/** Answers a request of the webview (undefined: nothing to post back). */
export type PanelHandler = (message: FromWebview, panel: ModelPanel) => Promise<ToWebview | undefined>;

export class ModelPanel implements vscode.Disposable {
  private ready = false;
  private disposed = false;
  private current: ViewMessage | undefined;
  /** The last Explain Batch shown: kept when an analysis replaces it (the result view's Batch tab brings it back). */
  private keptBatch: BatchMessage | undefined;
  private activity: ActivityMessage | undefined;
  private waiters: RenderWaiter[] = [];
  private readonly rendered = new Map<RenderedView, RenderedMessage>();
  private roots: vscode.Uri[];
  private readonly disposables: vscode.Disposable[] = [];
  private readonly disposeEmitter = new vscode.EventEmitter<void>();
  /** Fires once when the panel is closed. */
  readonly onDidDispose = this.disposeEmitter.event;

  constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly extensionUri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
    private readonly handler: PanelHandler,
    initial?: ViewMessage,
  ) {
    this.current = initial;
    this.roots = [vscode.Uri.joinPath(extensionUri, 'dist')];
    panel.webview.options = { enableScripts: true, localResourceRoots: this.roots };
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'icon.png');
    this.disposables.push(
      panel.webview.onDidReceiveMessage((raw) => this.onMessage(raw)),
      // A hidden panel's document is discarded: it will say `ready` again when shown.
      panel.onDidChangeViewState(() => {
        if (!panel.visible) this.ready = false;
      }),
      panel.onDidDispose(() => this.dispose()),
    );
    panel.webview.html = this.html();
  }

  /** Whether the user closed the panel. */
  get closed(): boolean {
    return this.disposed;
  }

  /** Whether the webview's script is up and listening (false while hidden or reloading). */
  get listening(): boolean {
    return this.ready;
  }

  /** What the panel shows (the last view message). */
  get view(): ViewMessage | undefined {
    return this.current;
  }

  /** The batch the panel keeps (the last Explain Batch it showed), also while it shows an analysis. */
  get batch(): BatchMessage | undefined {
    return this.keptBatch;
  }

  /** The last `rendered` report of a view, if any. */
  lastRendered(view: RenderedView): RenderedMessage | undefined {
    return this.rendered.get(view);
  }

  /**
   * Lets the webview load files under `folder` (a dataset's images) besides the extension's dist/. Changing the
   * roots may reload the webview's document; it then says `ready` and gets the current view again.
   */
  allowFolder(folder: vscode.Uri | undefined): void {
    const dist = this.roots[0];
    const next = folder ? [dist, folder] : [dist];
    if (next.map(String).join('\n') === this.roots.map(String).join('\n')) return;
    this.roots = next;
    this.panel.webview.options = { enableScripts: true, localResourceRoots: this.roots };
  }

  asWebviewUri(uri: vscode.Uri): string {
    return this.panel.webview.asWebviewUri(uri).toString();
  }

  /**
   * Posts a message. View messages replace what the panel shows and are sent again after a reload; the banner
   * is kept too; answers and notices are sent only if the webview is listening now.
   */
  post(message: ToWebview): void {
    if (message.type === 'batch') this.keptBatch = message;
    // An analysis shown after a batch keeps the batch reachable (issue 18): the result view gets a Batch tab.
    if (message.type === 'result' && this.keptBatch && message.batch === undefined) message = { ...message, batch: batchTitle(this.keptBatch) };
    if (isViewMessage(message)) this.current = message;
    else if (message.type === 'activity') this.activity = message.running ? message : undefined;
    if (this.ready) void this.panel.webview.postMessage(message);
  }

  /** Replaces the view kept for replays without posting it (the webview already shows its equivalent). */
  replaceView(view: ViewMessage): void {
    this.current = view;
  }

  /** Posts a message and resolves when the webview reports it rendered (with what it shows). */
  show(message: ToWebview, also: RenderedView[] = []): Promise<RenderedMessage[]> {
    const running = message.type === 'result' && message.running === true;
    const waits = [message.type as RenderedView, ...also].map((v) => this.waitRendered(v, RENDER_TIMEOUT_MS, running));
    this.post(message);
    return Promise.all(waits);
  }

  /** Resolves with the next `rendered` report of `view`. */
  waitRendered(view: RenderedView, timeoutMs = RENDER_TIMEOUT_MS, running = false): Promise<RenderedMessage> {
    if (this.disposed) return Promise.reject(new Error('the NeurFlow panel was closed'));
    return new Promise<RenderedMessage>((resolve, reject) => {
      const waiter: RenderWaiter = { view, running, resolve, reject };
      this.waiters.push(waiter);
      setTimeout(() => {
        if (!this.waiters.includes(waiter)) return;
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`the NeurFlow panel did not render the ${view} view within ${timeoutMs / 1000} s`));
      }, timeoutMs);
    });
  }

  /**
   * Handles a message as if the webview had sent it and resolves with the answer posted back (used by the
   * webview's own messages, and by the extension tests to drive the panel's requests).
   */
  async dispatch(message: FromWebview): Promise<ToWebview | undefined> {
    const answer = await this.handler(message, this);
    if (answer) this.post(answer);
    return answer;
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
        if (this.activity) void this.panel.webview.postMessage(this.activity);
        break;
      case 'rendered': {
        this.rendered.set(message.view, message);
        // A partial result's report answers only waits for a partial result (and the other way round).
        const matches = (w: RenderWaiter) => w.view === message.view && w.running === (message.running === true);
        const matching = this.waiters.filter(matches);
        this.waiters = this.waiters.filter((w) => !matches(w));
        for (const w of matching) w.resolve(message);
        break;
      }
      case 'failure':
        this.log.error(`panel: ${message.message}`);
        break;
      default:
        this.dispatch(message).catch((e: Error) => {
          this.log.error(`panel: ${message.type}: ${e.message}`);
          this.post({ type: 'notice', level: 'error', message: e.message });
        });
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
    if (this.disposed) return;
    this.disposed = true;
    this.ready = false;
    for (const w of this.waiters) w.reject(new Error('the NeurFlow panel was closed'));
    this.waiters = [];
    while (this.disposables.length) this.disposables.pop()?.dispose();
    this.disposeEmitter.fire();
    this.disposeEmitter.dispose();
    this.panel.dispose();
  }
}

/**
 * The webview's side of the host channel: a typed wrapper around `acquireVsCodeApi()` (called once, as VS
 * Code requires). Persisted state survives the panel being hidden and shown again.
 */
import type { FromWebview, ViewMessage } from '../src/protocol/webview';
import type { ResultUi } from './result/ui-state';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

/**
 * What the panel persists: the last message that defined its view, except results (large; the host replays
 * them after `ready`), for which only the UI state is kept (tab, selection, group counts, mistakes).
 */
export interface PanelState {
  view?: ViewMessage;
  result?: ResultUi;
}

const vscode = acquireVsCodeApi();

export function post(message: FromWebview): void {
  vscode.postMessage(message);
}

export function loadState(): PanelState {
  const s = vscode.getState();
  return typeof s === 'object' && s !== null ? (s as PanelState) : {};
}

export function saveState(state: PanelState): void {
  vscode.setState(state);
}

/**
 * The webview's side of the host channel: a typed wrapper around `acquireVsCodeApi()` (called once, as VS
 * Code requires). Persisted state survives the panel being hidden and shown again.
 */
import type { FromWebview, ToWebview } from '../src/protocol/webview';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

/** What the panel persists: the last message that defined its view. */
export interface PanelState { view?: ToWebview }

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

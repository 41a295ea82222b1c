/**
 * The panel's script (bundled to dist/webview.js). Receives `ToWebview` messages, renders one view per
 * view message, hands answers to the requests waiting for them, reports `rendered` back, and persists the
 * current view so a hidden panel comes back as it was.
 */
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-collapsible/index.js';
import '@vscode-elements/elements/dist/vscode-icon/index.js';
import '@vscode-elements/elements/dist/vscode-progress-ring/index.js';
import '@vscode-elements/elements/dist/vscode-table/index.js';
import '@vscode-elements/elements/dist/vscode-table-body/index.js';
import '@vscode-elements/elements/dist/vscode-table-cell/index.js';
import '@vscode-elements/elements/dist/vscode-table-header/index.js';
import '@vscode-elements/elements/dist/vscode-table-header-cell/index.js';
import '@vscode-elements/elements/dist/vscode-table-row/index.js';
import { parseToWebview, type ToWebview } from '../src/protocol/webview';
import { loadState, post, saveState } from './api';
import { settle } from './requests';
import { renderAtlas } from './views/atlas';
import { renderActivity, renderNotice } from './views/banner';
import { renderBatch } from './views/batch';
import { renderCompare } from './views/compare';
import { labellingSettled } from './views/label';
import { renderModel } from './views/model';
import { ResultPanel } from './views/result';
import { resultFrame } from './views/result-nav';
import { renderError, renderLoading } from './views/status';

const root = document.getElementById('app')!;
let panel: ResultPanel | undefined;

function replaceView(): void {
  panel?.destroy();
  panel = undefined;
}

function render(message: ToWebview): void {
  switch (message.type) {
    case 'loading':
      replaceView();
      post({ type: 'rendered', view: 'loading', items: renderLoading(root, message) });
      saveState({ view: message });
      break;
    case 'model':
      replaceView();
      post({ type: 'rendered', view: 'model', items: renderModel(root, message.summary) });
      saveState({ view: message });
      break;
    case 'error':
      replaceView();
      post({ type: 'rendered', view: 'error', items: renderError(root, message) });
      saveState({ view: message });
      break;
    case 'batch':
      replaceView();
      post({ type: 'rendered', view: 'batch', items: renderBatch(root, message) });
      saveState({ view: message });
      break;
    case 'result': {
      const saved = loadState().result;
      replaceView();
      panel = new ResultPanel(resultFrame(root, message), message, saved);
      post({ type: 'rendered', view: 'result', items: panel.render(), ...(message.running ? { running: true } : {}) });
      break;
    }
    case 'atlas':
      replaceView();
      post({ type: 'rendered', view: 'atlas', items: renderAtlas(root, message) });
      saveState({ view: message });
      break;
    case 'compare':
      replaceView();
      post({ type: 'rendered', view: 'compare', items: renderCompare(root, message) });
      saveState({ view: message });
      break;
    case 'explanation':
    case 'maskResult':
    case 'audit':
      // The view that asked reports `rendered` once it shows the answer; an orphan answer is acknowledged empty.
      if (!settle(message)) post({ type: 'rendered', view: message.type, items: [] });
      break;
    case 'activity':
      post({ type: 'rendered', view: 'activity', items: renderActivity(message) });
      break;
    case 'notice':
      labellingSettled(); // the host answers a Label Groups request with a notice
      post({ type: 'rendered', view: 'notice', items: renderNotice(message) });
      break;
  }
}

window.addEventListener('message', (event: MessageEvent) => {
  const message = parseToWebview(event.data);
  if (!message) {
    post({ type: 'failure', message: `webview: unknown message ${JSON.stringify(event.data)?.slice(0, 200)}` });
    return;
  }
  try {
    render(message);
  } catch (e) {
    post({ type: 'failure', message: `webview: rendering '${message.type}' failed: ${(e as Error).stack ?? e}` });
  }
});

const saved = loadState().view;
if (saved) render(saved);
post({ type: 'ready' });

/**
 * The panel's script (bundled to dist/webview.js). Receives `ToWebview` messages, renders one view per
 * message type, reports `rendered` back, and persists the current view so a hidden panel comes back as it was.
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
import { renderModel } from './views/model';
import { renderError, renderLoading } from './views/status';

const root = document.getElementById('app')!;

function render(message: ToWebview): void {
  switch (message.type) {
    case 'loading':
      post({ type: 'rendered', view: 'loading', items: renderLoading(root, message) });
      break;
    case 'model':
      post({ type: 'rendered', view: 'model', items: renderModel(root, message.summary) });
      break;
    case 'error':
      post({ type: 'rendered', view: 'error', items: renderError(root, message) });
      break;
  }
  saveState({ view: message });
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

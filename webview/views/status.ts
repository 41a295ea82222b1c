/** The loading and error views. */
import type { ErrorViewMessage, LoadingMessage } from '../../src/protocol/webview';
import { h } from '../dom';
import { changeActions } from './help';

export function renderLoading(root: HTMLElement, m: LoadingMessage): string[] {
  root.replaceChildren(
    h(
      'section',
      { class: 'status', role: 'status' },
      // Still, like the banner's icon: this view stays up through a scan and the first layers of an analysis.
      h('vscode-icon', { name: 'loading', class: 'status-icon', 'aria-label': 'Working' }),
      h('div', {}, h('h1', {}, m.fileName), h('p', { class: 'muted' }, m.stage)),
    ),
  );
  return [m.stage];
}

export function renderError(root: HTMLElement, m: ErrorViewMessage): string[] {
  root.replaceChildren(
    h(
      'section',
      { class: 'status error', role: 'alert' },
      h('vscode-icon', { name: 'error', class: 'error-icon' }),
      h('div', {}, h('h1', {}, m.title), h('pre', { class: 'message' }, m.message), changeActions(m.changes)),
    ),
  );
  return [m.message];
}

/**
 * The activity banner (an analysis running while the panel shows something else) and short notices from the
 * host. Both live outside the view root, so re-rendering a view never removes them.
 */
import type { ActivityMessage, NoticeMessage } from '../../src/protocol/webview';
import { h } from '../dom';
import { changeActions } from './help';

function slot(id: string, role: string): HTMLElement {
  let el = document.getElementById(id);
  if (!el) {
    el = h('div', { id, role, 'aria-live': 'polite' });
    const app = document.getElementById('app');
    document.body.insertBefore(el, app);
  }
  return el;
}

export function renderActivity(m: ActivityMessage): string[] {
  const el = slot('banner', 'status');
  if (!m.running) {
    el.replaceChildren();
    el.hidden = true;
    return [];
  }
  el.hidden = false;
  const fraction = m.total ? Math.min(1, (m.done ?? 0) / m.total) : undefined;
  const bar = h('span', { class: 'banner-bar' });
  if (fraction !== undefined) bar.style.width = `${(fraction * 100).toFixed(1)}%`;
  el.replaceChildren(
    // A still icon, not a spinner: the banner stays up for the whole run, and a spinner repainting for minutes took
    // a quarter of the analysis's CPU in code-server's Chromium (the bar and the stage show the progress).
    h('vscode-icon', { name: 'loading', class: 'banner-icon', 'aria-label': 'Analysis running' }),
    h('span', { class: 'banner-text' }, h('strong', {}, m.title ?? 'Analysis running'), m.stage ? ` — ${m.stage}` : ''),
    h('span', { class: 'banner-track' }, bar),
  );
  return [m.title ?? '', m.stage ?? ''].filter(Boolean);
}

export function renderNotice(m: NoticeMessage): string[] {
  const box = slot('notices', 'log');
  const icon = m.level === 'error' ? 'error' : m.level === 'warning' ? 'warning' : 'info';
  const note = h(
    'div',
    { class: `notice ${m.level}`, role: m.level === 'error' ? 'alert' : 'status' },
    h('vscode-icon', { name: icon }),
    h('span', { class: 'grow' }, m.message),
    changeActions(m.changes),
    h('vscode-icon', { name: 'close', 'action-icon': true, label: 'Dismiss', title: 'Dismiss', onclick: () => note.remove() }),
  );
  box.append(note);
  while (box.children.length > 3) box.firstElementChild?.remove();
  if (m.level === 'info') setTimeout(() => note.remove(), 10_000);
  return [m.message];
}

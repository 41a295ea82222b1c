/**
 * The bar above a result view (issue 19): the way back to the atlas the result was opened from, and
 * **Compare with...** (the host picks another result of the class and shows both circuits side by side).
 */
import type { ResultViewMessage } from '../../src/protocol/webview';
import { post } from '../api';
import { h } from '../dom';

/** Puts the bar in `root` and returns the element the result view renders into. */
export function resultFrame(root: HTMLElement, m: ResultViewMessage): HTMLElement {
  const inner = h('div', { class: 'result-frame' });
  const atlas = m.atlas;
  const bar = h(
    'nav',
    { class: 'result-nav', 'aria-label': 'Result navigation' },
    atlas
      ? h(
          'vscode-button',
          {
            class: 'back-to-atlas',
            secondary: true,
            icon: 'arrow-left',
            title: `Back to the atlas (${atlas})`,
            onclick: () => post({ type: 'showAtlas', atlas, selected: m.doc.class.name }),
          },
          'Atlas',
        )
      : null,
    atlas ? h('span', { class: 'muted small nav-where' }, `class ${m.doc.class.name} of the atlas`) : null,
    h('span', { class: 'grow' }),
    m.running
      ? null
      : h(
          'vscode-button',
          {
            class: 'compare-with',
            secondary: true,
            icon: 'diff',
            title: 'Compare this circuit with another result of the same class',
            onclick: () => post({ type: 'compareWith' }),
          },
          'Compare with...',
        ),
  );
  root.replaceChildren(bar, inner);
  return inner;
}

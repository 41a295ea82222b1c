/**
 * A group's label in the Group view: the text, where it came from ("by {model} · check 88% (7/8)",
 * "from the data" with the reason, "yours") and an editor (Edit Label: Enter saves, Escape cancels, empty removes
 * the label), plus the buttons that ask the host to label the groups of the layer or of the whole result. The
 * host saves through its commands and sends the result back, which re-renders the view with the saved label.
 */
import type { GroupLabel } from '../../src/engine/result/schema';
import { MAX_LABEL_LENGTH } from '../../src/protocol/webview';
import { post } from '../api';
import { h } from '../dom';
import type { GroupInfo } from '../result/groups';

export interface LabelBlockOptions {
  group: GroupInfo;
  label: GroupLabel | undefined;
  /** The layer's group count as shown (sent along: the host checks it against the saved grouping). */
  groupCount: number;
  /** Groups in the layer and in the whole result (for the buttons' titles). */
  layerGroups: number;
  allGroups: number;
  /** False when the panel's result has no file to save into (the editor and the buttons are hidden). */
  editable: boolean;
}

export interface LabelBlock {
  element: HTMLElement;
  /** What it shows, for the `rendered` report: [group id, label text, origin line]. */
  items: string[];
}

/** Set while a Label Groups request is out (until the host's notice): the buttons stay disabled. */
let labelling = false;
/** The group whose label the user just saved: its Edit button gets the focus back after the host re-renders. */
let refocus: string | undefined;

/** The host answered a Label Groups request (its notice arrived): the buttons are usable again. */
export function labellingSettled(): void {
  labelling = false;
  for (const b of document.querySelectorAll<HTMLElement>('.label-run')) b.removeAttribute('disabled');
}

const pct = (v: number) => `${Math.round(v * 100)}%`;

/** The origin line shown under a label. */
export function labelOrigin(label: GroupLabel): string {
  if (label.source === 'user') return 'yours';
  if (label.source === 'data') return `from the data${label.reason ? ` · ${label.reason}` : ''}`;
  const check = label.check ? ` (${label.check.correct}/${label.check.total})` : '';
  const conf = label.confidence !== undefined ? ` · check ${pct(label.confidence)}${check}` : '';
  return `by ${label.model ?? 'a language model'}${conf}`;
}

/** Renders the label block of a group. */
export function labelBlock(o: LabelBlockOptions): LabelBlock {
  const g = o.group;
  const block = h('section', { class: 'label-block', 'aria-label': `Label of ${g.layer} · G${g.index}` });
  const origin = o.label ? labelOrigin(o.label) : '';

  const editButton = h(
    'vscode-button',
    {
      secondary: true,
      icon: 'edit',
      class: 'label-edit',
      title: 'Edit the label (Enter saves, Escape cancels)',
      'aria-label': `Edit the label of ${g.layer} G${g.index}`,
      onclick: () => edit(),
    },
    o.label ? 'Edit Label' : 'Add Label',
  );
  const run = (scope: 'layer' | 'all') => {
    labelling = true;
    for (const b of document.querySelectorAll<HTMLElement>('.label-run')) b.setAttribute('disabled', '');
    post(scope === 'layer' ? { type: 'labelGroups', layer: g.layer, groupCount: o.groupCount } : { type: 'labelGroups' });
  };
  const runButtons = [
    h(
      'vscode-button',
      {
        secondary: true,
        icon: 'tag',
        class: 'label-run',
        disabled: labelling,
        title: `Label the ${o.layerGroups} group${o.layerGroups === 1 ? '' : 's'} of ${g.layer} with a language model (asks before sending crops), else from the data`,
        onclick: () => run('layer'),
      },
      'Label Layer',
    ),
    h(
      'vscode-button',
      {
        secondary: true,
        icon: 'tag',
        class: 'label-run',
        disabled: labelling,
        title: `Label all ${o.allGroups} groups of this result with a language model (asks before sending crops), else from the data`,
        onclick: () => run('all'),
      },
      'Label All',
    ),
  ];

  const show = (text: string | undefined, originLine: string, tooltip?: string) => {
    const line = h(
      'div',
      { class: 'label-line' },
      text ? h('span', { class: 'label-text', title: tooltip }, text) : h('span', { class: 'muted label-text none' }, 'No label'),
      o.editable ? editButton : null,
      o.editable ? h('span', { class: 'label-runs' }, runButtons) : null,
    );
    const detail = o.label?.detail && o.label.source !== 'user' && text === o.label.text ? o.label.detail : undefined;
    block.replaceChildren(
      line,
      ...[
        originLine ? h('p', { class: 'label-origin muted', title: tooltip }, originLine) : null,
        detail ? h('p', { class: 'label-detail muted small' }, detail) : null,
      ].filter((x): x is HTMLParagraphElement => x !== null),
    );
  };

  const edit = () => {
    const input = h('input', {
      type: 'text',
      class: 'label-input',
      value: o.label?.text ?? '',
      maxlength: MAX_LABEL_LENGTH,
      spellcheck: 'false',
      'aria-label': `Label of ${g.layer} G${g.index}`,
      placeholder: 'a few words, e.g. "striped texture"',
    });
    const cancel = () => {
      show(o.label?.text, origin, o.label?.detail);
      editButton.focus();
    };
    input.addEventListener('keydown', (e) => {
      e.stopPropagation();
      if (e.key === 'Escape') {
        e.preventDefault();
        cancel();
      }
      if (e.key === 'Enter') {
        e.preventDefault();
        const text = input.value.replace(/\s+/g, ' ').trim();
        refocus = g.id;
        post({ type: 'setLabel', layer: g.layer, group: g.index, text, groupCount: o.groupCount });
        // Shown at once; the host's re-render replaces it with what was saved.
        show(text || undefined, text ? 'yours · saving…' : 'removing the label…');
        editButton.focus();
      }
    });
    block.replaceChildren(
      h('div', { class: 'label-line' }, input, h('vscode-button', { secondary: true, onclick: cancel, title: 'Cancel (Escape)' }, 'Cancel')),
      h('p', { class: 'muted small' }, 'Enter saves · Escape cancels · empty removes the label'),
    );
    input.focus();
    input.select();
  };

  show(o.label?.text, origin, o.label?.detail);
  if (refocus === g.id) {
    refocus = undefined;
    // A new vscode-button becomes focusable (tabindex) on its first update.
    const ready = (editButton as unknown as { updateComplete?: Promise<unknown> }).updateComplete ?? Promise.resolve();
    void ready.then(() => editButton.focus());
  }
  return { element: block, items: [g.id, o.label?.text ?? '', origin] };
}

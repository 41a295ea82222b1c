/**
 * "Label error or shortcut?", a section of the Mistakes view: on request the host audits the dataset
 * (worker `audit`): confident learning's suspects sorted into label errors (ranked) and shortcut mistakes, with a
 * card per shortcut group found (its evidence boxes on example images, the labels it spans, what occluding its
 * evidence does) and Export of the lists as CSV (`path,label,suggested,kind`).
 */
import { auditCsv, type AuditView } from '../../src/protocol/audit';
import type { AuditMessage, ResultViewMessage } from '../../src/protocol/webview';
import { imageUri } from '../../src/protocol/webview';
import type { ResultDocument } from '../../src/engine/result/schema';
import { post } from '../api';
import { h } from '../dom';
import { boxedImage } from '../image-box';
import { request } from '../requests';
import { inputSize } from '../result/groups';
import { openImage } from './group';

export interface AuditSectionOptions {
  message: ResultViewMessage;
  doc: ResultDocument;
  /** Reports what the section shows (`rendered` of view 'audit'). */
  rendered(items: string[]): void;
}

/** Answers kept per result (a re-render or a tab switch shows them again without a new run). */
const answers = new Map<string, AuditMessage>();
const pct = (v: number) => `${(v * 100).toFixed(0)}%`;
const ROWS = 50;

/** The items `rendered` reports: `shortcut:<id>`, `label-error:<path>`, `shortcut-mistake:<path>`, in display order. */
export function auditItems(v: AuditView): string[] {
  return [
    ...v.shortcuts.map((s) => `shortcut:${s.id}`),
    ...v.labelErrors.slice(0, ROWS).map((e) => `label-error:${e.path}`),
    ...v.shortcutMistakes.slice(0, ROWS).map((m) => `shortcut-mistake:${m.path}`),
  ];
}

export function auditSection(o: AuditSectionOptions): HTMLElement {
  const el = h('section', { class: 'audit', 'aria-label': 'Label error or shortcut?' });
  const draw = () => {
    const m = answers.get(o.doc.key);
    const head = h('h2', {}, 'Label error or shortcut?');
    const intro = h(
      'p',
      { class: 'muted' },
      'Confident learning flags images whose label the model doubts. Some are wrong labels; others are right labels the model got wrong because of a shortcut. ',
      'The audit finds shortcut groups in the circuit (present on images of several labels, small and alike evidence, and occluding that evidence gives the images back their label) and sorts the suspects.',
    );
    if (!m) {
      const run = h(
        'vscode-button',
        {
          icon: 'search',
          disabled: !!o.message.readOnly,
          title: o.message.readOnly
            ? 'Auditing runs the model: it needs the model and a trusted workspace'
            : 'Analyse the classes the suspects are predicted as and sort the suspects',
          onclick: async () => {
            el.replaceChildren(
              head,
              h('p', { class: 'muted' }, h('vscode-progress-ring', { class: 'inline' }), ' Auditing the dataset (class analyses are reused when saved)…'),
            );
            const answer = await request<AuditMessage>((requestId) => ({ type: 'runAudit', requestId }));
            answers.set(o.doc.key, answer);
            if (el.isConnected) draw();
          },
        },
        'Audit Suspects',
      );
      el.replaceChildren(head, intro, run);
      return;
    }
    if (m.error || !m.report) {
      el.replaceChildren(
        head,
        h('p', { class: 'error-text', role: 'alert' }, m.error ?? 'The audit returned nothing.'),
        h(
          'vscode-button',
          {
            secondary: true,
            onclick: () => {
              answers.delete(o.doc.key);
              draw();
            },
          },
          'Try Again',
        ),
      );
      o.rendered([]);
      return;
    }
    const v = m.report;
    const exportBtn = h(
      'vscode-button',
      { icon: 'export', title: 'Save both lists as CSV: path,label,suggested,kind', onclick: () => post({ type: 'exportAudit', csv: auditCsv(v) }) },
      'Export CSV',
    );
    el.replaceChildren(
      head,
      intro,
      h('div', { class: 'audit-actions' }, exportBtn),
      h('h3', {}, `Shortcuts (${v.shortcuts.length})`),
      v.shortcuts.length === 0
        ? h('p', { class: 'muted' }, 'No group of the examined classes is a shortcut: every suspect is a candidate label error.')
        : h(
            'ul',
            { class: 'shortcut-cards', 'aria-label': 'Shortcut groups' },
            v.shortcuts.map((s) => shortcutCard(o, s)),
          ),
      h('h3', {}, `Label errors (${v.labelErrors.length})`),
      h('p', { class: 'muted' }, 'Most likely first: the label disagrees with what the model sees without any shortcut.'),
      listTable(
        'Label errors',
        ['image', 'label', 'suggested', 'score', 'why'],
        v.labelErrors.slice(0, ROWS).map((e) => ({
          path: e.path,
          cells: [e.label, e.suggested, e.score.toFixed(2), e.why],
        })),
        o,
      ),
      h('h3', {}, `Shortcut mistakes (${v.shortcutMistakes.length})`),
      h(
        'p',
        { class: 'muted' },
        "The model was fooled by a shortcut: occluding the shortcut's evidence changes its prediction (to the label: the label is right).",
      ),
      listTable(
        'Shortcut mistakes',
        ['image', 'label', 'predicted', 'shortcut', 'why'],
        v.shortcutMistakes.slice(0, ROWS).map((x) => ({
          path: x.path,
          cells: [x.label, x.predicted, x.shortcut, x.why],
        })),
        o,
      ),
    );
    o.rendered(auditItems(v));
  };
  draw();
  return el;
}

function shortcutCard(o: AuditSectionOptions, s: AuditView['shortcuts'][number]): HTMLElement {
  const size = inputSize(o.doc);
  const examples = s.examples.slice(0, 4).map((x) => {
    const src = imageUri(o.message, x.path);
    const caption = `${x.label} → ${s.class}; occluded: ${x.after}`;
    return h(
      'figure',
      { class: 'audit-example' },
      src
        ? boxedImage({
            src,
            alt: x.path,
            width: 96,
            boxes: [{ box: x.box, kind: 'best', title: 'evidence (occluded)' }],
            preprocessing: o.doc.model.preprocessing,
            inputSize: size,
            pixelated: size[0] <= 128,
            onOpen: o.message.datasetRoot ? () => openImage(o.message, x.path) : undefined,
            title: x.path,
          })
        : h('div', { class: 'frame missing' }, x.path),
      h('figcaption', {}, caption),
    );
  });
  return h(
    'li',
    { class: 'shortcut-card', 'data-shortcut': s.id },
    h('h4', {}, s.id),
    h(
      'p',
      {},
      `Present on images labelled ${s.classesSpanned.join(', ')}; predicted ${s.class}. `,
      h('strong', {}, `Occluding its evidence gives ${s.flippedToLabel} of ${s.measured} images of other labels back their label (${pct(s.flipRate)}).`),
    ),
    h(
      'p',
      { class: 'muted' },
      `${s.channels.length} channels of ${s.layer}; evidence covers ${pct(s.medianCoverage)} of the image (median), alike across labels ${s.alike.toFixed(2)}.`,
    ),
    h('div', { class: 'audit-examples' }, examples),
  );
}

function listTable(label: string, header: string[], rows: { path: string; cells: string[] }[], o: AuditSectionOptions): HTMLElement {
  if (rows.length === 0) return h('p', { class: 'muted' }, 'None.');
  return h(
    'table',
    { class: 'audit-list', 'aria-label': label },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        header.map((c) => h('th', { scope: 'col' }, c)),
      ),
    ),
    h(
      'tbody',
      {},
      rows.map((r) =>
        h(
          'tr',
          { 'data-image': r.path },
          h(
            'td',
            {},
            h(
              'a',
              {
                href: '#',
                onclick: (e: Event) => {
                  e.preventDefault();
                  openImage(o.message, r.path);
                },
              },
              r.path,
            ),
          ),
          r.cells.map((c) => h('td', {}, c)),
        ),
      ),
    ),
  );
}

/**
 * Explain Batch in the Mistakes view (docs/design.md 7): the misclassified samples of a batch from a paused debug
 * session, each with the groups of the saved analysis that explain it (scores, evidence boxes drawn on the
 * sample as the model saw it, representative crops) and what masking each group does. Everything arrives in
 * the `batch` message, at every grouped layer (the layer picker; the layer shown first is the one where masking
 * changes the explained class most). The host is asked to open the paused line, to open a sample's group in the
 * Circuit or Group view of its analysis (the panel keeps the batch: the result view gets a Batch tab back), and to
 * change the saved analyses used. Reports `rendered` view `sample` (the sample's index, then its groups at the
 * layer shown) each time a sample is shown.
 */
import type { BatchMessage, BatchSample, SampleGroup } from '../../src/protocol/batch';
import type { ResultTab } from '../../src/protocol/webview';
import { post } from '../api';
import { fmtInt, h } from '../dom';
import { boxedImage, type DrawnBox } from '../image-box';

const pct = (v: number) => `${(v * 100).toFixed(1)}%`;

function sampleSize(m: BatchMessage): [number, number] {
  // The thumbnail is the model input; boxes are in its pixels. Every box lies inside it, so the largest
  // coordinate bounds the size; a square input is the norm (the worker checked the shape).
  let max = 1;
  for (const s of m.misclassified) for (const g of s.explanation?.groups ?? []) for (const b of [g.bestBox, ...g.evidence]) max = Math.max(max, b[2], b[3]);
  return [max, max];
}

/** The layers a sample can be shown at: its analysis's grouped layers (top first). */
function sampleLayers(s: BatchSample): { layer: string; groups: SampleGroup[] }[] {
  const ex = s.explanation;
  if (!ex) return [];
  return ex.layers && ex.layers.length > 0 ? ex.layers : [{ layer: ex.layer, groups: ex.groups }];
}

/** Every layer of the batch's samples, in the order the analyses list them (top first). */
function batchLayers(m: BatchMessage): string[] {
  const out: string[] = [];
  for (const r of m.results) for (const l of r.layers ?? []) if (!out.includes(l)) out.push(l);
  for (const s of m.misclassified) for (const at of sampleLayers(s)) if (!out.includes(at.layer)) out.push(at.layer);
  return out.filter((l) => m.misclassified.some((s) => sampleLayers(s).some((at) => at.layer === l)));
}

const points = (v: number) => `${v >= 0 ? '−' : '+'}${Math.abs(v * 100).toFixed(1)} pts`;

function groupRow(s: BatchSample, g: SampleGroup, on: boolean, pick: () => void, open: () => void): HTMLElement {
  const m = g.mask;
  const row = h(
    'li',
    { role: 'option', tabindex: on ? 0 : -1, 'aria-selected': String(on), class: 'batch-group' },
    h(
      'div',
      { class: 'reps' },
      g.representatives.slice(0, 3).map((src) => h('img', { src, alt: '', class: 'thumb small' })),
    ),
    h(
      'div',
      { class: 'grow' },
      h('strong', {}, g.label ?? `G${g.group}`),
      ' ',
      h('span', { class: 'muted' }, `${g.channels.length} channels · score ${g.score.toFixed(2)}`),
      h(
        'div',
        { class: 'muted small' },
        `mask: P(${s.predictedName}) ${pct(m.predictedBefore)} → ${pct(m.predictedAfter)}, P(${s.labelName}) ${pct(m.labelBefore)} → ${pct(m.labelAfter)}`,
        m.top[0] ? `; then top: ${m.top[0].name} ${pct(m.top[0].prob)}` : '',
      ),
    ),
    h(
      'vscode-button',
      {
        class: 'open-circuit',
        secondary: true,
        icon: 'type-hierarchy',
        title: `Open ${g.label ?? `G${g.group}`} in the circuit of the analysis`,
        'aria-label': `Open ${g.label ?? `G${g.group}`} in the circuit`,
        onclick: (e: Event) => {
          e.stopPropagation();
          open();
        },
        onkeydown: (e: KeyboardEvent) => e.stopPropagation(),
      },
      'In Circuit',
    ),
  );
  row.addEventListener('click', pick);
  row.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      pick();
    }
  });
  return row;
}

/** What the batch view keeps across its redraws (the layer picked, the sample selected). */
interface BatchUi {
  layer: string | undefined;
  sample: BatchSample | undefined;
}

const TABS: [ResultTab | 'batch', string][] = [
  ['circuit', 'Circuit'],
  ['group', 'Group'],
  ['mistakes', 'Mistakes'],
  ['batch', 'Batch'],
];

/** Renders the batch; returns the indices of the misclassified samples shown. */
export function renderBatch(root: HTMLElement, m: BatchMessage): string[] {
  const size = sampleSize(m);
  const layers = batchLayers(m);
  const ui: BatchUi = { layer: m.layerChoice?.layer ?? m.misclassified.find((s) => s.explanation)?.explanation?.layer ?? layers[0], sample: undefined };
  const detail = h('section', { class: 'detail', 'aria-live': 'polite', 'aria-label': 'Selected sample' });
  /** The analysis a tab of the batch opens: the selected sample's, else the first one used. */
  const analysisFile = () => ui.sample?.explanation?.result ?? m.results[0]?.path;
  const openGroup = (file: string, layer: string, group: number, tab: ResultTab = 'circuit') => post({ type: 'openAnalysis', result: file, tab, layer, group });
  const showSample = (s: BatchSample, gi = 0) => {
    ui.sample = s;
    const ex = s.explanation;
    const all = sampleLayers(s);
    const at = all.find((x) => x.layer === ui.layer) ?? (ex ? { layer: ex.layer, groups: ex.groups } : undefined);
    const groups = at?.groups ?? [];
    const g = groups[gi];
    if (gi === 0) post({ type: 'rendered', view: 'sample', items: [String(s.index), ...groups.map((x) => `${at!.layer}/G${x.group}`)] });
    const boxes: DrawnBox[] = g ? [...g.evidence.map((b): DrawnBox => ({ box: b, kind: 'weak' })), { box: g.bestBox, kind: 'best' }] : [];
    const elsewhere = ex && at && ui.layer && at.layer !== ui.layer ? ` (its analysis does not group ${ui.layer})` : '';
    detail.replaceChildren(
      h('h3', {}, `Sample ${s.index}: labelled ${s.labelName}, predicted ${s.predictedName} (${pct(s.confidence)})`),
      h(
        'div',
        { class: 'detail-grid' },
        boxedImage({
          src: s.thumbnail,
          alt: `sample ${s.index}`,
          width: 224,
          boxes,
          preprocessing: null,
          inputSize: size,
          isInput: true,
          pixelated: size[0] <= 128,
        }),
        h(
          'div',
          { class: 'detail-info' },
          h(
            'div',
            { class: 'top' },
            h('h4', {}, 'Predictions'),
            h(
              'ol',
              {},
              s.top.slice(0, 4).map((p) => h('li', {}, h('span', {}, p.name), h('span', { class: 'num' }, pct(p.prob)))),
            ),
          ),
          s.debuggeePrediction !== undefined && s.debuggeePrediction !== s.predicted
            ? h(
                'p',
                { class: 'warning-text' },
                `Your code predicted ${m.classes[s.debuggeePrediction] ?? s.debuggeePrediction}: the ONNX model disagrees (export or preprocessing drift).`,
              )
            : null,
        ),
      ),
      ex && at
        ? h(
            'div',
            {},
            h(
              'p',
              { class: 'muted' },
              ex.role === 'predicted'
                ? `Groups of ${ex.className} (the wrong prediction) at ${at.layer}${elsewhere}: what made the model say ${ex.className}.`
                : `Groups of ${ex.className} (the label) at ${at.layer}${elsewhere}: which of them are missing.`,
              ' Open one in the circuit of the analysis with its In Circuit button.',
            ),
            h(
              'ul',
              { class: 'scored', role: 'listbox', 'aria-label': `Groups explaining sample ${s.index}` },
              groups.map((sg, i) =>
                groupRow(
                  s,
                  sg,
                  i === gi,
                  () => showSample(s, i),
                  () => openGroup(ex.result, at.layer, sg.group),
                ),
              ),
            ),
          )
        : h('p', { class: 'muted' }, s.note ?? "No saved analysis covers this sample's classes."),
    );
  };
  const tiles = m.misclassified.map((s, i) => {
    const li = h(
      'li',
      { role: 'option', tabindex: i === 0 ? 0 : -1, 'aria-selected': 'false', title: `sample ${s.index}` },
      h('img', { src: s.thumbnail, alt: `sample ${s.index}`, class: 'tile-img pixelated' }),
      h('span', { class: 'tile-cap' }, `${s.labelName} → ${s.predictedName}`),
      h('span', { class: 'tile-conf num' }, pct(s.confidence)),
    );
    const pick = () => {
      for (const x of gallery.children) x.setAttribute('aria-selected', String(x === li));
      showSample(s);
    };
    li.addEventListener('click', pick);
    li.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        pick();
      }
      if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
        e.preventDefault();
        ((e.key === 'ArrowRight' ? li.nextElementSibling : li.previousElementSibling) as HTMLElement | null)?.focus();
      }
    });
    return li;
  });
  const gallery = h('ul', { class: 'tiles', role: 'listbox', 'aria-label': 'Misclassified samples' }, tiles);
  const where = `${m.source.path.split(/[\\/]/).pop()}:${m.source.line}`;

  // The layer picker (issue 18, item 6): every grouped layer; the first shown is said and why.
  const effectOf = (l: string) => m.layerChoice?.effects.find((e) => e.layer === l);
  const picker =
    layers.length > 0
      ? h(
          'select',
          { class: 'dropdown layer-picker', 'aria-label': 'Layer whose groups explain the samples' },
          layers.map((l) => {
            const e = effectOf(l);
            return h(
              'option',
              { value: l, selected: l === ui.layer },
              `${l}${e ? ` (masking ${points(e.drop)})` : ''}${l === m.layerChoice?.layer ? ' · strongest' : ''}`,
            );
          }),
        )
      : null;
  picker?.addEventListener('change', () => {
    ui.layer = picker.value;
    if (ui.sample) showSample(ui.sample);
  });
  const chosen = m.layerChoice ? effectOf(m.layerChoice.layer) : undefined;
  const why = m.layerChoice
    ? chosen
      ? `Shown first: ${m.layerChoice.layer}, the layer where masking one of a sample's groups lowers the explained class most (on average ${points(chosen.drop)} over ${chosen.samples} sample${chosen.samples === 1 ? '' : 's'}). Masking at another layer may change the prediction less: pick it to compare.`
      : `Shown first: ${m.layerChoice.layer}.`
    : layers.length > 1
      ? 'This batch was explained at one layer only.'
      : '';

  // The analyses used (issue 18, item 6): class, tau, steps, created, file; Change asks for others.
  const used = h(
    'section',
    { class: 'batch-analyses', 'aria-label': 'Saved analyses used' },
    h(
      'div',
      { class: 'section-head' },
      h('h2', {}, m.results.length === 1 ? 'Saved analysis used' : `Saved analyses used (${m.results.length})`),
      h(
        'vscode-button',
        {
          class: 'change change-analysis',
          secondary: true,
          title: 'Pick other saved analyses of this model and explain the batch again (the debug session must still be paused)',
          'aria-label': 'Change the saved analysis',
          onclick: () => post({ type: 'changeBatchAnalysis' }),
        },
        'Change analysis',
      ),
    ),
    h(
      'ul',
      { class: 'analysis-list' },
      m.results.map((r) =>
        h(
          'li',
          { 'data-result': r.path },
          h('strong', {}, r.className),
          h(
            'span',
            { class: 'muted' },
            [
              r.tau !== undefined ? ` · τ ${r.tau}` : '',
              r.igSteps !== undefined ? ` · ${r.igSteps} steps` : '',
              r.createdAt ? ` · created ${r.createdAt.slice(0, 16).replace('T', ' ')}` : '',
              ' · ',
            ].join(''),
          ),
          h(
            'a',
            {
              href: '#',
              class: 'result-file',
              title: r.path,
              onclick: (e: Event) => {
                e.preventDefault();
                post({ type: 'openFile', path: r.path });
              },
            },
            r.path.split(/[\\/]/).pop() ?? r.path,
          ),
          ' ',
          h(
            'a',
            {
              href: '#',
              class: 'open-analysis',
              title: `Open the analysis of ${r.className} (Circuit, Group, Mistakes); the batch stays in the panel`,
              onclick: (e: Event) => {
                e.preventDefault();
                post({ type: 'openAnalysis', result: r.path, tab: 'circuit' });
              },
            },
            'Open analysis',
          ),
        ),
      ),
    ),
  );

  // Tabs: the analysis's views beside the batch (the panel keeps both).
  const tabBar = h(
    'div',
    { class: 'tabs', role: 'tablist', 'aria-label': 'Panel views' },
    TABS.map(([id, label]) => {
      const on = id === 'batch';
      const b = h(
        'button',
        { role: 'tab', id: `tab-${id}`, class: 'tab', 'aria-selected': String(on), tabindex: on ? 0 : -1, disabled: !on && !analysisFile() },
        label,
      );
      b.addEventListener('click', () => {
        const file = analysisFile();
        if (id !== 'batch' && file) post({ type: 'openAnalysis', result: file, tab: id });
      });
      b.addEventListener('keydown', (e) => {
        const i = TABS.findIndex((t) => t[0] === id);
        const j = e.key === 'ArrowRight' ? (i + 1) % TABS.length : e.key === 'ArrowLeft' ? (i + TABS.length - 1) % TABS.length : -1;
        if (j < 0) return;
        e.preventDefault();
        (tabBar.querySelector(`#tab-${TABS[j][0]}`) as HTMLElement | null)?.focus();
      });
      return b;
    }),
  );

  const parts: (HTMLElement | null)[] = [
    h(
      'header',
      { class: 'title' },
      h('h1', {}, `Batch at ${where}`),
      h(
        'vscode-button',
        {
          secondary: true,
          icon: 'debug-stackframe',
          title: `${m.source.path}:${m.source.line} (${m.source.frame})`,
          onclick: () => post({ type: 'openFile', path: m.source.path, line: m.source.line }),
        },
        'Go to Paused Line',
      ),
    ),
    tabBar,
    h(
      'dl',
      { class: 'facts' },
      h('div', {}, h('dt', {}, 'Batch'), h('dd', {}, `${fmtInt(m.batchSize)} samples, ${fmtInt(m.correct)} right`)),
      h('div', {}, h('dt', {}, 'Images'), h('dd', {}, h('code', {}, m.expressions.images))),
      h('div', {}, h('dt', {}, 'Labels'), h('dd', {}, h('code', {}, m.expressions.labels))),
      h('div', {}, h('dt', {}, 'Layout'), h('dd', {}, m.layout)),
      h('div', {}, h('dt', {}, 'Provider'), h('dd', {}, m.provider)),
      h('div', {}, h('dt', {}, 'Transfer'), h('dd', {}, `${(m.transfer.bytes / 1024 / 1024).toFixed(2)} MB in ${Math.round(m.transfer.ms)} ms`)),
      m.check
        ? h('div', {}, h('dt', {}, 'Export check'), h('dd', { class: 'export-check' }, `max |ONNX − PyTorch| logit ${m.check.maxLogitDiff.toExponential(1)}`))
        : null,
    ),
    m.results.length > 0 ? used : null,
    m.check && (!(m.check.maxLogitDiff <= m.check.tolerance) || m.check.argmaxDisagreements.length > 0)
      ? h(
          'p',
          { class: 'warning-text export-mismatch' },
          `The exported ONNX model does not match your PyTorch model on this batch: largest logit difference ${m.check.maxLogitDiff.toPrecision(3)} ` +
            `(tolerance ${m.check.tolerance.toPrecision(2)})${m.check.argmaxDisagreements.length > 0 ? `, another top class on sample(s) ${m.check.argmaxDisagreements.slice(0, 10).join(', ')}` : ''}. The groups shown are the ONNX model's.`,
        )
      : null,
    m.disagreements.length > 0
      ? h(
          'p',
          { class: 'warning-text' },
          `Your code's predictions and the ONNX model's disagree on ${m.disagreements.length} sample(s): ${m.disagreements.slice(0, 10).join(', ')}.`,
        )
      : null,
    h(
      'section',
      { class: 'mistakes', 'aria-label': 'Misclassified samples' },
      h('h2', {}, 'Misclassified ', h('vscode-badge', { variant: 'counter' }, m.misclassified.length + m.unexplained.length)),
      m.misclassified.length > 0 ? gallery : h('p', { class: 'muted' }, 'The model gets every sample of this batch right.'),
      m.unexplained.length > 0
        ? h(
            'p',
            { class: 'muted' },
            `${m.unexplained.length} more not explained (samples ${m.unexplained.slice(0, 12).join(', ')}${m.unexplained.length > 12 ? ', …' : ''}).`,
          )
        : null,
    ),
    picker && m.misclassified.length > 0
      ? h(
          'div',
          { class: 'layer-choice' },
          h('label', { class: 'field' }, h('span', {}, 'Layer'), picker),
          why ? h('p', { class: 'muted small layer-why' }, why) : null,
        )
      : null,
    detail,
  ];
  root.replaceChildren(...parts.filter((p): p is HTMLElement => p !== null));
  if (m.misclassified[0]) {
    gallery.firstElementChild?.setAttribute('aria-selected', 'true');
    showSample(m.misclassified[0]);
  }
  return m.misclassified.map((s) => String(s.index));
}

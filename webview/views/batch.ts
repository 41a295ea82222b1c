/**
 * Explain Batch in the Mistakes view (docs/design.md 7): the misclassified samples of a batch from a paused debug
 * session, each with the groups of the saved analysis that explain it (scores, evidence boxes drawn on the
 * sample as the model saw it, representative crops) and what masking each group does. Everything arrives in
 * the `batch` message; nothing is asked of the host except opening the paused line. Reports `rendered` view
 * `sample` (the sample's index, then its groups) each time a sample is shown.
 */
import type { BatchMessage, BatchSample, SampleGroup } from '../../src/protocol/batch';
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

function groupRow(s: BatchSample, g: SampleGroup, on: boolean, pick: () => void): HTMLElement {
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

/** Renders the batch; returns the indices of the misclassified samples shown. */
export function renderBatch(root: HTMLElement, m: BatchMessage): string[] {
  const size = sampleSize(m);
  const detail = h('section', { class: 'detail', 'aria-live': 'polite', 'aria-label': 'Selected sample' });
  const showSample = (s: BatchSample, gi = 0) => {
    const ex = s.explanation;
    const g = ex?.groups[gi];
    if (gi === 0) post({ type: 'rendered', view: 'sample', items: [String(s.index), ...(ex?.groups ?? []).map((x) => `${ex!.layer}/G${x.group}`)] });
    const boxes: DrawnBox[] = g ? [...g.evidence.map((b): DrawnBox => ({ box: b, kind: 'weak' })), { box: g.bestBox, kind: 'best' }] : [];
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
      ex
        ? h(
            'div',
            {},
            h(
              'p',
              { class: 'muted' },
              ex.role === 'predicted'
                ? `Groups of ${ex.className} (the wrong prediction) at ${ex.layer}: what made the model say ${ex.className}.`
                : `Groups of ${ex.className} (the label) at ${ex.layer}: which of them are missing.`,
            ),
            h(
              'ul',
              { class: 'scored', role: 'listbox', 'aria-label': `Groups explaining sample ${s.index}` },
              ex.groups.map((sg, i) => groupRow(s, sg, i === gi, () => showSample(s, i))),
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
    detail,
  ];
  root.replaceChildren(...parts.filter((p): p is HTMLElement => p !== null));
  if (m.misclassified[0]) {
    gallery.firstElementChild?.setAttribute('aria-selected', 'true');
    showSample(m.misclassified[0]);
  }
  return m.misclassified.map((s) => String(s.index));
}

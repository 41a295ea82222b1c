/**
 * The Mistakes view (docs/design.md 1.4): the dataset scan (accuracy, confusion matrix) and, for the analysed class, its
 * false positives, false negatives and suspected label errors as a gallery. Selecting an image asks the host to
 * explain it (`explainImage`: the groups of the chosen layer that fire on it, with their evidence crops, drawn
 * on the image); "Mask group" asks the host to re-run the model with the group's channels zeroed (`maskGroup`).
 */
import type { LabelSuspect } from '../../src/engine/data/confident';
import type { ScanResult } from '../../src/engine/data/scan';
import type { ClassProb } from '../../src/protocol/batch';
import { imageUri, type ExplanationMessage, type MaskResultMessage, type ResultViewMessage } from '../../src/protocol/webview';
import { fmtInt, h } from '../dom';
import { boxedImage, type DrawnBox } from '../image-box';
import { request } from '../requests';
import { groupId, inputSize, type GroupInfo } from '../result/groups';
import type { ResultSession } from '../result/session';
import type { MistakeList, MistakesState } from '../result/ui-state';
import { auditSection } from './audit';
import { openImage } from './group';

export type { MistakeList, MistakesState } from '../result/ui-state';

export interface MistakesOptions {
  session: ResultSession;
  message: ResultViewMessage;
  state: MistakesState;
  /** Explanations and mask results already received, by request key (kept across tab switches). */
  cache: Map<string, ExplanationMessage | MaskResultMessage>;
  onState(s: MistakesState): void;
  showGroup(g: GroupInfo): void;
  /** Reports what a part of the view shows (to the host's `rendered`). */
  rendered(view: 'mistakes' | 'explanation' | 'maskResult' | 'audit', items: string[]): void;
}

interface Tile {
  image: string;
  label: number;
  pred: number;
  confidence: number;
  note: string;
}

const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
const GALLERY_PAGE = 48;

/** The scan the view can use: the full one from the host, else the summary in the document (no galleries). */
function scanOf(m: ResultViewMessage): { scan?: ScanResult; classes: string[]; accuracy?: number; confusion?: number[][] } {
  if (m.scan) return { scan: m.scan, classes: m.scan.classes, accuracy: m.scan.accuracy, confusion: m.scan.confusion };
  const s = m.doc.scan as { classes?: string[]; accuracy?: number; confusion?: number[][] } | undefined;
  return { classes: s?.classes ?? m.doc.model.labels, accuracy: s?.accuracy, confusion: s?.confusion };
}

function tiles(scan: ScanResult, k: number, list: MistakeList): Tile[] {
  const name = (c: number) => scan.classes[c] ?? `class ${c}`;
  const im = (i: number) => scan.images[i];
  if (list === 'suspects') {
    return scan.labelIssues.suspects
      .filter((s: LabelSuspect) => s.label === k || s.proposed === k)
      .map((s) => ({
        image: im(s.image).path,
        label: s.label,
        pred: im(s.image).pred,
        confidence: im(s.image).probs[s.proposed] ?? 0,
        note: `labelled ${name(s.label)}, looks like ${name(s.proposed)}`,
      }));
  }
  const ranked = list === 'fp' ? (scan.mistakes[k]?.falsePositives ?? []) : (scan.mistakes[k]?.falseNegatives ?? []);
  return ranked.map((r) => ({
    image: im(r.image).path,
    label: im(r.image).label,
    pred: im(r.image).pred,
    confidence: r.confidence,
    note: `${name(im(r.image).label)} → ${name(im(r.image).pred)}`,
  }));
}

function confusionTable(classes: string[], confusion: number[][], k: number): HTMLElement {
  const max = Math.max(1, ...confusion.flat());
  return h(
    'table',
    { class: 'confusion', 'aria-label': 'Confusion matrix: rows are labels, columns predictions' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', { class: 'corner' }, 'label \\ predicted'),
        classes.map((c, j) => h('th', { class: j === k ? 'hl' : undefined, scope: 'col' }, c)),
      ),
    ),
    h(
      'tbody',
      {},
      confusion.map((row, i) =>
        h(
          'tr',
          {},
          h('th', { scope: 'row', class: i === k ? 'hl' : undefined }, classes[i] ?? `class ${i}`),
          row.map((v, j) => {
            const td = h(
              'td',
              { class: `${i === j ? 'diag' : 'off'}${i === k || j === k ? ' cls' : ''}`, title: `${classes[i]} predicted as ${classes[j]}: ${v}` },
              fmtInt(v),
            );
            // At most 45% of the chart colour under the text, so the number stays readable in every theme.
            td.style.setProperty('--heat', `${Math.round((v / max) * 45)}%`);
            return td;
          }),
        ),
      ),
    ),
  );
}

function topList(title: string, top: ClassProb[], k: number): HTMLElement {
  return h(
    'div',
    { class: 'top' },
    h('h4', {}, title),
    h(
      'ol',
      {},
      top.slice(0, 4).map((p) => h('li', { class: p.class === k ? 'hl' : undefined }, h('span', {}, p.name), h('span', { class: 'num' }, pct(p.prob)))),
    ),
  );
}

export class MistakesView {
  private shownTiles = GALLERY_PAGE;

  constructor(
    readonly element: HTMLElement,
    private readonly o: MistakesOptions,
  ) {}

  private get state(): MistakesState {
    return this.o.state;
  }

  private setState(s: Partial<MistakesState>): void {
    Object.assign(this.o.state, s);
    this.o.onState(this.o.state);
  }

  /**
   * Grouped layers, the default first: the one just above the lowest grouped layer (mid-level parts: on the
   * demo its top group lands on the planted marker for 78 of 85 marked images, against 4 at the layer below the
   * logits and 64 at the lowest), then the others top to bottom.
   */
  private layers(): string[] {
    const names = this.o.session.groupedLayers().map((l) => l.name);
    const preferred = names.length >= 3 ? names[names.length - 2] : names[names.length - 1];
    return preferred === undefined ? [] : [preferred, ...names.filter((n) => n !== preferred)];
  }

  render(): string[] {
    const { message, session } = this.o;
    const doc = session.doc;
    const k = doc.class.index;
    const info = scanOf(message);
    const lists: [MistakeList, string, string][] = [
      ['fp', 'False positives', `labelled otherwise, predicted ${doc.class.name}`],
      ['fn', 'False negatives', `labelled ${doc.class.name}, predicted otherwise`],
      ['suspects', 'Suspected label errors', `label ${doc.class.name} doubtful, or likely ${doc.class.name}`],
    ];
    const summary = h(
      'section',
      { class: 'scan-summary', 'aria-label': 'Dataset scan' },
      h(
        'dl',
        { class: 'facts' },
        info.accuracy !== undefined ? h('div', {}, h('dt', {}, 'Accuracy'), h('dd', {}, pct(info.accuracy))) : null,
        info.scan ? h('div', {}, h('dt', {}, 'Images'), h('dd', {}, `${fmtInt(info.scan.correct)} of ${fmtInt(info.scan.images.length)} right`)) : null,
        info.scan?.perClass[k]
          ? h(
              'div',
              {},
              h('dt', {}, `${doc.class.name} precision`),
              h('dd', {}, info.scan.perClass[k].precision === null ? '–' : pct(info.scan.perClass[k].precision!)),
            )
          : null,
        info.scan?.perClass[k]
          ? h('div', {}, h('dt', {}, `${doc.class.name} recall`), h('dd', {}, info.scan.perClass[k].recall === null ? '–' : pct(info.scan.perClass[k].recall!)))
          : null,
        info.scan && info.scan.skipped.length > 0 ? h('div', {}, h('dt', {}, 'Skipped'), h('dd', {}, String(info.scan.skipped.length))) : null,
      ),
      info.confusion
        ? h('vscode-collapsible', { heading: 'Confusion matrix', open: true, class: 'block' }, confusionTable(info.classes, info.confusion, k))
        : null,
    );
    if (!info.scan) {
      this.element.replaceChildren(
        summary,
        h('p', { class: 'muted' }, 'This result carries no per-image scan: re-run the analysis to list the misclassified images.'),
      );
      return [];
    }
    const scan = info.scan;
    const current = tiles(scan, k, this.state.list);
    const switcher = h(
      'div',
      { class: 'segmented', role: 'tablist', 'aria-label': 'Which mistakes' },
      lists.map(([id, title, hint]) =>
        h(
          'button',
          {
            role: 'tab',
            'aria-selected': String(id === this.state.list),
            title: hint,
            class: 'seg',
            onclick: () => {
              this.setState({ list: id });
              this.shownTiles = GALLERY_PAGE;
              this.render();
            },
          },
          title,
          ' ',
          h('vscode-badge', { variant: 'counter' }, tiles(scan, k, id).length),
        ),
      ),
    );
    const gallery = h(
      'ul',
      { class: 'tiles', role: 'listbox', 'aria-label': lists.find((l) => l[0] === this.state.list)![1] },
      current.slice(0, this.shownTiles).map((t) => this.tile(t)),
    );
    gallery.addEventListener('keydown', (e) => this.onKey(e, gallery));
    const first = gallery.querySelector<HTMLElement>('[role=option]');
    if (first && !gallery.querySelector('[tabindex="0"]')) first.tabIndex = 0;
    const more =
      current.length > this.shownTiles
        ? h(
            'vscode-button',
            {
              secondary: true,
              onclick: () => {
                this.shownTiles += GALLERY_PAGE;
                this.render();
              },
            },
            `Show ${Math.min(GALLERY_PAGE, current.length - this.shownTiles)} more`,
          )
        : null;
    const detail = h('section', { class: 'detail', 'aria-label': 'Selected image', 'aria-live': 'polite' });
    // Filter the gallery by file name, label or prediction (issue 18, item 9): hides tiles in place.
    const filterCount = h('span', { class: 'muted filter-count', 'aria-live': 'polite' });
    const filter = h('input', {
      type: 'search',
      class: 'gallery-filter',
      placeholder: 'Filter by file name or class',
      'aria-label': 'Filter the images by file name or class',
    });
    filter.addEventListener('input', () => {
      const q = filter.value.trim().toLowerCase();
      let shown = 0;
      const all = [...gallery.querySelectorAll<HTMLElement>('[role=option]')];
      for (const li of all) {
        const on = !q || (li.getAttribute('title') ?? '').toLowerCase().includes(q);
        li.hidden = !on;
        if (on) shown++;
      }
      filterCount.textContent = q ? `${shown} of ${all.length} shown` : '';
    });
    this.element.replaceChildren(
      summary,
      h(
        'section',
        { class: 'mistakes', 'aria-label': `Mistakes of ${doc.class.name}` },
        h('h2', {}, `Class ${doc.class.name}`),
        switcher,
        current.length > 0 ? h('div', { class: 'filter-row' }, filter, filterCount) : null,
        current.length > 0 ? gallery : h('p', { class: 'muted' }, 'None.'),
        more,
      ),
      detail,
      auditSection({ message, doc, rendered: (items) => this.o.rendered('audit', items) }),
    );
    const items = current.slice(0, this.shownTiles).map((t) => t.image);
    this.o.rendered('mistakes', items);
    if (this.state.image) void this.renderDetail(detail);
    return items;
  }

  private tile(t: Tile): HTMLElement {
    const src = imageUri(this.o.message, t.image);
    const selected = t.image === this.state.image;
    const li = h(
      'li',
      {
        role: 'option',
        tabindex: selected ? 0 : -1,
        'aria-selected': String(selected),
        'data-image': t.image,
        title: `${t.image}: ${t.note} (${pct(t.confidence)})`,
      },
      src ? h('img', { src, alt: t.image, class: 'tile-img' }) : h('span', { class: 'tile-img none' }, t.image.split('/').pop()),
      h('span', { class: 'tile-cap' }, t.note),
      h('span', { class: 'tile-conf num' }, pct(t.confidence)),
    );
    li.addEventListener('click', () => this.pick(t.image));
    return li;
  }

  private pick(image: string): void {
    this.setState({ image, group: undefined });
    for (const li of this.element.querySelectorAll<HTMLElement>('.tiles [role=option]')) {
      const on = li.dataset.image === image;
      li.setAttribute('aria-selected', String(on));
      li.tabIndex = on ? 0 : -1;
    }
    const detail = this.element.querySelector<HTMLElement>('.detail')!;
    void this.renderDetail(detail);
    // The details render below the gallery: bring them into view so the click visibly does something (item 3).
    detail.scrollIntoView({ block: 'start' });
  }

  private onKey(e: KeyboardEvent, list: HTMLElement): void {
    const opts = [...list.querySelectorAll<HTMLElement>('[role=option]')];
    const i = opts.indexOf(document.activeElement as HTMLElement);
    if (i < 0) return;
    const perRow = Math.max(1, Math.round(list.clientWidth / (opts[0].offsetWidth || 1)));
    const to = { ArrowRight: i + 1, ArrowLeft: i - 1, ArrowDown: i + perRow, ArrowUp: i - perRow, Home: 0, End: opts.length - 1 }[e.key];
    if (to !== undefined) {
      const o = opts[Math.max(0, Math.min(opts.length - 1, to))];
      for (const x of opts) x.tabIndex = x === o ? 0 : -1;
      o.focus();
    } else if (e.key === 'Enter' || e.key === ' ') {
      this.pick(opts[i].dataset.image!);
    } else return;
    e.preventDefault();
  }

  private async explain(image: string, layer: string, count: number): Promise<ExplanationMessage> {
    const key = `explain|${image}|${layer}|${count}`;
    const hit = this.o.cache.get(key);
    if (hit) return hit as ExplanationMessage;
    const m = await request<ExplanationMessage>((requestId) => ({ type: 'explainImage', requestId, image, layer, groupCount: count }));
    if (!m.error) this.o.cache.set(key, m);
    return m;
  }

  private async renderDetail(el: HTMLElement): Promise<void> {
    const { session, message } = this.o;
    const image = this.state.image!;
    const doc = session.doc;
    const k = doc.class.index;
    const scan = message.scan!;
    const entry = scan.images.find((x) => x.path === image);
    const layers = this.layers();
    const layer = this.state.layer && layers.includes(this.state.layer) ? this.state.layer : layers[0];
    const name = (c: number) => scan.classes[c] ?? `class ${c}`;
    const top: ClassProb[] = entry ? entry.probs.map((prob, c) => ({ class: c, name: name(c), prob })).sort((a, b) => b.prob - a.prob) : [];
    const select = h(
      'select',
      { 'aria-label': 'Layer whose groups explain the image', class: 'dropdown' },
      layers.map((l) => h('option', { value: l, selected: l === layer }, `${l} (${session.groupCount(l)} groups)`)),
    );
    select.addEventListener('change', () => {
      this.setState({ layer: select.value, group: undefined });
      void this.renderDetail(el);
    });
    const imageSlot = h('div', { class: 'detail-image' });
    const groupsSlot = h(
      'div',
      { class: 'detail-groups' },
      h('p', { class: 'muted' }, h('vscode-progress-ring', { class: 'inline' }), ' Explaining the image…'),
    );
    el.replaceChildren(
      h(
        'h3',
        {},
        image,
        ' ',
        h(
          'vscode-button',
          { secondary: true, icon: 'go-to-file', disabled: !message.datasetRoot, title: 'Open the image file', onclick: () => openImage(message, image) },
          'Open',
        ),
      ),
      h(
        'div',
        { class: 'detail-grid' },
        imageSlot,
        h(
          'div',
          { class: 'detail-info' },
          entry
            ? h(
                'p',
                {},
                `Labelled `,
                h('strong', {}, name(entry.label)),
                `, predicted `,
                h('strong', {}, name(entry.pred)),
                ` (${pct(entry.probs[entry.pred] ?? 0)}).`,
              )
            : null,
          top.length ? topList('Predictions', top, k) : null,
          h('label', { class: 'field' }, h('span', {}, 'Groups of layer'), select),
        ),
      ),
      groupsSlot,
    );
    const drawImage = (boxes: DrawnBox[]) => {
      const src = imageUri(message, image);
      imageSlot.replaceChildren(
        src
          ? boxedImage({
              src,
              alt: image,
              width: 224,
              boxes,
              preprocessing: doc.model.preprocessing,
              inputSize: inputSize(doc),
              pixelated: inputSize(doc)[0] <= 128,
              onOpen: message.datasetRoot ? () => openImage(message, image) : undefined,
              title: `${image} (click to open)`,
            })
          : h('div', { class: 'frame missing' }, 'image not available'),
      );
    };
    drawImage([]);
    if (message.readOnly) {
      groupsSlot.replaceChildren(h('p', { class: 'muted' }, 'Explaining images needs the model and a trusted workspace.'));
      return;
    }
    const count = session.groupCount(layer);
    const ex = await this.explain(image, layer, count);
    if (this.state.image !== image || !el.isConnected) return;
    if (ex.error) {
      groupsSlot.replaceChildren(h('p', { class: 'error-text', role: 'alert' }, ex.error));
      this.o.rendered('explanation', []);
      return;
    }
    const showGroup = (gi: number) => {
      const scored = ex.groups.find((g) => g.group === gi);
      drawImage(
        scored
          ? [
              ...scored.evidence.map((b): DrawnBox => ({ box: b, kind: 'weak', title: 'evidence crop' })),
              { box: scored.bestBox, kind: 'best', title: `strongest crop (score ${scored.score.toFixed(2)})` },
            ]
          : [],
      );
    };
    const selectedGroup = this.state.group ?? ex.groups[0]?.group;
    const rows = ex.groups.map((sg, rank) => {
      const g = session.group(layer, sg.group);
      const present = sg.score >= ex.threshold;
      const bar = h('span', { class: `bar ${present ? 'pos' : 'dim'}` });
      bar.style.width = `${Math.min(100, (sg.score / Math.max(ex.groups[0].score, ex.threshold)) * 100)}%`;
      const row = h(
        'li',
        { role: 'option', tabindex: sg.group === selectedGroup ? 0 : -1, 'aria-selected': String(sg.group === selectedGroup), 'data-group': String(sg.group) },
        g?.thumbnail ? h('img', { src: g.thumbnail, alt: '', class: 'thumb' }) : h('span', { class: 'thumb none' }),
        h('span', { class: 'g-cap' }, h('strong', {}, `#${rank + 1} `), g ? g.caption : `G${sg.group}`),
        h('span', { class: 'g-score' }, h('span', { class: 'track' }, bar), h('span', { class: 'num' }, sg.score.toFixed(2))),
        h('span', { class: 'g-ev muted' }, present ? `${sg.evidence.length} evidence crop${sg.evidence.length === 1 ? '' : 's'}` : 'absent'),
      );
      row.addEventListener('click', () => choose(sg.group));
      row.addEventListener('keydown', (e) => {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          choose(sg.group);
        }
        if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
          e.preventDefault();
          const sib = (e.key === 'ArrowDown' ? row.nextElementSibling : row.previousElementSibling) as HTMLElement | null;
          sib?.focus();
        }
      });
      return row;
    });
    const actions = h('div', { class: 'detail-actions' });
    const maskOut = h('div', { class: 'mask-out', 'aria-live': 'polite' });
    const choose = (gi: number) => {
      this.setState({ group: gi, layer });
      for (const r of rows) {
        const on = r.dataset.group === String(gi);
        r.setAttribute('aria-selected', String(on));
        r.tabIndex = on ? 0 : -1;
      }
      showGroup(gi);
      const g = session.group(layer, gi);
      maskOut.replaceChildren();
      actions.replaceChildren(
        h(
          'vscode-button',
          {
            icon: 'debug-disconnect',
            disabled: !g,
            title: `Re-run the model with the ${g?.channels.length ?? 0} channels of this group zeroed at ${layer}`,
            onclick: () => g && void this.mask(image, layer, g, maskOut),
          },
          'Mask Group',
        ),
        h('vscode-button', { secondary: true, icon: 'type-hierarchy', disabled: !g, onclick: () => g && this.o.showGroup(g) }, 'Show in Circuit'),
      );
      const cached = g && this.o.cache.get(this.maskKey(image, layer, g));
      if (cached) this.showMask(cached as MaskResultMessage, maskOut);
    };
    groupsSlot.replaceChildren(
      h(
        'p',
        { class: 'muted' },
        `Groups of ${layer} on this image, highest score first (present when ≥ ${ex.threshold}; boxes: where the selected group fires).`,
      ),
      h('ul', { class: 'scored', role: 'listbox', 'aria-label': `Groups of ${layer} on ${image}` }, rows),
      actions,
      maskOut,
    );
    if (selectedGroup !== undefined) choose(selectedGroup);
    this.o.rendered(
      'explanation',
      ex.groups.map((g) => groupId(layer, g.group)),
    );
  }

  private maskKey(image: string, layer: string, g: GroupInfo): string {
    return `mask|${image}|${layer}|${this.o.session.groupCount(layer)}|${g.index}`;
  }

  private async mask(image: string, layer: string, g: GroupInfo, out: HTMLElement): Promise<void> {
    const key = this.maskKey(image, layer, g);
    let m = this.o.cache.get(key) as MaskResultMessage | undefined;
    if (!m) {
      out.replaceChildren(h('p', { class: 'muted' }, h('vscode-progress-ring', { class: 'inline' }), ` Re-running the model without ${g.id}…`));
      m = await request<MaskResultMessage>((requestId) => ({
        type: 'maskGroup',
        requestId,
        image,
        layer,
        group: g.index,
        groupCount: this.o.session.groupCount(layer),
        channels: g.channels,
        classIndex: this.o.session.doc.class.index,
      }));
      if (!m.error) this.o.cache.set(key, m);
    }
    if (out.isConnected) {
      this.showMask(m, out);
      out.scrollIntoView({ block: 'nearest' });
    }
  }

  private showMask(m: MaskResultMessage, out: HTMLElement): void {
    if (m.error) {
      out.replaceChildren(h('p', { class: 'error-text', role: 'alert' }, m.error));
      this.o.rendered('maskResult', []);
      return;
    }
    const cls = this.o.session.doc.class.name;
    const delta = (m.after - m.before) * 100;
    out.replaceChildren(
      h(
        'p',
        { class: 'mask-delta' },
        `Without ${m.layer} · G${m.group}: P(${cls}) `,
        h('strong', {}, pct(m.before)),
        ' → ',
        h('strong', {}, pct(m.after)),
        h('span', { class: `delta ${delta < 0 ? 'neg' : 'pos'}` }, ` (${delta >= 0 ? '+' : ''}${delta.toFixed(1)} pts)`),
      ),
      h('div', { class: 'tops' }, topList('Before', m.topBefore, m.classIndex), topList('After masking', m.top, m.classIndex)),
    );
    this.o.rendered(
      'maskResult',
      m.top.map((p) => p.name),
    );
  }
}

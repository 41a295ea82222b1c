/**
 * The result panel: a header with the analysis facts and three tabs, Circuit (with the selected group below
 * it), Group and Mistakes. Holds the session (document + re-grouping), the UI state it persists, and the
 * answers received from the host.
 */
import type { Answer, ExplanationMessage, MaskResultMessage, RenderedView, ResultTab, ResultViewMessage } from '../../src/protocol/webview';
import { post, saveState } from '../api';
import { fmtInt, h } from '../dom';
import { groupId, parseGroupId, type GroupInfo } from '../result/groups';
import { buildReport, describePreprocessing } from '../result/report';
import { ResultSession } from '../result/session';
import { freshUi, type ResultUi } from '../result/ui-state';
import { CircuitView } from './circuit';
import { renderGroup } from './group';
import { changeButton, TERMS, term, type Term } from './help';
import { MistakesView } from './mistakes';

const TABS: [ResultTab, string][] = [
  ['circuit', 'Circuit'],
  ['group', 'Group'],
  ['mistakes', 'Mistakes'],
];

export class ResultPanel {
  readonly session: ResultSession;
  readonly ui: ResultUi;
  private circuit: CircuitView | undefined;
  private readonly cache = new Map<string, ExplanationMessage | MaskResultMessage>();
  private readonly tabBar: HTMLElement;
  private readonly body: HTMLElement;

  constructor(
    private readonly root: HTMLElement,
    readonly message: ResultViewMessage,
    saved?: ResultUi,
  ) {
    const same = saved && saved.key === message.doc.key ? saved : undefined;
    this.ui = same ?? freshUi(message.doc.key, message.tab);
    // A tab the host names wins over the one the panel showed last.
    if (message.tab) this.ui.tab = message.tab;
    // A group the host names (a batch sample's group opened in the circuit) wins over the one selected last.
    if (message.group) this.ui.selected = groupId(message.group.layer, message.group.group);
    this.session = new ResultSession(message, this.ui.counts);
    this.ui.counts = this.session.userCounts();
    if (this.ui.selected && !this.selectedGroup()) this.ui.selected = undefined;
    this.tabBar = h('div', { class: 'tabs', role: 'tablist', 'aria-label': 'Result views' });
    this.body = h('div', { class: 'tab-panel', role: 'tabpanel' });
  }

  /** Renders the whole panel; returns the layer names (top first). */
  render(): string[] {
    const doc = this.session.doc;
    const m = this.message;
    const model = doc.model.path.split(/[\\/]/).pop() ?? doc.model.path;
    const canChange = !m.readOnly && !m.running;
    const dataset = m.datasetRoot ?? doc.dataset.root;
    // What this run is (issue 18): every answer of Analyse Model, each with its Change action.
    const rows: [string, HTMLElement | string, string, Answer | undefined][] = [
      ['Model', doc.model.path, doc.model.path, undefined],
      ['Dataset', `${dataset} (${fmtInt(doc.dataset.imageCount)} images)`, dataset, 'dataset'],
      ['Preprocessing', describePreprocessing(doc.model.preprocessing), JSON.stringify(doc.model.preprocessing), 'preprocessing'],
      [
        'Class',
        `${doc.class.name} (${fmtInt(doc.class.images.length)} images ${doc.class.selection === 'predicted' ? 'predicted' : 'labelled'} as it)`,
        `class ${doc.class.index}`,
        'class',
      ],
      ['Layers', doc.layers.map((l) => l.name).join(' › '), doc.layers.map((l) => `${l.name} ${l.shape.join('×')}`).join('\n'), 'layers'],
      ['Tau', String(doc.params.tau), TERMS.tau, 'tau'],
      ['Steps', String(doc.params.igSteps), TERMS.steps, 'steps'],
    ];
    const facts: [string, string][] = [
      ['Provider', doc.runtime.provider],
      ['Created', doc.createdAt.slice(0, 16).replace('T', ' ')],
    ];
    this.root.replaceChildren(
      h(
        'header',
        { class: 'title' },
        h(
          'h1',
          {},
          `${doc.class.name} · ${model}`,
          h('span', { class: 'run-id muted' }, ` τ ${doc.params.tau} · ${doc.params.igSteps} steps · ${doc.layers.length} layers`),
        ),
        m.running
          ? h('vscode-badge', { title: 'The analysis is running: the finished upper layers are shown, lower layers are added as they finish' }, 'analysing')
          : !doc.complete
            ? h('vscode-badge', { title: 'The analysis was cancelled: the finished layers are shown' }, 'incomplete')
            : null,
        h(
          'div',
          { class: 'title-actions' },
          h(
            'vscode-button',
            { secondary: true, icon: 'file-media', title: 'Save the circuit as a PNG image', onclick: () => this.exportCircuit() },
            'Export Circuit',
          ),
          h(
            'vscode-button',
            {
              secondary: true,
              icon: 'globe',
              title: 'Save a self-contained HTML report (circuit, groups with crops, mistakes) that opens in any browser',
              onclick: () => this.exportReport(),
            },
            'Export Report',
          ),
          m.file
            ? h('vscode-button', { secondary: true, icon: 'json', title: m.file, onclick: () => post({ type: 'openFile', path: m.file! }) }, 'Result File')
            : null,
        ),
      ),
      h(
        'dl',
        { class: 'run', 'aria-label': 'What this analysis used' },
        rows.map(([k, v, title, answer]) =>
          h(
            'div',
            { class: 'run-row', 'data-answer': answer ?? '' },
            h('dt', {}, answer && answer in TERMS ? term(answer as Term, k) : k),
            h('dd', { title }, v),
            answer && canChange ? changeButton(answer) : null,
          ),
        ),
      ),
      h(
        'dl',
        { class: 'facts' },
        facts.map(([k, v]) => h('div', {}, h('dt', {}, k), h('dd', { title: v }, v))),
      ),
      this.tabBar,
      this.body,
    );
    this.renderTabs();
    this.show(this.ui.tab);
    return doc.layers.map((l) => l.name);
  }

  /** The circuit as a PNG (the Circuit tab is shown first when another is). */
  private circuitPng(): string | undefined {
    if (this.ui.tab !== 'circuit' || !this.circuit) this.show('circuit');
    return this.circuit?.png();
  }

  private exportCircuit(): void {
    const png = this.circuitPng();
    if (png) post({ type: 'exportCircuit', png, name: `${this.session.doc.class.name}-circuit.png` });
  }

  private exportReport(): void {
    const html = buildReport(this.session, this.message, this.circuitPng(), { terms: TERMS });
    post({ type: 'exportReport', html, name: `${this.session.doc.class.name}-neurflow-report.html` });
  }

  destroy(): void {
    this.circuit?.destroy();
    this.circuit = undefined;
  }

  /** The group selected in the UI, if it still exists at the current counts. */
  selectedGroup(): GroupInfo | undefined {
    const p = this.ui.selected ? parseGroupId(this.ui.selected) : undefined;
    return p ? this.session.group(p.layer, p.index) : undefined;
  }

  private persist(): void {
    saveState({ result: this.ui });
  }

  private rendered(view: RenderedView, items: string[]): void {
    post({ type: 'rendered', view, items, ...(this.message.running ? { running: true } : {}) });
  }

  private renderTabs(): void {
    // The batch the panel keeps (Explain Batch): a Batch tab that asks the host to show it again.
    const batch = this.message.batch
      ? h('button', { role: 'tab', id: 'tab-batch', 'aria-selected': 'false', tabindex: -1, class: 'tab', title: this.message.batch }, 'Batch')
      : null;
    if (batch) {
      batch.addEventListener('click', () => post({ type: 'showBatch' }));
      batch.addEventListener('keydown', (e) => {
        if (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight') return;
        e.preventDefault();
        const to = e.key === 'ArrowLeft' ? TABS[TABS.length - 1][0] : TABS[0][0];
        this.show(to);
        (this.tabBar.querySelector(`#tab-${to}`) as HTMLElement | null)?.focus();
      });
    }
    const buttons = TABS.map(([id, label]) => {
      const b = h(
        'button',
        {
          role: 'tab',
          id: `tab-${id}`,
          'aria-selected': String(id === this.ui.tab),
          tabindex: id === this.ui.tab ? 0 : -1,
          class: 'tab',
          'aria-controls': 'tab-panel',
          onclick: () => this.show(id),
        },
        label,
      );
      b.addEventListener('keydown', (e) => {
        const i = TABS.findIndex((t) => t[0] === id);
        if (batch && ((e.key === 'ArrowRight' && i === TABS.length - 1) || (e.key === 'ArrowLeft' && i === 0))) {
          e.preventDefault();
          batch.focus();
          return;
        }
        const j = e.key === 'ArrowRight' ? (i + 1) % TABS.length : e.key === 'ArrowLeft' ? (i + TABS.length - 1) % TABS.length : -1;
        if (j < 0) return;
        e.preventDefault();
        this.show(TABS[j][0]);
        (this.tabBar.querySelector(`#tab-${TABS[j][0]}`) as HTMLElement | null)?.focus();
      });
      return b;
    });
    this.tabBar.replaceChildren(...buttons, ...(batch ? [batch] : []));
  }

  /** Switches to a tab and renders it. */
  show(tab: ResultTab): void {
    this.ui.tab = tab;
    this.persist();
    for (const b of this.tabBar.querySelectorAll<HTMLElement>('[role=tab]:not(#tab-batch)')) {
      const on = b.id === `tab-${tab}`;
      b.setAttribute('aria-selected', String(on));
      b.tabIndex = on ? 0 : -1;
    }
    this.body.id = 'tab-panel';
    this.body.setAttribute('aria-labelledby', `tab-${tab}`);
    this.circuit?.destroy();
    this.circuit = undefined;
    if (tab === 'circuit') this.showCircuit();
    else if (tab === 'group') this.showGroupTab();
    else this.showMistakes();
  }

  private showCircuit(): void {
    const canvasHost = h('div', { class: 'circuit-host' });
    const pane = h('section', { class: 'group-pane', 'aria-label': 'Selected group', 'aria-live': 'polite' });
    this.body.replaceChildren(canvasHost, pane);
    this.circuit = new CircuitView(canvasHost, this.session, {
      select: (g) => this.selectGroup(g, pane),
      open: (g) => {
        this.selectGroup(g);
        this.show('group');
        // Keep the keyboard where the user is (issue 18, item 7): on the Group tab's group picker.
        this.body.querySelector<HTMLElement>('select')?.focus();
      },
      setCount: (layer, count) => this.setCount(layer, count),
      jumpToCode: (layer) => post({ type: 'jumpToCode', layer, tensor: this.session.layer(layer)?.tensor ?? layer }),
      details: () => this.revealPane(pane),
    });
    const items = this.circuit.render(this.ui.selected);
    this.rendered('circuit', items);
    this.renderGroupPane(pane);
  }

  private selectGroup(g: GroupInfo, pane?: HTMLElement): void {
    this.ui.selected = g.id;
    this.persist();
    post({ type: 'selectGroup', layer: g.layer, group: g.index, groupCount: this.session.groupCount(g.layer) });
    this.circuit?.select(g.id);
    if (pane) this.renderGroupPane(pane);
  }

  /** Scrolls the selected group's details into view (the "Details" action of the circuit). */
  private revealPane(pane: HTMLElement): void {
    pane.scrollIntoView({ block: 'start' });
    pane.querySelector<HTMLElement>('.group-head h2')?.focus({ preventScroll: true });
  }

  private renderGroupPane(pane: HTMLElement): void {
    const g = this.selectedGroup();
    if (!g) {
      pane.replaceChildren(h('p', { class: 'muted hint' }, 'Select a group (click it, or Tab to the list and press Enter) to see its neurons and crops.'));
      return;
    }
    const items = renderGroup(pane, { session: this.session, message: this.message, group: g, select: (x) => this.selectGroup(x, pane) });
    this.rendered('group', items);
  }

  private showGroupTab(): void {
    const g = this.selectedGroup() ?? this.session.allGroups()[0];
    if (!g) {
      this.body.replaceChildren(h('p', { class: 'muted' }, 'This result has no groups (the analysis stopped before the first layer was grouped).'));
      this.rendered('group', []);
      return;
    }
    this.ui.selected = g.id;
    this.persist();
    const pane = h('section', { class: 'group-pane full' });
    const layers = this.session.groupedLayers();
    const select = h(
      'select',
      { class: 'dropdown', 'aria-label': 'Group' },
      layers.map((l) =>
        h(
          'optgroup',
          { label: l.name },
          this.session.groups(l.name).map((x) => h('option', { value: x.id, selected: x.id === g.id }, `${l.name} · ${x.caption}`)),
        ),
      ),
    );
    select.addEventListener('change', () => {
      const p = parseGroupId(select.value);
      const x = p && this.session.group(p.layer, p.index);
      if (x) {
        this.ui.selected = x.id;
        this.persist();
        this.showGroupTab();
        this.body.querySelector<HTMLElement>('select')?.focus();
      }
    });
    this.body.replaceChildren(h('label', { class: 'field' }, h('span', {}, 'Group'), select), pane);
    const items = renderGroup(pane, {
      session: this.session,
      message: this.message,
      group: g,
      select: (x) => {
        this.selectGroup(x);
        this.showGroupTab();
        this.body.querySelector<HTMLElement>('.group-head h2')?.focus();
      },
    });
    this.rendered('group', items);
  }

  private showMistakes(): void {
    const view = new MistakesView(this.body, {
      session: this.session,
      message: this.message,
      state: this.ui.mistakes,
      cache: this.cache,
      onState: () => this.persist(),
      showGroup: (g) => {
        this.ui.selected = g.id;
        this.show('circuit');
      },
      rendered: (v, items) => this.rendered(v, items),
    });
    view.render();
  }

  private setCount(layer: string, count: number | null): void {
    if (!this.session.setCount(layer, count)) return;
    this.ui.counts = this.session.userCounts();
    // Group indices of a re-grouped layer name other groups now.
    if (this.ui.selected && (!this.selectedGroup() || this.selectedGroup()!.layer === layer)) this.ui.selected = undefined;
    this.persist();
    post({ type: 'setGroupCount', layer, count: this.session.isUserCount(layer) ? this.session.groupCount(layer) : null });
    const hadFocus = document.activeElement;
    this.show('circuit');
    // The list was redrawn: the slider the user moves keeps the focus (issue 18, item 7).
    if (hadFocus === document.body || !hadFocus?.isConnected) this.circuit?.focusSlider(layer);
  }
}

/**
 * The Circuit view (docs/design.md 1.4): cytoscape with preset positions from the layered layout (layers as rows, the
 * class at the top), groups as nodes with their representative crop and caption, edges between groups of
 * adjacent layers with width by |weight| and colour by sign. Selecting a group (click, or Enter in the group
 * list) highlights every path through it, up to the class and down to the lowest layer. Beside the canvas, an
 * accessible list of the groups per layer (Tab / arrow keys) mirrors the selection and holds each layer's
 * group-count slider and "Jump to code".
 */
import { uninformativeCircuit } from '../../src/engine/analysis/circuit';
import cytoscape from 'cytoscape';
import { h } from '../dom';
import { parseGroupId, type GroupInfo } from '../result/groups';
import { layeredLayout, type LayoutEdge } from '../result/layout';
import type { ResultSession } from '../result/session';
import { onThemeChange, themeColor } from '../theme';

export interface CircuitCallbacks {
  /** A group was selected (click, Enter, arrow keys in the list). */
  select(g: GroupInfo): void;
  /** Double click / Enter on a selected group: show it in the Group tab. */
  open(g: GroupInfo): void;
  /** The user moved a layer's slider (null: back to the analysis's count). */
  setCount(layer: string, count: number | null): void;
  jumpToCode(layer: string): void;
}

/** Beyond this many edges, edges weaker than WEAK of their layer pair's strongest are hidden (listed count). */
const MANY_EDGES = 400;
const WEAK = 0.05;
const NODE = 56;

function colours() {
  return {
    fg: themeColor(['--vscode-foreground'], '#cccccc'),
    muted: themeColor(['--vscode-descriptionForeground'], '#9d9d9d'),
    bg: themeColor(['--vscode-editor-background'], '#1f1f1f'),
    border: themeColor(['--vscode-panel-border', '--vscode-widget-border'], '#444444'),
    focus: themeColor(['--vscode-focusBorder'], '#0078d4'),
    positive: themeColor(['--vscode-charts-blue', '--vscode-textLink-foreground'], '#3794ff'),
    negative: themeColor(['--vscode-charts-red', '--vscode-errorForeground'], '#f14c4c'),
    select: themeColor(['--vscode-charts-orange', '--vscode-focusBorder'], '#d18616'),
    node: themeColor(['--vscode-editorWidget-background', '--vscode-sideBar-background'], '#252526'),
  };
}

function style(c: ReturnType<typeof colours>): cytoscape.StylesheetJson {
  return [
    {
      selector: 'node.group',
      style: {
        shape: 'round-rectangle',
        width: NODE,
        height: NODE,
        'background-color': c.node,
        'background-image': 'data(thumb)',
        'background-fit': 'cover',
        'background-clip': 'node',
        'border-width': 1,
        'border-color': c.border,
        label: 'data(caption)',
        'text-valign': 'bottom',
        'text-halign': 'center',
        'text-margin-y': 5,
        'font-size': 11,
        color: c.fg,
        'text-wrap': 'ellipsis',
        'text-max-width': '104px',
        'font-family': 'system-ui, sans-serif',
      },
    },
    { selector: 'node.group[!thumb]', style: { 'background-image': 'none' } },
    {
      selector: 'node.layer',
      style: {
        shape: 'rectangle',
        width: 1,
        height: 1,
        'background-opacity': 0,
        'border-width': 0,
        label: 'data(caption)',
        'text-valign': 'center',
        'text-halign': 'left',
        'font-size': 12,
        'font-weight': 'bold',
        color: c.muted,
        'text-wrap': 'wrap',
        'font-family': 'system-ui, sans-serif',
        events: 'no',
      },
    },
    {
      selector: 'edge',
      style: {
        'curve-style': 'straight',
        width: 'mapData(strength, 0, 1, 0.6, 7)',
        'line-color': 'data(colour)',
        opacity: 'mapData(strength, 0, 1, 0.25, 0.85)' as unknown as number,
        'target-arrow-shape': 'none',
      },
    },
    { selector: '.faded', style: { opacity: 0.12 } },
    { selector: 'edge.path', style: { opacity: 0.95, 'z-index': 10 } },
    { selector: 'node.group.path', style: { 'border-width': 2, 'border-color': c.select } },
    { selector: 'node.group:selected', style: { 'border-width': 4, 'border-color': c.focus, 'overlay-opacity': 0 } },
  ];
}

/**
 * Cytoscape adds an inline <style> (container `position: relative`) unless an element with its id exists; the
 * panel's CSP forbids inline styles, so a placeholder takes the id and style.css carries the rule.
 */
function preventInlineStylesheet(): void {
  const id = '__________cytoscape_stylesheet';
  if (!document.getElementById(id)) document.head.append(h('template', { id }));
}

export class CircuitView {
  private cy: cytoscape.Core | undefined;
  private readonly canvas: HTMLElement;
  private readonly list: HTMLElement;
  private readonly note: HTMLElement;
  private selected: string | undefined;
  private stopTheme: (() => void) | undefined;
  /** Groups shown and edges drawn / hidden at the last render (for the `rendered` report and tests). */
  shown: { groups: string[]; edges: number; hiddenEdges: number; ms: number } = { groups: [], edges: 0, hiddenEdges: 0, ms: 0 };

  constructor(
    readonly element: HTMLElement,
    private readonly session: ResultSession,
    private readonly cb: CircuitCallbacks,
  ) {
    this.canvas = h('div', { class: 'circuit-canvas', role: 'img', 'aria-label': 'Circuit of neuron groups: the class at the top, lower layers below' });
    this.note = h('p', { class: 'muted circuit-note' });
    this.list = h('nav', { class: 'group-list', 'aria-label': 'Groups by layer' });
    element.replaceChildren(h('div', { class: 'circuit-wrap' }, h('div', { class: 'circuit-main' }, this.canvas, this.note), this.list));
  }

  /** Draws (or redraws after a re-grouping) the whole circuit. */
  render(selected?: string): string[] {
    const t0 = performance.now();
    this.selected = selected;
    const layers = this.session.groupedLayers();
    const rows = layers.map((l) => this.session.groups(l.name));
    const links = this.session.links();
    const keep = this.visibleLinks(links);
    const layout = layeredLayout(
      rows.map((r) => r.map((g) => g.id)),
      keep.map((l): LayoutEdge => ({ source: l.from.id, target: l.to.id, weight: l.weight })),
      { dx: NODE + 60, dy: NODE + 90 },
    );
    const c = colours();
    const maxAbs = new Map<string, number>();
    for (const l of keep) maxAbs.set(l.from.layer, Math.max(maxAbs.get(l.from.layer) ?? 0, Math.abs(l.weight)));
    const left = layout.minX - NODE;
    const elements: cytoscape.ElementDefinition[] = [];
    layers.forEach((l, ri) => {
      const auto = this.session.isUserCount(l.name) ? '' : ' (auto)';
      elements.push({
        group: 'nodes',
        data: { id: `layer:${l.name}`, caption: `${l.name}\n${rows[ri].length} groups${auto}` },
        classes: 'layer',
        position: { x: left, y: layout.rowY[ri] },
        selectable: false,
        grabbable: false,
      });
    });
    for (const row of rows)
      for (const g of row) {
        elements.push({
          group: 'nodes',
          data: { id: g.id, caption: g.caption, ...(g.thumbnail ? { thumb: g.thumbnail } : {}) },
          classes: 'group',
          position: layout.positions.get(g.id)!,
          grabbable: false,
        });
      }
    keep.forEach((l, i) => {
      elements.push({
        group: 'edges',
        data: {
          id: `e${i}`,
          source: l.to.id,
          target: l.from.id,
          weight: l.weight,
          strength: Math.abs(l.weight) / (maxAbs.get(l.from.layer) || 1),
          colour: l.weight >= 0 ? c.positive : c.negative,
        },
      });
    });
    this.cy?.destroy();
    preventInlineStylesheet();
    this.cy = cytoscape({
      container: this.canvas,
      elements,
      style: style(c),
      layout: { name: 'preset', fit: true, padding: 24 },
      minZoom: 0.05,
      maxZoom: 3,
      boxSelectionEnabled: false,
      autoungrabify: true,
      textureOnViewport: elements.length > 600,
      hideEdgesOnViewport: keep.length > 1500,
    });
    this.scaleLayerLabels();
    // The layer captions grew with the zoom-out: fit again so they stay inside the canvas in narrow panels.
    this.cy.fit(undefined, 24);
    this.cy.on('tap', 'node.group', (e) => this.choose(e.target.id(), false));
    this.cy.on('dbltap', 'node.group', (e) => this.choose(e.target.id(), true));
    this.cy.on('tap', (e) => {
      if (e.target === this.cy) this.clearHighlight();
    });
    this.stopTheme?.();
    this.stopTheme = onThemeChange(() => this.restyle());
    this.renderList(rows);
    const hidden = links.length - keep.length;
    this.note.textContent =
      `${rows.flat().length} groups in ${layers.length} layers, ${keep.length} edges` +
      (hidden > 0 ? ` (${hidden} weaker than ${WEAK * 100}% of their layer's strongest hidden)` : '') +
      this.session.doc.layers
        .filter((l) => !l.grouping)
        .map((l) => `; ${l.name}: ${l.neurons.length} core neurons, not grouped (lowest layer)`)
        .join('') +
      '. Blue: excites, red: inhibits; width: |weight|. Click a group to follow its paths.' +
      this.session.doc.circuit
        .map((c) => uninformativeCircuit(c, this.session.doc.layers.find((l) => l.name === c.lower) ?? {}))
        .filter((why): why is string => why !== undefined)
        .map((why) => ` Note: ${why}`)
        .join('');
    if (selected && this.cy.getElementById(selected).nonempty()) this.highlight(selected);
    this.shown = { groups: rows.flat().map((g) => g.id), edges: keep.length, hiddenEdges: hidden, ms: performance.now() - t0 };
    // Main-thread time of this render (layout + cytoscape set-up + list), for the tests' responsiveness figures.
    this.canvas.dataset.renderMs = this.shown.ms.toFixed(0);
    return this.shown.groups;
  }

  /** Selects a group without telling the callbacks (restoring state, selection made elsewhere). */
  select(id: string): void {
    if (id === this.selected || !this.cy?.getElementById(id).nonempty()) return;
    this.highlight(id);
  }

  destroy(): void {
    this.stopTheme?.();
    this.cy?.destroy();
    this.cy = undefined;
  }

  private visibleLinks<T extends { from: GroupInfo; weight: number }>(links: T[]): T[] {
    if (links.length <= MANY_EDGES) return links;
    const maxAbs = new Map<string, number>();
    for (const l of links) maxAbs.set(l.from.layer, Math.max(maxAbs.get(l.from.layer) ?? 0, Math.abs(l.weight)));
    return links.filter((l) => Math.abs(l.weight) >= WEAK * (maxAbs.get(l.from.layer) ?? 0));
  }

  private choose(id: string, open: boolean): void {
    const g = this.groupOf(id);
    if (!g) return;
    this.highlight(id);
    this.cb.select(g);
    if (open) this.cb.open(g);
  }

  private groupOf(id: string): GroupInfo | undefined {
    const p = parseGroupId(id);
    return p ? this.session.group(p.layer, p.index) : undefined;
  }

  private highlight(id: string): void {
    const cy = this.cy;
    if (!cy) return;
    this.selected = id;
    const node = cy.getElementById(id);
    const linked = node.predecessors().union(node.successors());
    cy.batch(() => {
      cy.elements().removeClass('path').addClass('faded');
      cy.nodes('.layer').removeClass('faded');
      linked.union(node).removeClass('faded').addClass('path');
      cy.nodes().unselect();
      node.select();
    });
    const ext = cy.extent();
    const p = node.position();
    if (p.x < ext.x1 || p.x > ext.x2 || p.y < ext.y1 || p.y > ext.y2) cy.center(node);
    const onPath = new Set(linked.nodes().map((n) => n.id()));
    for (const opt of this.list.querySelectorAll<HTMLElement>('[role=option]')) {
      const on = opt.dataset.id === id;
      opt.setAttribute('aria-selected', String(on));
      opt.classList.toggle('on-path', !on && onPath.has(opt.dataset.id!));
    }
    this.rove(id);
  }

  private clearHighlight(): void {
    this.cy?.elements().removeClass('faded path');
    this.cy?.nodes().unselect();
  }

  /** Layer names stay readable when a large circuit is fitted at a small zoom. */
  private scaleLayerLabels(): void {
    const z = this.cy?.zoom() ?? 1;
    this.cy?.nodes('.layer').style('font-size', Math.min(40, 12 / Math.min(1, z)));
  }

  private restyle(): void {
    const cy = this.cy;
    if (!cy) return;
    const c = colours();
    cy.style(style(c));
    this.scaleLayerLabels();
    cy.edges().forEach((e) => {
      e.data('colour', e.data('weight') >= 0 ? c.positive : c.negative);
    });
  }

  private renderList(rows: GroupInfo[][]): void {
    const sections = this.session.groupedLayers().map((layer, ri) => {
      const max = this.session.maxGroups(layer.name);
      const count = this.session.groupCount(layer.name);
      const value = h('output', { class: 'count' }, String(count));
      const slider = h('input', {
        type: 'range',
        min: 1,
        max,
        value: count,
        step: 1,
        class: 'count-slider',
        'aria-label': `Number of groups in ${layer.name}`,
        title: `Groups in ${layer.name}: 1 to ${max} (re-clustered instantly, no model run)`,
      });
      slider.addEventListener('input', () => {
        value.textContent = slider.value;
      });
      slider.addEventListener('change', () => this.cb.setCount(layer.name, Number(slider.value)));
      const user = this.session.isUserCount(layer.name);
      const options = rows[ri].map((g) => {
        const opt = h(
          'li',
          {
            role: 'option',
            tabindex: -1,
            'data-id': g.id,
            'aria-selected': String(g.id === this.selected),
            title: `${g.id}: channels ${g.channels.join(', ')}`,
          },
          g.thumbnail ? h('img', { src: g.thumbnail, alt: '', class: 'thumb' }) : h('span', { class: 'thumb none' }),
          h('span', { class: 'caption' }, g.caption),
        );
        opt.addEventListener('click', () => this.choose(g.id, false));
        opt.addEventListener('dblclick', () => this.choose(g.id, true));
        return opt;
      });
      const listbox = h('ul', { role: 'listbox', 'aria-label': `Groups of ${layer.name}`, class: 'options' }, options);
      listbox.addEventListener('keydown', (e) => this.onKey(e, listbox));
      return h(
        'section',
        { class: 'layer-groups', 'aria-label': `Layer ${layer.name}` },
        h(
          'header',
          {},
          h('strong', { class: 'layer-name' }, layer.name),
          h(
            'vscode-button',
            {
              secondary: true,
              icon: 'go-to-file',
              title: `Jump to the code that defines ${layer.name}`,
              'aria-label': `Jump to code of ${layer.name}`,
              onclick: () => this.cb.jumpToCode(layer.name),
            },
            'Code',
          ),
        ),
        h(
          'label',
          { class: 'count-row' },
          h('span', {}, 'Groups'),
          slider,
          value,
          user
            ? h(
                'vscode-button',
                { secondary: true, title: 'Back to the count the silhouette chose', onclick: () => this.cb.setCount(layer.name, null) },
                'Auto',
              )
            : h('span', { class: 'muted' }, 'auto'),
        ),
        listbox,
      );
    });
    this.list.replaceChildren(...sections);
    this.rove(this.selected);
  }

  /** Roving tab stop: one option per list is tabbable (the selected one, else the first). */
  private rove(id: string | undefined): void {
    for (const lb of this.list.querySelectorAll<HTMLElement>('[role=listbox]')) {
      const opts = [...lb.querySelectorAll<HTMLElement>('[role=option]')];
      const current = opts.find((o) => o.dataset.id === id) ?? opts[0];
      for (const o of opts) o.tabIndex = o === current ? 0 : -1;
    }
  }

  private onKey(e: KeyboardEvent, listbox: HTMLElement): void {
    const opts = [...listbox.querySelectorAll<HTMLElement>('[role=option]')];
    const i = opts.indexOf(document.activeElement as HTMLElement);
    if (i < 0) return;
    const move = (j: number) => {
      const o = opts[Math.max(0, Math.min(opts.length - 1, j))];
      for (const x of opts) x.tabIndex = x === o ? 0 : -1;
      o.focus();
      this.choose(o.dataset.id!, false);
    };
    switch (e.key) {
      case 'ArrowDown':
      case 'ArrowRight':
        move(i + 1);
        break;
      case 'ArrowUp':
      case 'ArrowLeft':
        move(i - 1);
        break;
      case 'Home':
        move(0);
        break;
      case 'End':
        move(opts.length - 1);
        break;
      case 'Enter':
      case ' ':
        this.choose(opts[i].dataset.id!, true);
        break;
      default:
        return;
    }
    e.preventDefault();
  }
}

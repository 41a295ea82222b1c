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
import { glossary, TERMS, term } from './help';

export interface CircuitCallbacks {
  /** A group was selected (click, Enter, arrow keys in the list). */
  select(g: GroupInfo): void;
  /** Double click / Enter on a selected group: show it in the Group tab. */
  open(g: GroupInfo): void;
  /** The user moved a layer's slider (null: back to the analysis's count). */
  setCount(layer: string, count: number | null): void;
  jumpToCode(layer: string): void;
  /** Show the selected group's details (below the circuit). */
  details(): void;
}

/** Beyond this many edges, edges weaker than WEAK of their layer pair's strongest are hidden (listed count). */
const MANY_EDGES = 400;
const WEAK = 0.05;
const NODE = 56;
/** Horizontal and vertical distance between node centres, in model units (captions fit under a node). */
const DX = NODE + 88;
const DY = NODE + 96;
/** The fitted zoom stays within these (captions render at >= 12 px; the canvas grows in height instead). */
const ZMIN = 0.55;
const ZMAX = 1.6;
const PAD = 28;
/** Rendered caption size in px, whatever the zoom. */
const CAPTION_PX = 12.5;
const CLASS_ID = 'class';

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
    classBg: themeColor(['--vscode-button-background', '--vscode-focusBorder'], '#0078d4'),
    classFg: themeColor(['--vscode-button-foreground'], '#ffffff'),
  };
}

function style(c: ReturnType<typeof colours>, zoom = 1): cytoscape.StylesheetJson {
  // Captions keep their on-screen size when the circuit is fitted below zoom 1.
  const font = CAPTION_PX / Math.min(1, zoom);
  return [
    {
      selector: 'node.group, node.core',
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
        'font-size': font,
        color: c.fg,
        'text-wrap': 'ellipsis',
        'text-max-width': `${DX - 10}px`,
        'font-family': 'system-ui, sans-serif',
      },
    },
    { selector: 'node.group[!thumb], node.core[!thumb]', style: { 'background-image': 'none' } },
    {
      selector: 'node.core',
      style: { width: NODE * 0.8, height: NODE * 0.8, 'border-style': 'dashed', 'border-width': 2, 'border-color': c.muted, color: c.muted },
    },
    {
      selector: `node#${CLASS_ID}`,
      style: {
        shape: 'round-rectangle',
        width: 'label',
        height: NODE * 0.7,
        padding: '14px',
        'background-color': c.classBg,
        'border-width': 0,
        label: 'data(caption)',
        color: c.classFg,
        'font-size': font * 1.2,
        'font-weight': 'bold',
        'text-valign': 'center',
        'text-halign': 'center',
        'font-family': 'system-ui, sans-serif',
      },
    },
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
        'font-size': font,
        'font-weight': 'bold',
        color: c.muted,
        'text-wrap': 'wrap',
        'text-max-width': `${DX}px`,
        'font-family': 'system-ui, sans-serif',
        events: 'no',
      },
    },
    {
      selector: 'edge',
      style: {
        'curve-style': 'straight',
        width: 'mapData(strength, 0, 1, 0.8, 8)',
        'line-color': 'data(colour)',
        opacity: 'mapData(strength, 0, 1, 0.3, 0.9)' as unknown as number,
        'target-arrow-shape': 'none',
      },
    },
    { selector: 'edge.to-class', style: { 'line-style': 'dashed', width: 1.5, opacity: 0.6 } },
    { selector: 'edge.to-core', style: { 'line-style': 'dotted' } },
    // Off the selected group's paths, but still readable (0.12 vanished on light themes).
    { selector: '.faded', style: { opacity: 0.3 } },
    { selector: 'edge.path', style: { opacity: 0.95, 'z-index': 10 } },
    { selector: 'node.group.path, node.core.path', style: { 'border-width': 3, 'border-color': c.select } },
    { selector: 'node.group:selected', style: { 'border-width': 5, 'border-color': c.focus, 'overlay-opacity': 0 } },
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

/** A core neuron of an ungrouped (lowest) layer, drawn below the groups (issue 18, item 2). */
interface CoreNode {
  id: string;
  layer: string;
  channel: number;
  thumb?: string;
}

export class CircuitView {
  private cy: cytoscape.Core | undefined;
  private readonly canvas: HTMLElement;
  private readonly tip: HTMLElement;
  private readonly list: HTMLElement;
  private readonly note: HTMLElement;
  private readonly detailsButton: HTMLElement;
  private selected: string | undefined;
  private stopTheme: (() => void) | undefined;
  private resize: ResizeObserver | undefined;
  private lastWidth = 0;
  /** The user zoomed or panned: a resize keeps the view instead of fitting again. */
  private userView = false;
  /** Groups shown and edges drawn / hidden at the last render (for the `rendered` report and tests). */
  shown: { groups: string[]; edges: number; hiddenEdges: number; ms: number; core: string[]; zoom: number } = {
    groups: [],
    edges: 0,
    hiddenEdges: 0,
    ms: 0,
    core: [],
    zoom: 1,
  };

  constructor(
    readonly element: HTMLElement,
    private readonly session: ResultSession,
    private readonly cb: CircuitCallbacks,
  ) {
    this.canvas = h('div', {
      class: 'circuit-canvas',
      role: 'img',
      'aria-label': `Circuit of neuron groups: the class ${session.doc.class.name} at the top, lower layers below. The list beside it holds the same groups.`,
    });
    this.tip = h('div', { class: 'cy-tip', role: 'tooltip', id: 'circuit-tip', hidden: true });
    this.note = h('p', { class: 'muted circuit-note' });
    this.list = h('nav', { class: 'group-list', 'aria-label': 'Groups by layer' });
    this.detailsButton = h(
      'vscode-button',
      { class: 'details-button', icon: 'arrow-down', hidden: true, title: "Scroll to the selected group's details", onclick: () => this.cb.details() },
      'Details',
    );
    const tool = (icon: string, label: string, run: () => void) =>
      h('vscode-button', { secondary: true, icon, title: label, 'aria-label': label, class: 'zoom-button', 'data-action': icon, onclick: run });
    const toolbar = h(
      'div',
      { class: 'circuit-toolbar', role: 'toolbar', 'aria-label': 'Circuit view' },
      tool('zoom-out', 'Zoom out (Ctrl+wheel)', () => this.zoomBy(1 / 1.25)),
      tool('zoom-in', 'Zoom in (Ctrl+wheel)', () => this.zoomBy(1.25)),
      tool('screen-full', 'Fit the circuit to the pane', () => this.fit()),
      h('span', { class: 'muted toolbar-hint' }, 'Wheel scrolls the page; Ctrl+wheel zooms; drag to pan; hover a node for what it is.'),
      this.detailsButton,
    );
    this.canvas.addEventListener('wheel', (e) => this.onWheel(e), { passive: false });
    element.replaceChildren(
      h(
        'div',
        { class: 'circuit-wrap' },
        h('div', { class: 'circuit-main' }, toolbar, h('div', { class: 'circuit-stage' }, this.canvas, this.tip), this.note, glossary()),
        this.list,
      ),
    );
    this.resize = new ResizeObserver(() => {
      const w = this.canvas.clientWidth;
      if (this.cy && Math.abs(w - this.lastWidth) > 40) this.render(this.selected, true);
      else if (this.cy && !this.userView) this.fit();
    });
    this.resize.observe(this.canvas);
  }

  /** Draws (or redraws after a re-grouping or a resize) the whole circuit. */
  render(selected?: string, keepList = false): string[] {
    const t0 = performance.now();
    this.selected = selected;
    const doc = this.session.doc;
    const layers = this.session.groupedLayers();
    const rows = layers.map((l) => this.session.groups(l.name));
    const links = this.session.links();
    const keep = this.visibleLinks(links);
    const core = this.coreNodes();
    const width = this.canvas.clientWidth || this.element.clientWidth || 800;
    this.lastWidth = width;
    // As many nodes per line as fit the pane at zoom 1 (a wide layer wraps onto several lines).
    const perLine = Math.max(3, Math.min(16, Math.floor((width - 2 * PAD - DX) / DX)));
    const topRow = rows[0] ?? [];
    const layoutEdges: LayoutEdge[] = [
      ...keep.map((l): LayoutEdge => ({ source: l.from.id, target: l.to.id, weight: l.weight })),
      ...topRow.map((g): LayoutEdge => ({ source: CLASS_ID, target: g.id, weight: 1 })),
      ...core.edges.map((e): LayoutEdge => ({ source: e.group, target: e.core, weight: e.weight })),
    ];
    const layout = layeredLayout([[CLASS_ID], ...rows.map((r) => r.map((g) => g.id)), ...core.rows.map((r) => r.nodes.map((n) => n.id))], layoutEdges, {
      dx: DX,
      dy: DY,
      maxPerLine: perLine,
      lineDy: DY * 0.85,
    });
    const c = colours();
    const maxAbs = new Map<string, number>();
    for (const l of keep) maxAbs.set(l.from.layer, Math.max(maxAbs.get(l.from.layer) ?? 0, Math.abs(l.weight)));
    const left = layout.minX - NODE;
    const elements: cytoscape.ElementDefinition[] = [];
    elements.push({
      group: 'nodes',
      data: { id: CLASS_ID, caption: `class ${doc.class.name}` },
      classes: 'class',
      position: layout.positions.get(CLASS_ID)!,
      grabbable: false,
      selectable: false,
    });
    layers.forEach((l, ri) => {
      const auto = this.session.isUserCount(l.name) ? '' : ' (auto)';
      elements.push({
        group: 'nodes',
        data: { id: `layer:${l.name}`, caption: `${l.name}\n${rows[ri].length} groups${auto}` },
        classes: 'layer',
        position: { x: left, y: layout.rowY[ri + 1] },
        selectable: false,
        grabbable: false,
      });
    });
    core.rows.forEach((r, i) => {
      elements.push({
        group: 'nodes',
        data: { id: `layer:${r.layer}`, caption: `${r.layer}\n${r.nodes.length} core neurons\n(not grouped)` },
        classes: 'layer',
        position: { x: left, y: layout.rowY[1 + rows.length + i] },
        selectable: false,
        grabbable: false,
      });
      for (const n of r.nodes)
        elements.push({
          group: 'nodes',
          data: { id: n.id, layer: n.layer, channel: n.channel, caption: `ch ${n.channel}`, ...(n.thumb ? { thumb: n.thumb } : {}) },
          classes: 'core',
          position: layout.positions.get(n.id)!,
          grabbable: false,
          selectable: false,
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
    for (const g of topRow)
      elements.push({ group: 'edges', data: { id: `c:${g.id}`, source: g.id, target: CLASS_ID, colour: c.muted, strength: 0.5 }, classes: 'to-class' });
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
    const coreMax = Math.max(1e-12, ...core.edges.map((e) => Math.abs(e.weight)));
    core.edges.forEach((e, i) => {
      elements.push({
        group: 'edges',
        data: {
          id: `k${i}`,
          source: e.core,
          target: e.group,
          weight: e.weight,
          strength: Math.abs(e.weight) / coreMax,
          colour: e.weight >= 0 ? c.positive : c.negative,
        },
        classes: 'to-core',
      });
    });
    this.cy?.destroy();
    preventInlineStylesheet();
    this.cy = cytoscape({
      container: this.canvas,
      elements,
      style: style(c),
      layout: { name: 'preset', fit: false },
      minZoom: 0.05,
      maxZoom: 4,
      // The wheel scrolls the page (issue 18): zoom with Ctrl+wheel (onWheel) or the toolbar.
      userZoomingEnabled: false,
      boxSelectionEnabled: false,
      autoungrabify: true,
      textureOnViewport: elements.length > 600,
      hideEdgesOnViewport: keep.length > 1500,
    });
    this.userView = false;
    this.fit();
    this.cy.on('tap', 'node.group', (e) => this.choose(e.target.id(), false));
    this.cy.on('dbltap', 'node.group', (e) => this.choose(e.target.id(), true));
    this.cy.on('tap', (e) => {
      if (e.target === this.cy) this.clearHighlight();
    });
    this.cy.on('mouseover', 'node, edge', (e) => this.showTip(e.target, e.renderedPosition));
    this.cy.on('mouseout', 'node, edge', () => this.hideTip());
    this.cy.on('dragpan', () => {
      this.userView = true;
      this.hideTip();
    });
    this.stopTheme?.();
    this.stopTheme = onThemeChange(() => this.restyle());
    if (!keepList) this.renderList(rows, core.rows);
    const hidden = links.length - keep.length;
    this.note.textContent =
      `${rows.flat().length} groups in ${layers.length} layers, ${keep.length} edges` +
      (hidden > 0 ? ` (${hidden} weaker than ${WEAK * 100}% of their layer's strongest hidden)` : '') +
      doc.layers
        .filter((l) => !l.grouping)
        .map(
          (l) =>
            `; ${l.name}: ${l.neurons.length} core neurons, drawn as dashed squares (the lowest layer is not split into sub-concepts, so it has no groups)`,
        )
        .join('') +
      '. Blue: excites, red: inhibits; width: |weight|. Click a group to follow its paths.' +
      doc.circuit
        .map((cc) => uninformativeCircuit(cc, doc.layers.find((l) => l.name === cc.lower) ?? {}))
        .filter((why): why is string => why !== undefined)
        .map((why) => ` Note: ${why}`)
        .join('');
    if (selected && this.cy.getElementById(selected).nonempty()) this.highlight(selected);
    this.shown = {
      groups: rows.flat().map((g) => g.id),
      edges: keep.length,
      hiddenEdges: hidden,
      ms: performance.now() - t0,
      core: core.rows.flatMap((r) => r.nodes.map((n) => n.id)),
      zoom: this.cy.zoom(),
    };
    // Main-thread time of this render (layout + cytoscape set-up + list), for the tests' responsiveness figures.
    this.canvas.dataset.renderMs = this.shown.ms.toFixed(0);
    return this.shown.groups;
  }

  /** The circuit as a PNG data URI (the whole graph, twice the screen resolution). */
  png(): string | undefined {
    return this.cy?.png({ full: true, scale: 2, bg: colours().bg, output: 'base64uri' }) as string | undefined;
  }

  /** Puts the keyboard back on a layer's group-count slider (after the list was redrawn). */
  focusSlider(layer: string): void {
    this.list.querySelector<HTMLElement>(`.count-slider[data-layer="${CSS.escape(layer)}"]`)?.focus();
  }

  /** Fits the whole circuit to the pane's width; the canvas grows taller rather than shrinking captions. */
  fit(): void {
    const cy = this.cy;
    if (!cy) return;
    cy.resize();
    const bb = cy.elements().boundingBox({ includeLabels: true });
    const w = this.canvas.clientWidth || 800;
    const minH = Math.max(420, Math.round(window.innerHeight * 0.62));
    const z = Math.max(ZMIN, Math.min(ZMAX, (w - 2 * PAD) / Math.max(1, bb.w), (minH - 2 * PAD) / Math.max(1, bb.h)));
    const zw = Math.max(ZMIN, Math.min(ZMAX, (w - 2 * PAD) / Math.max(1, bb.w)));
    // Taller than the pane at the width's zoom: the canvas grows (the page scrolls) instead of shrinking the text.
    const zoom = bb.h * zw + 2 * PAD > minH ? zw : z;
    const height = Math.max(minH, Math.ceil(bb.h * zoom + 2 * PAD));
    this.canvas.style.height = `${height}px`;
    cy.resize();
    cy.zoom(zoom);
    const x = bb.w * zoom + 2 * PAD <= w ? (w - bb.w * zoom) / 2 - bb.x1 * zoom : PAD - bb.x1 * zoom;
    cy.pan({ x, y: (height - bb.h * zoom) / 2 - bb.y1 * zoom });
    this.applyZoomStyle();
    this.userView = false;
  }

  private zoomBy(factor: number, at?: { x: number; y: number }): void {
    const cy = this.cy;
    if (!cy) return;
    const level = Math.max(0.1, Math.min(4, cy.zoom() * factor));
    cy.zoom({ level, renderedPosition: at ?? { x: this.canvas.clientWidth / 2, y: this.canvas.clientHeight / 2 } });
    this.applyZoomStyle();
    this.userView = true;
  }

  private onWheel(e: WheelEvent): void {
    if (!(e.ctrlKey || e.metaKey)) return; // the page scrolls
    e.preventDefault();
    const r = this.canvas.getBoundingClientRect();
    this.zoomBy(e.deltaY < 0 ? 1.1 : 1 / 1.1, { x: e.clientX - r.left, y: e.clientY - r.top });
  }

  /** Captions keep a readable on-screen size at any zoom below 1. */
  private applyZoomStyle(): void {
    const cy = this.cy;
    if (!cy) return;
    cy.style(style(colours(), cy.zoom()));
    if (this.shown) this.shown.zoom = cy.zoom();
  }

  private showTip(target: cytoscape.SingularElementArgument, at: { x: number; y: number }): void {
    const text = this.tipText(target);
    if (!text) return;
    this.tip.textContent = text;
    this.tip.hidden = false;
    const w = this.canvas.clientWidth;
    this.tip.style.left = `${Math.min(Math.max(4, at.x + 14), Math.max(4, w - 300))}px`;
    this.tip.style.top = `${at.y + 16}px`;
  }

  private hideTip(): void {
    this.tip.hidden = true;
  }

  /** What a node or edge is, in plain words (the canvas tooltip). */
  tipText(target: cytoscape.SingularElementArgument): string | undefined {
    const id = target.id();
    const doc = this.session.doc;
    if (target.isEdge()) {
      if (target.hasClass('to-class')) return `${target.source().id()} is a concept of the top layer for class ${doc.class.name}.`;
      const w = Number(target.data('weight'));
      return `Weight ${w.toFixed(3)}: the lower node ${w >= 0 ? 'excites' : 'inhibits'} the upper one (${Math.round(Number(target.data('strength')) * 100)}% of the strongest link between these two layers). ${TERMS.weight}`;
    }
    if (id === CLASS_ID) return `Class ${doc.class.name} (index ${doc.class.index}): ${doc.class.images.length} images predicted as it. ${TERMS.class}`;
    if (target.hasClass('core')) {
      const [layer, ch] = [target.data('layer') as string, target.data('channel') as number];
      return `Core neuron ${ch} of ${layer}. ${TERMS['core neuron']} The lowest layer is not split into sub-concepts, so it has no groups.`;
    }
    const g = this.groupOf(id);
    if (!g) return undefined;
    return `${g.layer} · G${g.index}${g.label ? ` “${g.label}”` : ''}: ${g.channels.length} core neuron${g.channels.length === 1 ? '' : 's'} (channels ${g.channels.join(', ')}), ${g.members.length} sub-concept${g.members.length === 1 ? '' : 's'}. Click: follow its paths; double click: open it.`;
  }

  /** Core neurons of the ungrouped layers (the lowest), with edges from the groups of the layer above. */
  private coreNodes(): { rows: { layer: string; nodes: CoreNode[] }[]; edges: { group: string; core: string; weight: number }[] } {
    const doc = this.session.doc;
    const rows: { layer: string; nodes: CoreNode[] }[] = [];
    const edges: { group: string; core: string; weight: number }[] = [];
    doc.layers.forEach((l, i) => {
      if (l.grouping || l.neurons.length === 0) return;
      const id = (ch: number) => `core:${l.name}/${ch}`;
      const nodes = l.neurons.map((n) => {
        const crop = n.topCrops.find((c) => doc.crops.thumbnails[String(c)] !== undefined);
        return { id: id(n.channel), layer: l.name, channel: n.channel, thumb: crop === undefined ? undefined : doc.crops.thumbnails[String(crop)] };
      });
      rows.push({ layer: l.name, nodes });
      const upper = doc.layers[i - 1];
      if (!upper?.grouping) return;
      const channels = new Set(l.neurons.map((n) => n.channel));
      const byChannel = new Map(upper.neurons.map((n) => [n.channel, n]));
      for (const g of this.session.groups(upper.name)) {
        const sum = new Map<number, number>();
        for (const m of g.members) {
          const n = byChannel.get(m.channel);
          const sc = n?.subconcepts[m.subconcept];
          n?.coreInputs.forEach((ch, k) => {
            if (channels.has(ch)) sum.set(ch, (sum.get(ch) ?? 0) + (sc?.weights[k] ?? 0));
          });
        }
        for (const [ch, w] of sum) if (w !== 0) edges.push({ group: g.id, core: id(ch), weight: w });
      }
    });
    return { rows, edges };
  }

  /** Selects a group without telling the callbacks (restoring state, selection made elsewhere). */
  select(id: string): void {
    if (id === this.selected || !this.cy?.getElementById(id).nonempty()) return;
    this.highlight(id);
  }

  destroy(): void {
    this.resize?.disconnect();
    this.resize = undefined;
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
    this.detailsButton.hidden = false;
    this.detailsButton.setAttribute('title', `Scroll to the details of ${id}`);
  }

  private clearHighlight(): void {
    this.cy?.elements().removeClass('faded path');
    this.cy?.nodes().unselect();
  }

  private restyle(): void {
    const cy = this.cy;
    if (!cy) return;
    const c = colours();
    cy.style(style(c, cy.zoom()));
    cy.edges().forEach((e) => {
      if (e.hasClass('to-class')) e.data('colour', c.muted);
      else e.data('colour', e.data('weight') >= 0 ? c.positive : c.negative);
    });
  }

  private renderList(rows: GroupInfo[][], coreRows: { layer: string; nodes: CoreNode[] }[]): void {
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
        'data-layer': layer.name,
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
            title: `${g.id}${g.label ? ` “${g.label}”` : ''}: ${g.channels.length} core neurons (channels ${g.channels.join(', ')}), ${g.members.length} sub-concepts. Enter: open it in the Group tab`,
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
    const core = coreRows.map((r) =>
      h(
        'section',
        { class: 'layer-groups core-layer', 'aria-label': `Layer ${r.layer}: core neurons` },
        h('header', {}, h('strong', { class: 'layer-name' }, r.layer), h('span', { class: 'muted' }, `${r.nodes.length} core neurons`)),
        h(
          'p',
          { class: 'muted small' },
          'The lowest layer: its core neurons are drawn as dashed squares. They are not split into sub-concepts, so they form no groups.',
        ),
        h('p', { class: 'core-channels' }, r.nodes.map((n) => `ch ${n.channel}`).join(', ')),
      ),
    );
    this.list.replaceChildren(
      h('p', { class: 'list-class' }, term('class', 'Class'), ' ', h('strong', {}, this.session.doc.class.name), ' (top of the circuit)'),
      ...sections,
      ...core,
    );
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

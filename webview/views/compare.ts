/**
 * The compare view (issue 19, **Compare with...**): two results of one class side by side, each circuit drawn as
 * layers of groups (top first) with its edges (width: |weight|, blue excites, red inhibits), and the diff engine's
 * verdicts (src/engine/diff/diff.ts) marked on the groups: matched (with the counterpart's name), weakened, only
 * in A (gone), only in B (new); below, the matching per layer and the edges whose weight changed most.
 * Focus or hover a group to highlight its counterpart on the other side.
 */
import type { CompareSide, CompareViewMessage } from '../../src/protocol/atlas';
import { post } from '../api';
import { h } from '../dom';

const SVG = 'http://www.w3.org/2000/svg';
type Mark = 'matched' | 'weakened' | 'gone' | 'new' | 'unmatched-layer';

function s<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, ...children: (Node | string)[]): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const c of children) el.append(typeof c === 'string' ? document.createTextNode(c) : c);
  return el;
}

interface NodeInfo {
  mark: Mark;
  /** The counterpart on the other side: `layer/G<i>`. */
  peer?: string;
  note: string;
}

const NODE_W = 78;
const NODE_H = 40;
const GAP_X = 14;
const ROW_H = 92;
const LEFT = 96;
const TOP = 16;
const MARK_TEXT: Record<Mark, string> = {
  matched: 'matched',
  weakened: 'weakened',
  gone: 'only in A',
  new: 'only in B',
  'unmatched-layer': 'layer not in both',
};

function marks(m: CompareViewMessage, side: 'a' | 'b'): Map<string, NodeInfo> {
  const out = new Map<string, NodeInfo>();
  const other = side === 'a' ? 'B' : 'A';
  for (const l of m.diff.layers) {
    for (const x of l.matched) {
      const [mine, theirs] = side === 'a' ? [x.a, x.b] : [x.b, x.a];
      const mark: Mark = x.weakened ? 'weakened' : 'matched';
      out.set(`${l.layer}/G${mine}`, {
        mark,
        peer: `${l.layer}/G${theirs}`,
        note: `= ${other} G${theirs} (${Math.round(100 * x.similarity)}% same ${l.by}); share of the weight into the layer ${(100 * x.shareA).toFixed(0)}% in A, ${(100 * x.shareB).toFixed(0)}% in B${x.weakened ? ': weakened' : ''}`,
      });
    }
    for (const g of side === 'a' ? l.onlyInA : l.onlyInB)
      out.set(`${l.layer}/G${g.group}`, {
        mark: side === 'a' ? 'gone' : 'new',
        note: `only in ${side === 'a' ? 'A: no group of B matches it' : 'B: it matches no group of A'} (${g.neurons.length} neurons)`,
      });
  }
  return out;
}

function drawSide(m: CompareViewMessage, which: 'a' | 'b', items: string[], onPeer: (id: string | undefined, on: boolean) => void): HTMLElement {
  const side: CompareSide = m[which];
  const info = marks(m, which);
  const tag = which.toUpperCase();
  const maxGroups = Math.max(1, ...side.layers.map((l) => l.groups.length));
  const width = LEFT + maxGroups * (NODE_W + GAP_X) + 8;
  const height = TOP + side.layers.length * ROW_H;
  const pos = new Map<string, { x: number; y: number }>();
  side.layers.forEach((l, row) => {
    l.groups.forEach((_, i) => pos.set(`${l.name}/G${i}`, { x: LEFT + i * (NODE_W + GAP_X), y: TOP + row * ROW_H }));
  });
  const svg = s('svg', { class: 'compare-svg', width, height, viewBox: `0 0 ${width} ${height}`, role: 'group', 'aria-label': `Circuit ${tag}` });
  // Edges first (under the nodes), from the bottom of the upper group to the top of the lower one.
  const maxW = Math.max(1e-12, ...side.circuit.flatMap((c) => c.edges.map((e) => Math.abs(e.weight))));
  const changed = new Set<string>();
  for (const e of m.diff.edges) {
    const [u, l] = which === 'a' ? [e.upperA, e.lowerA] : [e.upperB, e.lowerB];
    if (u === null || l === null) continue;
    const delta = Math.abs(e.weightB - e.weightA);
    if (delta > 0.25 * maxW) changed.add(`${e.layer}/G${u}>${e.lowerLayer}/G${l}`);
    else if ((which === 'a' ? e.upperB : e.upperA) === null || (which === 'a' ? e.lowerB : e.lowerA) === null)
      changed.add(`${e.layer}/G${u}>${e.lowerLayer}/G${l}`);
  }
  const edges = s('g', { class: 'compare-edges' });
  for (const c of side.circuit) {
    for (const e of c.edges) {
      const [p, q] = [pos.get(`${c.upper}/G${e.from}`), pos.get(`${c.lower}/G${e.to}`)];
      if (!p || !q || e.weight === 0) continue;
      const key = `${c.upper}/G${e.from}>${c.lower}/G${e.to}`;
      const line = s('line', {
        x1: p.x + NODE_W / 2,
        y1: p.y + NODE_H,
        x2: q.x + NODE_W / 2,
        y2: q.y,
        class: `compare-edge ${e.weight > 0 ? 'pos' : 'neg'}${changed.has(key) ? ' changed' : ''}`,
        'stroke-width': (0.6 + (4.4 * Math.abs(e.weight)) / maxW).toFixed(2),
      });
      line.append(
        s('title', {}, `${c.upper} G${e.from} → ${c.lower} G${e.to}: weight ${e.weight.toFixed(3)}${changed.has(key) ? ' (changed between A and B)' : ''}`),
      );
      edges.append(line);
    }
  }
  svg.append(edges);
  side.layers.forEach((l, row) => {
    const y = TOP + row * ROW_H;
    svg.append(s('text', { x: 0, y: y + NODE_H / 2 + 4, class: 'compare-layer' }, l.name));
    const layerInBoth = m.diff.layers.some((d) => d.layer === l.name);
    l.groups.forEach((g, i) => {
      const id = `${l.name}/G${i}`;
      const p = pos.get(id)!;
      const nodeInfo = info.get(id) ?? {
        mark: layerInBoth ? (which === 'a' ? 'gone' : 'new') : 'unmatched-layer',
        note: layerInBoth ? '' : `the layer ${l.name} is only in ${tag}`,
      };
      const sub =
        nodeInfo.mark === 'matched' || nodeInfo.mark === 'weakened'
          ? `= ${which === 'a' ? 'B' : 'A'} ${nodeInfo.peer?.split('/').pop()}`
          : MARK_TEXT[nodeInfo.mark];
      const label = `${tag} ${l.name} G${i}${g.label ? ` "${g.label}"` : ''}, ${g.neurons.length} neurons: ${MARK_TEXT[nodeInfo.mark]}. ${nodeInfo.note}`;
      const node = s(
        'g',
        {
          class: `compare-node ${nodeInfo.mark}`,
          transform: `translate(${p.x},${p.y})`,
          tabindex: 0,
          role: 'img',
          'aria-label': label,
          'data-id': id,
          'data-side': which,
        },
        s('title', {}, label),
        s('rect', { width: NODE_W, height: NODE_H, rx: 4 }),
        s('text', { x: NODE_W / 2, y: 16, 'text-anchor': 'middle', class: 'compare-node-name' }, `G${i}${nodeInfo.mark === 'weakened' ? ' ↓' : ''}`),
        s('text', { x: NODE_W / 2, y: 31, 'text-anchor': 'middle', class: 'compare-node-sub' }, sub),
      );
      const on = (v: boolean) => () => {
        node.classList.toggle('hot', v);
        onPeer(nodeInfo.peer, v);
      };
      node.addEventListener('mouseenter', on(true));
      node.addEventListener('mouseleave', on(false));
      node.addEventListener('focus', on(true));
      node.addEventListener('blur', on(false));
      svg.append(node);
      items.push(`${tag}:${id}`);
    });
  });
  return h(
    'section',
    { class: `compare-side side-${which}` },
    h(
      'h2',
      {},
      h('span', { class: `compare-tag tag-${which}` }, tag),
      h('span', { class: 'grow compare-title', title: side.file }, side.title),
      h(
        'vscode-button',
        { secondary: true, class: `open-${which}`, title: `Show ${side.file} as a result view`, onclick: () => post({ type: 'openCompared', side: which }) },
        `Open ${tag}`,
      ),
    ),
    side.complete ? null : h('p', { class: 'warning-text small' }, 'Cancelled analysis: finished layers only.'),
    h('div', { class: 'compare-canvas' }, svg),
  );
}

export function renderCompare(root: HTMLElement, m: CompareViewMessage): string[] {
  const items: string[] = [];
  const d = m.diff;
  const matched = d.layers.reduce((n, l) => n + l.matched.length, 0);
  const weakened = d.layers.reduce((n, l) => n + l.matched.filter((x) => x.weakened).length, 0);
  const gone = d.layers.reduce((n, l) => n + l.onlyInA.length, 0);
  const added = d.layers.reduce((n, l) => n + l.onlyInB.length, 0);
  const maxW = Math.max(1e-12, ...d.edges.map((e) => Math.max(Math.abs(e.weightA), Math.abs(e.weightB))));
  const changes = d.edges
    .map((e) => ({ e, delta: e.weightB - e.weightA }))
    .filter((x) => Math.abs(x.delta) > 1e-9 * maxW)
    .sort((x, y) => Math.abs(y.delta) - Math.abs(x.delta));
  const identical = gone === 0 && added === 0 && weakened === 0 && changes.length === 0 && d.layersOnlyInA.length === 0 && d.layersOnlyInB.length === 0;

  let sides: HTMLElement[] = [];
  const onPeer = (from: 'a' | 'b') => (id: string | undefined, on: boolean) => {
    if (!id) return;
    const target = sides[from === 'a' ? 1 : 0]?.querySelector(`.compare-node[data-id="${CSS.escape(id)}"]`);
    target?.classList.toggle('peer', on);
  };
  sides = [drawSide(m, 'a', items, onPeer('a')), drawSide(m, 'b', items, onPeer('b'))];

  const summary = h(
    'p',
    { class: 'compare-summary', role: 'status' },
    identical
      ? h('span', { class: 'compare-identical' }, `Everything matched: ${matched} groups, no edge weight changed.`)
      : `${matched} groups matched (${weakened} weakened), ${gone} only in A, ${added} only in B; ${changes.length} edge weights changed.`,
    d.layersOnlyInA.length ? ` Layers only in A: ${d.layersOnlyInA.join(', ')}.` : '',
    d.layersOnlyInB.length ? ` Layers only in B: ${d.layersOnlyInB.join(', ')}.` : '',
  );
  const legend = h(
    'ul',
    { class: 'compare-legend', 'aria-label': 'Legend' },
    ...(['matched', 'weakened', 'gone', 'new'] as Mark[]).map((k) =>
      h(
        'li',
        {},
        h('span', { class: `compare-swatch ${k}`, 'aria-hidden': 'true' }),
        MARK_TEXT[k],
        k === 'weakened' ? h('span', { class: 'muted' }, ' (share of the weight into its layer halved or less)') : null,
      ),
    ),
    h('li', {}, h('span', { class: 'compare-swatch edge-changed', 'aria-hidden': 'true' }), 'edge changed (dashed)'),
  );

  const groupRows = d.layers.flatMap((l) => [
    ...l.matched.map((x) =>
      h(
        'tr',
        { class: x.weakened ? 'weakened' : 'matched' },
        h('td', {}, l.layer),
        h('td', {}, `G${x.a}`),
        h('td', {}, `G${x.b}`),
        h('td', { class: 'num' }, `${Math.round(100 * x.similarity)}%`),
        h('td', { class: 'num' }, `${(100 * x.shareA).toFixed(0)}% → ${(100 * x.shareB).toFixed(0)}%`),
        h('td', {}, h('span', { class: `compare-mark ${x.weakened ? 'weakened' : 'matched'}` }, x.weakened ? 'weakened' : 'matched')),
      ),
    ),
    ...l.onlyInA.map((g) =>
      h(
        'tr',
        { class: 'gone' },
        h('td', {}, l.layer),
        h('td', {}, `G${g.group}`),
        h('td', {}, '–'),
        h('td', {}, ''),
        h('td', { class: 'num' }, `${(100 * g.share).toFixed(0)}% → –`),
        h('td', {}, h('span', { class: 'compare-mark gone' }, 'only in A')),
      ),
    ),
    ...l.onlyInB.map((g) =>
      h(
        'tr',
        { class: 'new' },
        h('td', {}, l.layer),
        h('td', {}, '–'),
        h('td', {}, `G${g.group}`),
        h('td', {}, ''),
        h('td', { class: 'num' }, `– → ${(100 * g.share).toFixed(0)}%`),
        h('td', {}, h('span', { class: 'compare-mark new' }, 'only in B')),
      ),
    ),
  ]);
  const name = (g: number | null) => (g === null ? '–' : `G${g}`);
  const edgeTable =
    changes.length === 0
      ? h('p', { class: 'muted' }, 'No edge weight changed.')
      : h(
          'table',
          { class: 'compare-table compare-edges-table', 'aria-label': 'Edge weights that changed' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              h('th', {}, 'Edge'),
              h('th', {}, 'In A'),
              h('th', {}, 'In B'),
              h('th', { class: 'num' }, 'Weight A'),
              h('th', { class: 'num' }, 'Weight B'),
              h('th', { class: 'num' }, 'Change'),
            ),
          ),
          h(
            'tbody',
            {},
            ...changes
              .slice(0, 40)
              .map(({ e, delta }) =>
                h(
                  'tr',
                  {},
                  h('td', {}, `${e.layer} → ${e.lowerLayer}`),
                  h('td', {}, `${name(e.upperA)} → ${name(e.lowerA)}`),
                  h('td', {}, `${name(e.upperB)} → ${name(e.lowerB)}`),
                  h('td', { class: 'num' }, e.weightA.toFixed(3)),
                  h('td', { class: 'num' }, e.weightB.toFixed(3)),
                  h('td', { class: `num ${delta < 0 ? 'delta-down' : 'delta-up'}` }, `${delta > 0 ? '+' : ''}${delta.toFixed(3)}`),
                ),
              ),
          ),
        );

  root.replaceChildren(
    h(
      'header',
      { class: 'title' },
      h('h1', {}, `Compare · ${m.class}`),
      h('span', { class: 'muted' }, 'groups matched by their member neurons (Jaccard, one to one)'),
    ),
    summary,
    legend,
    h('div', { class: 'compare-sides' }, ...sides),
    h(
      'section',
      { class: 'compare-details' },
      h('h3', {}, 'Groups'),
      h(
        'table',
        { class: 'compare-table compare-groups-table', 'aria-label': 'Group matching per layer' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', {}, 'Layer'),
            h('th', {}, 'A'),
            h('th', {}, 'B'),
            h('th', { class: 'num' }, 'Same members'),
            h('th', { class: 'num' }, 'Weight share'),
            h('th', {}, ''),
          ),
        ),
        h('tbody', {}, ...groupRows),
      ),
      h('h3', {}, `Edge weights that changed${changes.length > 40 ? ' (the 40 largest changes)' : ''}`),
      edgeTable,
    ),
  );
  return items;
}

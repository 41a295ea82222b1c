/**
 * The circuit's layered layout: one row per layer (top layer at the top), nodes ordered within their row by the
 * barycentre of their neighbours in the adjacent row (Sugiyama-style sweeps, weighted by |edge weight|), the
 * order with the fewest weighted crossings kept. Deterministic (stable sorts, index tie-breaks) and cheap:
 * O(sweeps x edges log edges), a few milliseconds for hundreds of groups, so it runs on the main thread.
 * A layer with more groups than `maxPerLine` wraps onto several lines (in order), so a re-grouping into a
 * hundred groups keeps the drawing readable instead of one very wide row.
 */

export interface LayoutEdge {
  source: string;
  target: string;
  weight: number;
}

export interface LayoutOptions {
  /** Horizontal distance between node centres. */
  dx?: number;
  /** Vertical distance between rows. */
  dy?: number;
  sweeps?: number;
  /** Nodes per line before a layer's row wraps (default 16). */
  maxPerLine?: number;
  /** Vertical distance between the lines of one wrapped row (default dy / 1.6). */
  lineDy?: number;
}

export interface Layout {
  positions: Map<string, { x: number; y: number }>;
  /** Node ids per row, left to right. */
  order: string[][];
  /** Weighted crossings of the kept order (sum over crossing edge pairs of min |w|). */
  crossings: number;
  /** Vertical centre of each row's band (for the layer labels). */
  rowY: number[];
  /** Leftmost node x over all rows. */
  minX: number;
}

/** Weighted crossings between two adjacent rows given the positions of their nodes. */
function rowCrossings(edges: { a: number; b: number; w: number }[]): number {
  // Sort by upper position, then count pairs whose lower positions invert; O(E^2) in the worst case, capped.
  const list = [...edges].sort((p, q) => p.a - q.a || p.b - q.b);
  const n = Math.min(list.length, 2000);
  let c = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      if (list[j].a > list[i].a && list[j].b < list[i].b) c += Math.min(list[i].w, list[j].w);
    }
  }
  return c;
}

export function layeredLayout(rows: string[][], edges: readonly LayoutEdge[], options: LayoutOptions = {}): Layout {
  const dx = options.dx ?? 120;
  const dy = options.dy ?? 150;
  const sweeps = options.sweeps ?? 6;
  const rowOf = new Map<string, number>();
  rows.forEach((r, i) => r.forEach((id) => rowOf.set(id, i)));
  // Neighbours in the row above / below, with |w|.
  const up = new Map<string, { id: string; w: number }[]>();
  const down = new Map<string, { id: string; w: number }[]>();
  const between: { top: string; bottom: string; w: number }[][] = rows.map(() => []);
  for (const e of edges) {
    const rs = rowOf.get(e.source);
    const rt = rowOf.get(e.target);
    if (rs === undefined || rt === undefined || Math.abs(rs - rt) !== 1) continue;
    const [top, bottom] = rs < rt ? [e.source, e.target] : [e.target, e.source];
    const w = Math.abs(e.weight) || 1e-9;
    (down.get(top) ?? down.set(top, []).get(top)!).push({ id: bottom, w });
    (up.get(bottom) ?? up.set(bottom, []).get(bottom)!).push({ id: top, w });
    between[Math.min(rs, rt)].push({ top, bottom, w });
  }
  let order = rows.map((r) => [...r]);
  const pos = new Map<string, number>();
  const index = () => order.forEach((r) => r.forEach((id, i) => pos.set(id, i)));
  const total = () => between.reduce((s, list) => s + rowCrossings(list.map((e) => ({ a: pos.get(e.top)!, b: pos.get(e.bottom)!, w: e.w }))), 0);
  const reorder = (r: number, nb: Map<string, { id: string; w: number }[]>) => {
    const keyed = order[r].map((id, i) => {
      const list = nb.get(id) ?? [];
      const sw = list.reduce((s, n) => s + n.w, 0);
      return { id, i, key: sw > 0 ? list.reduce((s, n) => s + n.w * pos.get(n.id)!, 0) / sw : i };
    });
    keyed.sort((a, b) => a.key - b.key || a.i - b.i);
    order[r] = keyed.map((k) => k.id);
    order[r].forEach((id, i) => pos.set(id, i));
  };
  index();
  let best = { order: order.map((r) => [...r]), crossings: total() };
  for (let s = 0; s < sweeps && best.crossings > 0; s++) {
    if (s % 2 === 0) for (let r = 1; r < order.length; r++) reorder(r, up);
    else for (let r = order.length - 2; r >= 0; r--) reorder(r, down);
    const c = total();
    if (c < best.crossings) best = { order: order.map((r) => [...r]), crossings: c };
  }
  order = best.order;
  const perLine = Math.max(1, options.maxPerLine ?? 16);
  const lineDy = options.lineDy ?? dy / 1.6;
  const positions = new Map<string, { x: number; y: number }>();
  const rowY: number[] = [];
  let top = 0;
  let minX = 0;
  order.forEach((r) => {
    const lines = Math.max(1, Math.ceil(r.length / perLine));
    r.forEach((id, i) => {
      const line = Math.floor(i / perLine);
      const inLine = Math.min(perLine, r.length - line * perLine);
      const x = ((i % perLine) - (inLine - 1) / 2) * dx;
      minX = Math.min(minX, x);
      positions.set(id, { x, y: top + line * lineDy });
    });
    rowY.push(top + ((lines - 1) * lineDy) / 2);
    top += (lines - 1) * lineDy + dy;
  });
  return { positions, order, crossings: best.crossings, rowY, minX };
}

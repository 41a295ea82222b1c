/**
 * The result panel's model: the document as the host sent it, the user's per-layer group counts, and the
 * document re-grouped accordingly (the engine's `regroupLayer` / `documentCircuit`: no model run). Groupings are
 * cached per (layer, count) so moving a slider back and forth costs one clustering per count.
 */
import { documentCircuit, regroupLayer } from '../../src/engine/analysis/regroup';
import type { CircuitResult, GroupingResult, LayerResult, ResultDocument } from '../../src/engine/result/schema';
import type { ResultViewMessage } from '../../src/protocol/webview';
import { layerGroups, type GroupInfo } from './groups';

export interface CircuitLink {
  from: GroupInfo;
  to: GroupInfo;
  weight: number;
}

export class ResultSession {
  readonly original: ResultDocument;
  doc: ResultDocument;
  private counts = new Map<string, number>();
  private readonly groupingCache = new Map<string, GroupingResult>();
  private groupsCache = new Map<string, GroupInfo[]>();

  constructor(
    readonly message: ResultViewMessage,
    counts: Record<string, number> = {},
  ) {
    this.original = message.doc;
    this.doc = message.doc;
    for (const [layer, n] of Object.entries(counts)) {
      const l = this.original.layers.find((x) => x.name === layer);
      // A count the document already has (e.g. saved by the host since) is the document's own grouping: keep it,
      // with its labels, rather than re-grouping it.
      if (l?.grouping && Number.isInteger(n) && n >= 1 && n !== l.grouping.count) this.counts.set(layer, n);
    }
    this.rebuild();
  }

  get key(): string {
    return this.original.key;
  }

  /** The user's group counts (layers left at the analysis's choice are absent). */
  userCounts(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }

  /** Layers with groups, top first. */
  groupedLayers(): LayerResult[] {
    return this.doc.layers.filter((l) => l.grouping);
  }

  layer(name: string): LayerResult | undefined {
    return this.doc.layers.find((l) => l.name === name);
  }

  /** Pairs of a layer = the largest group count it can take. */
  maxGroups(layer: string): number {
    return this.layer(layer)?.grouping?.pairs.length ?? 0;
  }

  groupCount(layer: string): number {
    return this.layer(layer)?.grouping?.count ?? 0;
  }

  isUserCount(layer: string): boolean {
    return this.counts.has(layer);
  }

  /** Sets a layer's group count (null: back to the analysis's grouping). Returns false when nothing changed. */
  setCount(layer: string, count: number | null): boolean {
    const max = this.maxGroups(layer);
    if (max === 0) return false;
    const original = this.original.layers.find((l) => l.name === layer)!.grouping!;
    const n = count === null ? null : Math.min(Math.max(1, Math.round(count)), max);
    if (n === null || (n === original.count && !this.counts.has(layer))) {
      if (!this.counts.delete(layer)) return false;
    } else {
      if (this.counts.get(layer) === n) return false;
      this.counts.set(layer, n);
    }
    this.rebuild();
    return true;
  }

  groups(layer: string): GroupInfo[] {
    let g = this.groupsCache.get(layer);
    if (!g) {
      const l = this.layer(layer);
      g = l ? layerGroups(this.doc, l) : [];
      this.groupsCache.set(layer, g);
    }
    return g;
  }

  group(layer: string, index: number): GroupInfo | undefined {
    return this.groups(layer)[index];
  }

  allGroups(): GroupInfo[] {
    return this.groupedLayers().flatMap((l) => this.groups(l.name));
  }

  /** Circuit edges as group pairs (upper `from`, lower `to`). */
  links(): CircuitLink[] {
    const out: CircuitLink[] = [];
    for (const c of this.doc.circuit) {
      const up = this.groups(c.upper);
      const low = this.groups(c.lower);
      for (const e of c.edges) if (up[e.from] && low[e.to]) out.push({ from: up[e.from], to: low[e.to], weight: e.weight });
    }
    return out;
  }

  /** Links into (from lower groups) and out of (to upper groups) a group, strongest first. */
  neighbours(g: GroupInfo): { inputs: CircuitLink[]; outputs: CircuitLink[] } {
    const all = this.links();
    const byW = (a: CircuitLink, b: CircuitLink) => Math.abs(b.weight) - Math.abs(a.weight);
    return {
      inputs: all.filter((l) => l.from.id === g.id).sort(byW),
      outputs: all.filter((l) => l.to.id === g.id).sort(byW),
    };
  }

  private grouping(layer: LayerResult, count: number): GroupingResult {
    const key = `${layer.name}#${count}`;
    let g = this.groupingCache.get(key);
    if (!g) {
      g = regroupLayer(layer, count, this.original.params.representatives);
      this.groupingCache.set(key, g);
    }
    return g;
  }

  private rebuild(): void {
    const layers = this.original.layers.map((l) => {
      const n = this.counts.get(l.name);
      return n === undefined || !l.grouping ? l : { ...l, grouping: this.grouping(l, n) };
    });
    const circuit: CircuitResult[] = this.original.circuit.map((c) => {
      if (!this.counts.has(c.upper) && !this.counts.has(c.lower)) return c;
      const upper = layers.find((l) => l.name === c.upper);
      const lower = layers.find((l) => l.name === c.lower);
      return upper && lower ? documentCircuit(upper, lower) : c;
    });
    this.doc = { ...this.original, layers, circuit };
    this.groupsCache = new Map();
  }
}

/**
 * Groups shared across the classes of an atlas (issue 19): for each layer, the groups of one class whose member
 * neurons overlap a group of another class with a Jaccard similarity of at least `threshold` (default 0.5). The
 * member sets and the similarity are the diff engine's (`groupNeurons` of src/engine/analysis/groups.ts, `jaccard` of src/engine/diff/diff.ts); the
 * classes of one atlas share the model, so a layer's channels are the same neurons in every class.
 *
 * Cheap: `groupsOf` keeps only each group's member channels and label (a few numbers per group, not the
 * document), and candidate pairs come from an index channel -> groups, so groups with no neuron in common are
 * never compared.
 */
import { groupNeurons } from '../analysis/groups';
import { jaccard } from '../diff/diff';
import type { ResultDocument } from '../result/schema';

export interface ClassGroups {
  class: string;
  /** Grouped layers: each group's member channels (sorted) and label text. */
  layers: { name: string; shape: number[]; groups: { neurons: number[]; label?: string }[] }[];
}

export interface SharedGroupLink {
  class: string;
  layer: string;
  group: number;
  label?: string;
  /** Member neurons of the group. */
  neurons: number;
  with: { class: string; group: number; similarity: number; label?: string }[];
}

/** The part of a result the sharing needs. */
export function groupsOf(doc: ResultDocument): ClassGroups {
  return {
    class: doc.class.name,
    layers: doc.layers.flatMap((l) =>
      l.grouping
        ? [
            {
              name: l.name,
              shape: l.shape,
              groups: groupNeurons(l.grouping).map((neurons, i) => {
                const label = l.grouping?.groups[i]?.label?.text;
                return label ? { neurons, label } : { neurons };
              }),
            },
          ]
        : [],
    ),
  };
}

/** Every group shared with a group of another class (see the file comment), by class order then layer and group. */
export function sharedGroups(classes: readonly ClassGroups[], threshold = 0.5): SharedGroupLink[] {
  type Ref = { c: number; g: number; neurons: number[]; label?: string };
  const byLayer = new Map<string, Ref[]>();
  const shapeOf = new Map<string, string>();
  classes.forEach((cls, c) => {
    for (const l of cls.layers) {
      const shape = l.shape.join('x');
      // A layer of another shape under the same name is another model's: not comparable by neurons.
      if ((shapeOf.get(l.name) ?? shape) !== shape) continue;
      shapeOf.set(l.name, shape);
      const refs = byLayer.get(l.name) ?? [];
      l.groups.forEach((g, i) => {
        refs.push({ c, g: i, neurons: g.neurons, ...(g.label ? { label: g.label } : {}) });
      });
      byLayer.set(l.name, refs);
    }
  });
  const out: SharedGroupLink[] = [];
  const layerOrder = new Map<string, number>();
  for (const cls of classes) for (const l of cls.layers) if (!layerOrder.has(l.name)) layerOrder.set(l.name, layerOrder.size);
  for (const [layer, refs] of byLayer) {
    const byNeuron = new Map<number, number[]>();
    refs.forEach((r, i) => {
      for (const n of r.neurons) {
        const list = byNeuron.get(n) ?? [];
        list.push(i);
        byNeuron.set(n, list);
      }
    });
    const links = new Map<number, SharedGroupLink['with']>();
    refs.forEach((r, i) => {
      const seen = new Set<number>();
      for (const n of r.neurons) {
        for (const j of byNeuron.get(n) ?? []) {
          if (j <= i || seen.has(j)) continue;
          seen.add(j);
          const o = refs[j];
          if (o.c === r.c) continue;
          const similarity = jaccard(r.neurons, o.neurons);
          if (similarity < threshold) continue;
          const add = (k: number, x: Ref) => {
            const list = links.get(k) ?? [];
            list.push({ class: classes[x.c].class, group: x.g, similarity, ...(x.label ? { label: x.label } : {}) });
            links.set(k, list);
          };
          add(i, o);
          add(j, r);
        }
      }
    });
    for (const [i, list] of links) {
      const r = refs[i];
      out.push({
        class: classes[r.c].class,
        layer,
        group: r.g,
        ...(r.label ? { label: r.label } : {}),
        neurons: r.neurons.length,
        with: list.sort((x, y) => y.similarity - x.similarity || x.class.localeCompare(y.class) || x.group - y.group),
      });
    }
  }
  const classOrder = new Map(classes.map((c, i) => [c.class, i]));
  return out.sort(
    (x, y) =>
      (classOrder.get(x.class) ?? 0) - (classOrder.get(y.class) ?? 0) || (layerOrder.get(x.layer) ?? 0) - (layerOrder.get(y.layer) ?? 0) || x.group - y.group,
  );
}

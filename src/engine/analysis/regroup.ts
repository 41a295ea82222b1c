/**
 * Re-grouping a saved result without any model run (docs/design.md 1.4: the per-layer slider): the concept vectors
 * stored in the document are clustered again at another count, and the circuit recomputed from stored weights.
 */
import { UsageError } from '../errors';
import type { CircuitResult, GroupingResult, LayerResult, ResultDocument } from '../result/schema';
import { circuitEdges, groupCircuit } from './circuit';
import { groupPairs } from './groups';

/** (neuron index in layer.neurons, sub-concept index) of every pair, in document order. */
function pairIndex(layer: LayerResult): { n: number; s: number }[] {
  return layer.neurons.flatMap((neuron, n) => neuron.subconcepts.map((_, s) => ({ n, s })));
}

/** The layer's grouping at `count` groups (silhouette when undefined). */
export function regroupLayer(layer: LayerResult, count?: number, representatives = 5): GroupingResult {
  const pairs = pairIndex(layer);
  if (pairs.length === 0) throw new UsageError(`layer ${layer.name}: no sub-concepts to group (the lowest layer of an analysis has none)`);
  const vectors = pairs.map((p) => layer.neurons[p.n].subconcepts[p.s].conceptVector);
  const { grouping } = groupPairs(vectors, { count, representatives });
  return {
    count: grouping.count,
    auto: grouping.auto,
    silhouette: grouping.silhouette,
    pairs: pairs.map((p) => [layer.neurons[p.n].channel, p.s]),
    groups: grouping.groups.map((g) => ({ members: g.members, representatives: g.representatives })),
  };
}

/** Group of each pair of a grouping (all members, or only the first `topPairs` representatives when > 0). */
export function pairGroups(grouping: GroupingResult, topPairs = 0): Int32Array {
  const out = new Int32Array(grouping.pairs.length).fill(-1);
  grouping.groups.forEach((g, gi) => {
    for (const p of topPairs > 0 ? g.representatives.slice(0, topPairs) : g.members) out[p] = gi;
  });
  return out;
}

/** The circuit between two adjacent grouped layers of a document. */
export function documentCircuit(upper: LayerResult, lower: LayerResult): CircuitResult {
  if (!upper.grouping || !lower.grouping) throw new UsageError(`circuit ${upper.name} -> ${lower.name}: both layers need groups`);
  const up = pairIndex(upper).map((p) => {
    const n = upper.neurons[p.n];
    return { neuron: n.channel, inputs: n.coreInputs, weights: n.subconcepts[p.s].weights };
  });
  const low = lower.grouping.pairs.map(([neuron]) => ({ neuron }));
  const c = groupCircuit(up, pairGroups(upper.grouping), upper.grouping.count, low, pairGroups(lower.grouping), lower.grouping.count);
  return { upper: upper.name, lower: lower.name, edges: circuitEdges(c).map((e) => ({ from: e.upper, to: e.lower, weight: e.weight })) };
}

/** A copy of the document with `layerName` re-grouped at `count` and the circuit recomputed. */
export function regroupDocument(doc: ResultDocument, layerName: string, count?: number): ResultDocument {
  const li = doc.layers.findIndex((l) => l.name === layerName);
  if (li < 0) throw new UsageError(`layer ${layerName} is not in this result (layers: ${doc.layers.map((l) => l.name).join(', ')})`);
  const layers = doc.layers.map((l, i) => (i === li ? { ...l, grouping: regroupLayer(l, count, doc.params.representatives) } : l));
  const circuit: CircuitResult[] = [];
  for (let i = 0; i + 1 < layers.length; i++) {
    if (layers[i].grouping && layers[i + 1].grouping) circuit.push(documentCircuit(layers[i], layers[i + 1]));
  }
  return { ...doc, layers, circuit };
}

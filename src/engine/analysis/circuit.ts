/**
 * The group circuit between adjacent layers (docs/design.md 3.3 step 6), the authors' `utils._aggregate_scores`: the
 * weight from upper group G to lower group H is the sum, over G's pairs (u, s) and u's core inputs v, of the edge
 * weight w(u, s -> v) once for every sub-concept of v that lies in H. Needs no model run, so re-grouping either
 * layer recomputes it instantly.
 */

export interface UpperPair {
  neuron: number;
  /** Core inputs of the neuron (lower channels). */
  inputs: readonly number[];
  /** Edge weights of this sub-concept, aligned with `inputs`. */
  weights: readonly number[];
}

export interface LowerPair {
  neuron: number;
}

export interface CircuitEdge {
  upper: number;
  lower: number;
  weight: number;
}

/**
 * Weights [upper group][lower group]. `upperGroup[i]` / `lowerGroup[j]` give the group of each pair, or -1 for a
 * pair left out (e.g. not a group representative).
 */
export function groupCircuit(
  upperPairs: readonly UpperPair[],
  upperGroup: ArrayLike<number>,
  nUpper: number,
  lowerPairs: readonly LowerPair[],
  lowerGroup: ArrayLike<number>,
  nLower: number,
): { weights: number[][]; present: boolean[][] } {
  const groupsOfLower = new Map<number, number[]>();
  lowerPairs.forEach((p, j) => {
    if (lowerGroup[j] < 0) return;
    const list = groupsOfLower.get(p.neuron) ?? [];
    list.push(lowerGroup[j]);
    groupsOfLower.set(p.neuron, list);
  });
  const weights = Array.from({ length: nUpper }, () => new Array<number>(nLower).fill(0));
  const present = Array.from({ length: nUpper }, () => new Array<boolean>(nLower).fill(false));
  upperPairs.forEach((p, i) => {
    const g = upperGroup[i];
    if (g < 0) return;
    p.inputs.forEach((v, k) => {
      for (const h of groupsOfLower.get(v) ?? []) {
        weights[g][h] += p.weights[k];
        present[g][h] = true;
      }
    });
  });
  return { weights, present };
}

/** The circuit as an edge list (only group pairs that some core input connects), strongest |weight| first. */
export function circuitEdges(circuit: { weights: number[][]; present: boolean[][] }): CircuitEdge[] {
  const edges: CircuitEdge[] = [];
  circuit.weights.forEach((row, upper) =>
    row.forEach((weight, lower) => {
      if (circuit.present[upper][lower]) edges.push({ upper, lower, weight });
    }),
  );
  return edges.sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight) || a.upper - b.upper || a.lower - b.lower);
}

/**
 * Why a circuit between two layers carries no information, or undefined when it does. The edge from upper
 * group G to lower group H sums G's weights to the core neurons that have a sub-concept in H; when every core
 * neuron has sub-concepts in every lower group (random-weight models, or sub-concepts split by crop size rather
 * than by content), every H gets the same sum and all of G's edges are equal: the picture says nothing.
 */
export function uninformativeCircuit(
  c: { upper: string; lower: string; edges: readonly { from: number; to: number; weight: number }[] },
  lower: { grouping?: { count: number; pairs: readonly (readonly [number, number])[]; groups: readonly { members: readonly number[] }[] } },
): string | undefined {
  const g = lower.grouping;
  if (!g || g.count < 2 || c.edges.length === 0) return undefined;
  const byUpper = new Map<number, number[]>();
  for (const e of c.edges) byUpper.set(e.from, [...(byUpper.get(e.from) ?? []), e.weight]);
  const flat = [...byUpper.values()].every((ws) => ws.length === g.count && ws.every((w) => Math.abs(w - ws[0]) <= 1e-9 * Math.max(1, Math.abs(ws[0]))));
  if (!flat) return undefined;
  const groupsOf = new Map<number, Set<number>>();
  g.groups.forEach((grp, gi) => {
    for (const m of grp.members) {
      const neuron = g.pairs[m][0];
      groupsOf.set(neuron, (groupsOf.get(neuron) ?? new Set()).add(gi));
    }
  });
  const spanning = [...groupsOf.values()].filter((s) => s.size === g.count).length;
  return `the circuit ${c.upper} -> ${c.lower} carries no information: every group of ${c.upper} sends the same weight to all ${g.count} groups of ${c.lower}, because ${spanning} of its ${groupsOf.size} core neurons have sub-concepts in every group (their sub-concepts split the same way, e.g. by crop size, not by what the crops show). Fewer groups for ${c.lower} or more top crops may separate them.`;
}

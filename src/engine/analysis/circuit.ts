/**
 * The group circuit between adjacent layers (DESIGN 3.3 step 6), the authors' `utils._aggregate_scores`: the
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
  upperPairs: readonly UpperPair[], upperGroup: ArrayLike<number>, nUpper: number,
  lowerPairs: readonly LowerPair[], lowerGroup: ArrayLike<number>, nLower: number,
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
  circuit.weights.forEach((row, upper) => row.forEach((weight, lower) => {
    if (circuit.present[upper][lower]) edges.push({ upper, lower, weight });
  }));
  return edges.sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight) || a.upper - b.upper || a.lower - b.lower);
}

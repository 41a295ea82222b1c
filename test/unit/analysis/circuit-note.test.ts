/** The note that a circuit carries no information (every lower core neuron in every group: all edges equal). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { circuitEdges, groupCircuit, uninformativeCircuit } from '../../../src/engine/analysis/circuit';

/** Lower layer: neurons 3 and 5, two sub-concepts each; `spread` puts each neuron's two in different groups. */
function lower(spread: boolean) {
  const pairs: [number, number][] = [
    [3, 0],
    [3, 1],
    [5, 0],
    [5, 1],
  ];
  const groups = spread ? [{ members: [0, 2] }, { members: [1, 3] }] : [{ members: [0, 1] }, { members: [2, 3] }];
  return { grouping: { count: 2, pairs, groups } };
}

function circuit(l: ReturnType<typeof lower>) {
  const upper = [
    { neuron: 0, inputs: [3, 5], weights: [-0.4, -0.6] },
    { neuron: 0, inputs: [3, 5], weights: [0.7, -0.3] },
  ];
  const groupOf = new Int32Array(4);
  l.grouping.groups.forEach((g, gi) =>
    g.members.forEach((m) => {
      groupOf[m] = gi;
    }),
  );
  const c = groupCircuit(
    upper,
    [0, 1],
    2,
    l.grouping.pairs.map(([neuron]) => ({ neuron })),
    groupOf,
    2,
  );
  return { upper: 'fc', lower: 'block2', edges: circuitEdges(c).map((e) => ({ from: e.upper, to: e.lower, weight: e.weight })) };
}

test('a circuit whose lower neurons each span every group is reported as carrying no information', () => {
  const l = lower(true);
  const c = circuit(l);
  assert.deepEqual(
    c.edges.filter((e) => e.from === 0).map((e) => e.weight),
    [-1, -1],
  );
  const why = uninformativeCircuit(c, l);
  assert.match(why ?? '', /fc -> block2 carries no information: .* 2 of its 2 core neurons have sub-concepts in every group/);
});

test('a circuit that tells groups apart has no note', () => {
  const l = lower(false);
  const c = circuit(l);
  assert.notEqual(c.edges.find((e) => e.from === 0 && e.to === 0)!.weight, c.edges.find((e) => e.from === 0 && e.to === 1)!.weight);
  assert.equal(uninformativeCircuit(c, l), undefined);
  assert.equal(uninformativeCircuit(c, {}), undefined, 'an ungrouped lower layer: nothing to say');
});

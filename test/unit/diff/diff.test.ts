/**
 * `neurflow diff` (issue 19): a result diffed with itself matches every group with similarity 1 and changes no
 * edge; two hand-made results, one with a group removed and an edge weight changed, differ by exactly that; clear
 * errors for a file that is not a result and for results of different classes; the assignment is optimal.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { runCli } from '../../helpers/cli';
import { DEFAULT_PARAMS } from '../../../src/engine/analysis/job';
import { maxAssignment } from '../../../src/engine/diff/assign';
import { diffResults, type ResultDiff } from '../../../src/engine/diff/diff';
import type { ResultDocument } from '../../../src/engine/result/schema';
import { parseResult, writeResult } from '../../../src/engine/result/store';
import { demoResult } from '../../helpers/demo-result';

function scratch(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'nf-diff-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

interface LayerSpec {
  name: string;
  shape: number[];
  /** Member neurons (channels) of each group. */
  groups: number[][];
}

/**
 * A small, valid result document: per layer, each group a set of neurons; a neuron in k groups has k
 * sub-concepts, one per group. Circuit edges as given.
 */
function handMade(layers: LayerSpec[], circuit: { upper: string; lower: string; edges: [number, number, number][] }[], className = 'triangle'): ResultDocument {
  const doc = {
    format: 'neurflow.result',
    version: 1,
    createdAt: '2025-01-01T00:00:00.000Z',
    complete: true,
    key: 'hand-made',
    model: { path: 'm.onnx', sha256: 'x', inputName: 'input', inputShape: [1, 3, 8, 8], labels: ['a', 'b', 'c', className], preprocessing: {} },
    runtime: { provider: 'cpu', threads: 1, versions: {} },
    dataset: { root: '/data', layout: 'imagefolder', fingerprint: 'f', imageCount: 1 },
    class: { index: 3, name: className, selection: 'predicted', images: ['triangle/0.png'] },
    params: {
      ...DEFAULT_PARAMS,
      layers: layers.map((l) => l.name),
      classIndex: 3,
      tau: 2,
      topCrops: 1,
      granularities: [1],
      igSteps: 8,
      exact: true,
      representatives: 1,
      debugGranularities: [1],
    },
    crops: { table: [[0, 1, 0, 0, 8, 8]], thumbnails: {} },
    layers: layers.map((l) => {
      const channels = [...new Set(l.groups.flat())].sort((a, b) => a - b);
      const pairs: [number, number][] = [];
      const members = l.groups.map(() => [] as number[]);
      const neurons = channels.map((channel) => {
        const inGroups = l.groups.flatMap((g, i) => (g.includes(channel) ? [i] : []));
        return { channel, inGroups };
      });
      for (const n of neurons) {
        n.inGroups.forEach((g, k) => {
          members[g].push(pairs.length);
          pairs.push([n.channel, k]);
        });
      }
      return {
        name: l.name,
        tensor: `${l.name}_out`,
        shape: l.shape,
        neurons: neurons.map((n) => ({
          channel: n.channel,
          parents: [],
          topCrops: [0],
          coreInputs: [],
          coreInputsIg: [],
          subconcepts: n.inGroups.map(() => ({ crops: [0], representatives: [0], conceptVector: [0], activation: 1, weights: [], rawWeights: [] })),
        })),
        grouping: { count: l.groups.length, auto: true, pairs, groups: members.map((m) => ({ members: m, representatives: m.slice(0, 1) })), silhouette: [] },
      };
    }),
    circuit: circuit.map((c) => ({ upper: c.upper, lower: c.lower, edges: c.edges.map(([from, to, weight]) => ({ from, to, weight })) })),
    timings: {},
  };
  // Through the real parser: the hand-made documents are valid results.
  return parseResult(JSON.stringify(doc), 'hand-made');
}

const edges = (up: number, low: number, w: (i: number, j: number) => number): [number, number, number][] =>
  Array.from({ length: up }, (_, i) => Array.from({ length: low }, (_, j) => [i, j, w(i, j)] as [number, number, number])).flat();

function assertSelfDiff(d: ResultDiff, doc: ResultDocument) {
  const grouped = doc.layers.filter((l) => l.grouping);
  assert.equal(d.layers.length, grouped.length);
  for (const [i, l] of d.layers.entries()) {
    assert.equal(l.by, 'neurons');
    assert.equal(l.matched.length, grouped[i].grouping!.groups.length, `${l.layer}: every group matched`);
    for (const m of l.matched) {
      assert.equal(m.similarity, 1, `${l.layer} G${m.a}`);
      assert.equal(m.a, m.b, `${l.layer}: each group matched to itself`);
      assert.equal(m.weakened, false);
    }
    assert.deepEqual([l.onlyInA, l.onlyInB], [[], []]);
  }
  assert.equal(
    d.edges.length,
    doc.circuit.reduce((s, c) => s + c.edges.length, 0),
  );
  for (const e of d.edges) {
    assert.deepEqual([e.upperB, e.lowerB, e.weightB], [e.upperA, e.lowerA, e.weightA]);
  }
  assert.deepEqual(d.goneOrWeakened, []);
}

test('diff: the demo result with itself: every group matched with similarity 1, every edge unchanged (engine and CLI)', async () => {
  const { doc, file } = await demoResult();
  assertSelfDiff(diffResults(doc, structuredClone(doc)), doc);
  const json = await runCli(['diff', file, file, '--json']);
  assert.equal(json.code, 0, json.err);
  const d = JSON.parse(json.out) as ResultDiff;
  assertSelfDiff(d, doc);
  assert.ok(d.layers.every((l) => l.matched.every((m) => 'a' in m && 'b' in m && 'similarity' in m)));
  const text = await runCli(['diff', file, file]);
  assert.equal(text.code, 0);
  assert.match(text.out, /similarity/);
  assert.match(text.out, /no group of A is gone or weakened in B/);
  assert.doesNotMatch(text.out, /GONE|WEAKENED/);
});

const LAYERS_A: LayerSpec[] = [
  { name: 'fc', shape: [4], groups: [[3], [3]] },
  {
    name: 'l3',
    shape: [8, 2, 2],
    groups: [
      [0, 1],
      [2, 3],
      [4, 5],
    ],
  },
  { name: 'l2', shape: [4, 4, 4], groups: [[0], [1, 2]] },
];

function pairOfResults() {
  const a = handMade(LAYERS_A, [
    { upper: 'fc', lower: 'l3', edges: edges(2, 3, () => 0.5) },
    { upper: 'l3', lower: 'l2', edges: edges(3, 2, () => 0.5) },
  ]);
  // B: l3's G1 (neurons 2, 3) removed with its edges; the edge l3 G0 -> l2 G1 weakened from 0.5 to 0.2.
  const b = handMade(
    [
      LAYERS_A[0],
      {
        ...LAYERS_A[1],
        groups: [
          [0, 1],
          [4, 5],
        ],
      },
      LAYERS_A[2],
    ],
    [
      { upper: 'fc', lower: 'l3', edges: edges(2, 2, () => 0.5) },
      { upper: 'l3', lower: 'l2', edges: edges(2, 2, (i, j) => (i === 0 && j === 1 ? 0.2 : 0.5)) },
    ],
  );
  return { a, b };
}

test('diff: a group removed and an edge changed are reported, and nothing else', () => {
  const { a, b } = pairOfResults();
  const d = diffResults(a, b);
  const l3 = d.layers.find((l) => l.layer === 'l3')!;
  assert.deepEqual(
    l3.matched.map((m) => [m.a, m.b, m.similarity]),
    [
      [0, 0, 1],
      [2, 1, 1],
    ],
  );
  assert.deepEqual(l3.onlyInA, [{ group: 1, share: 1 / 3, neurons: [2, 3] }]);
  assert.deepEqual(l3.onlyInB, []);
  for (const name of ['fc', 'l2']) {
    const l = d.layers.find((x) => x.layer === name)!;
    assert.deepEqual(
      l.matched.map((m) => [m.a, m.b, m.similarity]),
      [
        [0, 0, 1],
        [1, 1, 1],
      ],
      name,
    );
    assert.deepEqual([l.onlyInA, l.onlyInB], [[], []]);
  }
  assert.deepEqual(d.goneOrWeakened, [{ layer: 'l3', group: 1, status: 'gone', shareA: 1 / 3, shareB: 0, matchedB: null }]);
  const changed = d.edges.filter((e) => e.weightA !== e.weightB);
  assert.deepEqual(
    changed.map((e) => [e.layer, e.upperA, e.lowerA, e.upperB, e.lowerB, e.weightA, e.weightB]),
    [
      ['fc', 0, 1, 0, null, 0.5, 0], // into the removed group
      ['fc', 1, 1, 1, null, 0.5, 0],
      ['l3', 0, 1, 0, 1, 0.5, 0.2], // the changed edge
      ['l3', 1, 0, null, 0, 0.5, 0], // out of the removed group
      ['l3', 1, 1, null, 1, 0.5, 0],
    ],
  );
  assert.equal(d.edges.length, 6 + 6, 'every edge of A listed once; B has none A lacks');
});

test('diff CLI: the table flags the gone group and the weakened edge; clear errors for bad input', async (t) => {
  const dir = scratch(t);
  const { a, b } = pairOfResults();
  const [fa, fb] = [path.join(dir, 'a.neurflow-result.json'), path.join(dir, 'b.neurflow-result.json')];
  writeResult(fa, a);
  writeResult(fb, b);
  const text = await runCli(['diff', fa, fb]);
  assert.equal(text.code, 0, text.err);
  assert.match(text.out, /G1 +- .*GONE \(only in A; neurons 2,3\)/);
  assert.match(text.out, /l3 -> l2 +G0->G1 +G0->G1 +0\.500 +0\.200 +WEAKENED/);
  assert.match(text.out, /gone or weakened in B: l3 G1 gone/);
  const json = JSON.parse((await runCli(['diff', fa, fb, '--json'])).out) as ResultDiff;
  assert.deepEqual(Object.keys(json.edges[0]).slice(0, 7), ['layer', 'lowerLayer', 'upperA', 'lowerA', 'upperB', 'lowerB', 'weightA']);
  // Not a result.
  const notResult = path.join(dir, 'atlas.json');
  writeFileSync(notResult, JSON.stringify({ format: 'neurflow.atlas', classes: [] }));
  const bad = await runCli(['diff', fa, notResult]);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /atlas\.json: not a NeurFlow result: field "format" is "neurflow.atlas", expected "neurflow.result"/);
  // Different classes.
  const other = path.join(dir, 'c.neurflow-result.json');
  const c = structuredClone(b);
  c.class = { ...c.class, index: 1, name: 'square' };
  writeResult(other, c);
  const classes = await runCli(['diff', fa, other]);
  assert.equal(classes.code, 2);
  assert.match(classes.err, /explain different classes: class\.name "triangle" \(index 3\) vs "square" \(index 1\)/);
  const one = await runCli(['diff', fa]);
  assert.equal(one.code, 2);
  assert.match(one.err, /expected two result files A and B, got 1/);
});

test('diff: layers of another shape are matched by their activating crops', () => {
  const { a } = pairOfResults();
  const b = structuredClone(a);
  b.layers[1].shape = [16, 2, 2]; // l3 with another channel count: neuron ids are not comparable
  const d = diffResults(a, b);
  const l3 = d.layers.find((l) => l.layer === 'l3')!;
  assert.equal(l3.by, 'crops');
  assert.equal(l3.matched.length, 3, 'all share their one crop, so each is matched (by index on the tie)');
});

test('maxAssignment: the optimal one-to-one matching, rectangular either way', () => {
  assert.deepEqual(
    maxAssignment([
      [0.9, 0.8],
      [0.85, 0.1],
    ]),
    [1, 0],
    'greedy would take 0.9 + 0.1; the optimum is 0.8 + 0.85',
  );
  assert.deepEqual(maxAssignment([[0.1, 0.5, 0.2]]), [1]);
  assert.deepEqual(maxAssignment([[0.1], [0.5], [0.2]]), [-1, 0, -1]);
  assert.deepEqual(maxAssignment([]), []);
});

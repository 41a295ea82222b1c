/**
 * The IG model's exact reformulations (target channel slicing, affine part hoisted per sample, tap-decomposed
 * convolutions, fused frontier rows) against the plain VJP model run step by step on small random segments.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { splitAffine } from '../../../src/engine/grad/affine-split';
import { buildValueModel, buildVjpModel } from '../../../src/engine/grad/builder';
import { sliceUpperChannel } from '../../../src/engine/grad/channel-slice';
import { SegmentGradients } from '../../../src/engine/grad/ig';
import { buildIgModel } from '../../../src/engine/grad/ig-model';
import { Prepared } from '../../../src/engine/grad/prepared';
import { quadrature } from '../../../src/engine/grad/quadrature';
import { pruneTo, topoSort } from '../../../src/engine/grad/topo';
import { makeNode, makeTensor } from '../../../src/engine/onnx/build';
import { encodeModel, type ModelProto, type NodeProto, type TensorProto } from '../../../src/engine/onnx/proto';
import { OrtSession } from '../../../src/engine/runtime/ort';
import { forwardModel, probeShapes, randomValues, type Float } from './helpers';

let seed = 100;
const w = (name: string, dims: number[], scale = 0.5): TensorProto =>
  makeTensor(
    name,
    dims,
    randomValues(
      dims.reduce((a, b) => a * b, 1),
      seed++,
      'float32',
      scale,
    ) as Float32Array,
  );
const ints = (name: string, v: number[]): TensorProto => makeTensor(name, [v.length], v);

interface Case {
  name: string;
  inputShape: number[];
  nodes: NodeProto[];
  initializers: TensorProto[];
  targets: number[];
  dtype?: 'float32' | 'float64';
}

const CASES: Case[] = [
  {
    name: 'residual block with a stride-2 conv and a 1x1 downsample (upper rank 4)',
    inputShape: [3, 4, 8, 8],
    initializers: [w('w1', [6, 4, 3, 3]), w('b1', [6]), w('w2', [6, 6, 3, 3]), w('b2', [6]), w('wd', [6, 4, 1, 1]), w('bd', [6])],
    nodes: [
      makeNode('Conv', ['x', 'w1', 'b1'], ['c1'], { pads: [1, 1, 1, 1], strides: [2, 2] }),
      makeNode('Relu', ['c1'], ['r1']),
      makeNode('Conv', ['r1', 'w2', 'b2'], ['c2'], { pads: [1, 1, 1, 1] }),
      makeNode('Conv', ['x', 'wd', 'bd'], ['d'], { strides: [2, 2] }),
      makeNode('Add', ['c2', 'd'], ['s']),
      makeNode('Relu', ['s'], ['y']),
    ],
    targets: [0, 5],
  },
  {
    name: 'inverted residual: 1x1 conv, batch norm, ReLU6, depthwise dilated conv, batch norm, skip (upper = Add)',
    inputShape: [2, 4, 7, 7],
    initializers: [
      w('we', [8, 4, 1, 1]),
      w('g1', [8]),
      w('be1', [8]),
      w('m1', [8]),
      makeTensor('v1', [8], new Float32Array(8).fill(0.7)),
      w('wdw', [8, 1, 3, 3]),
      w('g2', [8]),
      w('be2', [8]),
      w('m2', [8]),
      makeTensor('v2', [8], new Float32Array(8).fill(1.3)),
      w('wp', [4, 8, 1, 1]),
      makeTensor('lo', [], Float32Array.of(0)),
      makeTensor('hi', [], Float32Array.of(0.6)),
    ],
    nodes: [
      makeNode('Conv', ['x', 'we'], ['e']),
      makeNode('BatchNormalization', ['e', 'g1', 'be1', 'm1', 'v1'], ['n1']),
      makeNode('Clip', ['n1', 'lo', 'hi'], ['r1']),
      makeNode('Conv', ['r1', 'wdw'], ['dw'], { group: 8, pads: [2, 2, 2, 2], dilations: [2, 2] }),
      makeNode('BatchNormalization', ['dw', 'g2', 'be2', 'm2', 'v2'], ['n2']),
      makeNode('Relu', ['n2'], ['r2']),
      makeNode('Conv', ['r2', 'wp'], ['p']),
      makeNode('Add', ['p', 'x'], ['y']),
    ],
    targets: [1, 3],
  },
  {
    name: 'depthwise top: the slice goes through batch norm and the depthwise conv down to a 1x1 conv',
    inputShape: [2, 3, 6, 6],
    initializers: [
      w('ue', [5, 3, 1, 1]),
      w('ug', [5]),
      w('ub', [5]),
      w('um', [5]),
      makeTensor('uv', [5], new Float32Array(5).fill(0.9)),
      w('udw', [5, 1, 3, 3]),
      w('udb', [5]),
      makeTensor('ulo', [], Float32Array.of(-0.2)),
      makeTensor('uhi', [], Float32Array.of(0.5)),
    ],
    nodes: [
      makeNode('Conv', ['x', 'ue'], ['e']),
      makeNode('Clip', ['e', 'ulo', 'uhi'], ['r']),
      makeNode('Conv', ['r', 'udw', 'udb'], ['dw'], { group: 5, pads: [2, 2, 2, 2], dilations: [2, 2] }),
      makeNode('BatchNormalization', ['dw', 'ug', 'ub', 'um', 'uv'], ['y']),
    ],
    targets: [0, 4],
  },
  {
    name: 'residual block whose conv biases are Identity copies of one initializer (torch shares equal ones so)',
    inputShape: [2, 4, 6, 6],
    initializers: [w('sw1', [4, 4, 3, 3]), w('sw2', [4, 4, 3, 3]), w('sb', [4])],
    nodes: [
      makeNode('Identity', ['sb'], ['sb1']),
      makeNode('Identity', ['sb1'], ['sb2']),
      makeNode('Conv', ['x', 'sw1', 'sb1'], ['c1'], { pads: [1, 1, 1, 1] }),
      makeNode('Relu', ['c1'], ['r1']),
      makeNode('Conv', ['r1', 'sw2', 'sb2'], ['c2'], { pads: [1, 1, 1, 1] }),
      makeNode('Add', ['c2', 'x'], ['s']),
      makeNode('Relu', ['s'], ['y']),
    ],
    targets: [0, 3],
  },
  {
    name: 'classifier head: global pool, flatten, Gemm (the whole segment is affine; upper rank 2)',
    inputShape: [3, 5, 4, 4],
    initializers: [w('wf', [3, 5]), w('bf', [3])],
    nodes: [makeNode('GlobalAveragePool', ['x'], ['g']), makeNode('Flatten', ['g'], ['f']), makeNode('Gemm', ['f', 'wf', 'bf'], ['y'], { transB: 1 })],
    targets: [0, 2],
  },
  {
    name: 'float64 MLP: Gemm, Relu, MatMul, Add (no conv kernels in float64)',
    inputShape: [3, 6],
    dtype: 'float64',
    initializers: [
      makeTensor('m1', [5, 6], randomValues(30, 501, 'float64') as Float64Array),
      makeTensor('c1', [5], randomValues(5, 502, 'float64') as Float64Array),
      makeTensor('m2', [5, 3], randomValues(15, 503, 'float64') as Float64Array),
      makeTensor('c2', [3], randomValues(3, 504, 'float64') as Float64Array),
    ],
    nodes: [
      makeNode('Gemm', ['x', 'm1', 'c1'], ['h'], { transB: 1 }),
      makeNode('Relu', ['h'], ['r']),
      makeNode('MatMul', ['r', 'm2'], ['q']),
      makeNode('Add', ['q', 'c2'], ['y']),
    ],
    targets: [0, 2],
  },
  {
    name: 'single-channel convs with stride 2, asymmetric pads, a 2x3 kernel and dilation (tap decomposition)',
    inputShape: [2, 3, 9, 10],
    initializers: [w('w0', [4, 3, 1, 1]), w('wa', [3, 4, 3, 3]), w('wb', [2, 3, 2, 3]), w('bb', [2])],
    nodes: [
      makeNode('Conv', ['x', 'w0'], ['h']),
      makeNode('Sigmoid', ['h'], ['s']),
      makeNode('Conv', ['s', 'wa'], ['c'], { pads: [2, 1, 2, 1], dilations: [2, 1] }),
      makeNode('Tanh', ['c'], ['t']),
      makeNode('Conv', ['t', 'wb', 'bb'], ['y'], { pads: [0, 1, 1, 0], strides: [2, 2] }),
    ],
    targets: [1],
  },
  {
    name: 'shape arithmetic on the input read per step, upper made by Reshape (no hoisting, run-time Gather)',
    inputShape: [2, 4, 3, 3],
    initializers: [w('k', [1, 4, 1, 1]), ints('rest', [3, 12]), ints('zero', [0])],
    nodes: [
      makeNode('Mul', ['x', 'k'], ['m']),
      makeNode('Sigmoid', ['m'], ['s']),
      makeNode('Shape', ['x'], ['sh']),
      makeNode('Gather', ['sh', 'zero'], ['n']),
      makeNode('Concat', ['n', 'rest'], ['shape'], { axis: 0 }),
      makeNode('Reshape', ['s', 'shape'], ['y']),
    ],
    targets: [0, 2],
  },
];

const byName = (prefix: string): Case => CASES.find((c) => c.name.startsWith(prefix))!;

async function prepare(c: Case): Promise<{ model: ModelProto; shapes: Map<string, number[]> }> {
  const model = forwardModel({ inputShape: c.inputShape, nodes: c.nodes, initializers: c.initializers, dtype: c.dtype });
  return { model, shapes: await probeShapes(model, c.inputShape, c.dtype ?? 'float32') };
}

/** IG, gradients and F_j(a) - F_j(0) the slow way: the VJP model at every step, the full forward model. */
async function reference(model: ModelProto, shapes: Map<string, number[]>, a: Float, dims: number[], j: number, steps: number) {
  const vjp = await OrtSession.create(encodeModel(buildVjpModel(model, shapes)), 'vjp', { threads: 1 });
  const fwd = await OrtSession.create(encodeModel(buildValueModel(model, shapes)), 'value', { threads: 1 });
  try {
    const [n, c] = dims;
    const per = a.length / n;
    const y = shapes.get('y')!;
    const positions = y.slice(2).reduce((p, d) => p * d, 1);
    const make = (len: number): Float => (a instanceof Float64Array ? new Float64Array(len) : new Float32Array(len));
    const g = make(n * y.slice(1).reduce((p, d) => p * d, 1));
    const perOut = g.length / n;
    for (let s = 0; s < n; s++) for (let q = 0; q < positions; q++) g[s * perOut + j * positions + q] = 1 / positions;
    const run = async (scale: number) =>
      (await vjp.run({ a: { data: a.map((v) => v * scale), dims }, g: { data: g, dims: [n, ...y.slice(1)] } })).grad_a.data as Float;
    const { alphas, weights } = quadrature('gausslegendre', steps);
    const ig = new Float64Array(n * c);
    for (let k = 0; k < steps; k++) {
      const grad = await run(alphas[k]);
      for (let i = 0; i < a.length; i++) ig[Math.floor(i / (per / c))] += weights[k] * a[i] * grad[i];
    }
    const value = async (x: Float, m: number) => (await fwd.run({ a: { data: x, dims: [m, ...dims.slice(1)] } })).value.data as Float;
    const fa = await value(a, n);
    const f0 = await value(make(per), 1);
    const cu = fa.length / n;
    return { ig, grad: await run(1), delta: Array.from({ length: n }, (_, s) => fa[s * cu + j] - f0[j]) };
  } finally {
    await vjp.release();
    await fwd.release();
  }
}

function rel(ours: ArrayLike<number>, ref: ArrayLike<number>): number {
  let err = 0;
  let scale = 0;
  for (let i = 0; i < ref.length; i++) {
    err = Math.max(err, Math.abs(ours[i] - ref[i]));
    scale = Math.max(scale, Math.abs(ref[i]));
  }
  assert.ok(scale > 1e-6, 'reference is all zeros: the case checks nothing');
  return err / scale;
}

for (const c of CASES) {
  test(`IG model = VJP model step by step: ${c.name}`, async () => {
    const { model, shapes } = await prepare(c);
    const n = c.inputShape[0];
    const a = randomValues(
      c.inputShape.reduce((p, d) => p * d, 1),
      seed++,
      c.dtype,
    );
    // rowsPerRun 10 with 8 (+2) steps: one sample per run, so chunking is exercised too.
    const seg = await SegmentGradients.create(model, shapes, { threads: 1, rowsPerRun: 10 });
    try {
      for (const j of c.targets) {
        const ref = await reference(model, shapes, a, c.inputShape, j, 8);
        const [ig] = await seg.integratedGradients(a, n, [j], { steps: 8 });
        const [grad] = await seg.gradients(a, n, [j]);
        const errs = { ig: rel(ig.attributions, ref.ig), grad: rel(grad, ref.grad), delta: rel(ig.delta, ref.delta) };
        for (const [what, e] of Object.entries(errs)) assert.ok(e < 1e-5, `target ${j}: ${what} relative error ${e.toExponential(2)}`);
      }
    } finally {
      await seg.release();
    }
  });
}

test('channel slicing reaches into the weights; the affine bottom runs per sample', async () => {
  const { model, shapes } = await prepare(byName('residual block'));
  const p = new Prepared(model, shapes, ['j']);
  p.shapes.set('j', [1]);
  const sliced = sliceUpperChannel(p, p.nodes, 'j');
  const forward = topoSort(pruneTo(sliced.nodes, [sliced.upper]));
  // The second conv and the downsample compute one channel (their weights are gathered by j); no full-width
  // copy of them is left, and nothing gathers an activation.
  const convs = forward.filter((n) => n.opType === 'Conv');
  assert.equal(convs.length, 3);
  assert.deepEqual(
    convs.map((n) => forward.some((m) => m.opType === 'Gather' && m.output[0] === n.input[1])),
    [false, true, true],
  );
  assert.ok(!forward.some((n) => n.opType === 'Gather' && ['c2', 'd', 's', 'y', 'x'].includes(n.input[0])));
  const split = splitAffine(forward, p.lower, sliced.upper);
  assert.deepEqual(
    split.sampleNodes.filter((n) => n.opType === 'Conv').map((n) => n.input[0]),
    ['x', 'x'],
  );
  assert.deepEqual(
    split.rowNodes.map((n) => n.opType),
    ['Relu', 'Conv', 'Add', 'Relu'],
  );
  assert.equal(split.frontier.length, 2);

  // Shape arithmetic read per step: nothing is hoisted, the input itself is the frontier.
  const other = await prepare(byName('shape arithmetic'));
  const q = new Prepared(other.model, other.shapes, ['j']);
  q.shapes.set('j', [1]);
  const s2 = sliceUpperChannel(q, q.nodes, 'j');
  const split2 = splitAffine(topoSort(pruneTo(s2.nodes, [s2.upper])), q.lower, s2.upper);
  assert.deepEqual(split2.sampleNodes, []);
  assert.deepEqual(split2.frontier, ['x']);

  // Depthwise top: every conv computes one channel, from the 1x1 conv up.
  const dw = await prepare(byName('depthwise top'));
  const r = new Prepared(dw.model, dw.shapes, ['j']);
  r.shapes.set('j', [1]);
  const s3 = sliceUpperChannel(r, r.nodes, 'j');
  const f3 = topoSort(pruneTo(s3.nodes, [s3.upper]));
  const convs3 = f3.filter((n) => n.opType === 'Conv');
  assert.equal(convs3.length, 2);
  for (const conv of convs3) assert.deepEqual(r.shape(conv.output[0])?.slice(0, 2), [1, 1]);
});

test('the IG model runs the per-step part on one upper channel only', async () => {
  const { model, shapes } = await prepare(byName('residual block'));
  const built = buildIgModel(model, shapes);
  // Per row: the frontier (6 channels of 4x4 after the stride-2 conv, + 1 downsample channel), Relu 6x4x4,
  // the single-channel conv, Add and Relu (1x4x4 each).
  assert.equal(built.valuesPerRow, 6 * 16 + 16 + 6 * 16 + 3 * 16);
  assert.deepEqual(
    built.model.graph.input.map((i) => i.name),
    ['a', 'alpha', 'w', 'j'],
  );
  assert.deepEqual(
    built.model.graph.output.map((o) => o.name),
    ['grad', 'contrib', 'value'],
  );
});

test("runs split a sample's steps when they exceed rowsPerRun; results do not depend on the run size", async () => {
  const { model, shapes } = await prepare(byName('residual block'));
  const n = 3;
  const a = randomValues(n * 4 * 8 * 8, 77) as Float32Array;
  const results = [];
  for (const rowsPerRun of [3, 1000]) {
    const seg = await SegmentGradients.create(model, shapes, { threads: 1, rowsPerRun });
    try {
      results.push((await seg.integratedGradients(a, n, [2], { steps: 8 }))[0]);
    } finally {
      await seg.release();
    }
  }
  assert.ok(rel(results[0].attributions, results[1].attributions) < 1e-6);
  assert.ok(rel(results[0].delta, results[1].delta) < 1e-6);
  assert.ok(results[0].relativeCompletenessError < 0.05, `completeness ${results[0].relativeCompletenessError}`);
});

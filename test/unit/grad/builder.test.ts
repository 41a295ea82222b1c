import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildTargetModel, buildVjpModel } from '../../../src/engine/grad/builder';
import { SegmentGradients } from '../../../src/engine/grad/ig';
import { makeRegistry, RULES, RULE_LIST } from '../../../src/engine/grad/registry';
import { GradientError } from '../../../src/engine/errors';
import { makeNode, makeTensor } from '../../../src/engine/onnx/build';
import { encodeModel } from '../../../src/engine/onnx/proto';
import { OrtSession } from '../../../src/engine/runtime/ort';
import { forwardModel, probeShapes, randomValues } from './helpers';

const ISSUE_OPS = [
  'Conv',
  'Relu',
  'LeakyRelu',
  'Clip',
  'Sigmoid',
  'HardSigmoid',
  'HardSwish',
  'Mul',
  'Add',
  'Sub',
  'Div',
  'BatchNormalization',
  'MaxPool',
  'AveragePool',
  'GlobalAveragePool',
  'ReduceMean',
  'Gemm',
  'MatMul',
  'Flatten',
  'Reshape',
  'Transpose',
  'Concat',
  'Split',
  'Slice',
  'Pad',
  'Identity',
  'Dropout',
  'LRN',
  'Softmax',
];

test('every operator named in the issue has a rule; the table refuses duplicates', () => {
  for (const op of ISSUE_OPS) assert.ok(RULES.has(op), `no rule for ${op}`);
  assert.equal(RULES.size, RULE_LIST.length);
  assert.throws(() => makeRegistry([RULES.get('Relu')!, RULES.get('Relu')!]), /two backward rules registered for operator Relu/);
});

test('an unsupported operator on the path is an error naming the operator and the node', async () => {
  // Sin: an operator no image classifier needs (Erf, the example before, has a rule now).
  const model = forwardModel({ inputShape: [1, 4], nodes: [makeNode('Sin', ['x'], ['e'], {}, 'my/sin/node'), makeNode('Relu', ['e'], ['y'])] });
  const shapes = new Map([
    ['x', [1, 4]],
    ['e', [1, 4]],
    ['y', [1, 4]],
  ]);
  assert.throws(
    () => buildVjpModel(model, shapes),
    (e: unknown) => e instanceof GradientError && /operator Sin/.test(e.message) && /my\/sin\/node/.test(e.message),
  );
});

test('shape-only and constant branches need no rule (Erf on a shape, ArgMax side branch)', async () => {
  const model = forwardModel({
    inputShape: [2, 3],
    dtype: 'float64',
    nodes: [
      makeNode('ArgMax', ['x'], ['am'], { axis: 1 }), // off the cotangent path, no rule needed
      makeNode('Shape', ['x'], ['s']),
      makeNode('Reshape', ['x', 's'], ['r']),
      makeNode('Sigmoid', ['r'], ['y']),
    ],
  });
  const shapes = await probeShapes(model, [2, 3], 'float64');
  const vjp = buildVjpModel(model, shapes);
  assert.ok(!vjp.graph.node.some((n) => n.opType === 'ArgMax'), 'the side branch is pruned');
  assert.equal(vjp.opsetImport[0].version, 17);
});

test('the fused target model equals the VJP model fed the matching cotangent, and IG is complete', async () => {
  // conv -> relu -> conv -> mean: a tiny segment with every target-model feature (alpha scaling, rows, t).
  const w1 = makeTensor('w1', [4, 3, 3, 3], randomValues(108, 3) as Float32Array);
  const w2 = makeTensor('w2', [5, 4, 3, 3], randomValues(180, 4) as Float32Array);
  const model = forwardModel({
    inputShape: [2, 3, 6, 6],
    initializers: [w1, w2],
    nodes: [
      makeNode('Conv', ['x', 'w1'], ['c1'], { pads: [1, 1, 1, 1] }),
      makeNode('Relu', ['c1'], ['r1']),
      makeNode('Conv', ['r1', 'w2'], ['y'], { pads: [1, 1, 1, 1], strides: [2, 2] }),
    ],
  });
  const shapes = await probeShapes(model, [2, 3, 6, 6], 'float32');
  const a = randomValues(2 * 108, 9) as Float32Array;
  // VJP with g = one-hot channel 3 / (3*3) at every position.
  const vjp = await OrtSession.create(encodeModel(buildVjpModel(model, shapes)), 'vjp', { threads: 1 });
  const g = new Float32Array(2 * 5 * 9);
  for (let n = 0; n < 2; n++) for (let p = 0; p < 9; p++) g[(n * 5 + 3) * 9 + p] = 1 / 9;
  const expected = (await vjp.run({ a: { data: a, dims: [2, 3, 6, 6] }, g: { data: g, dims: [2, 5, 3, 3] } })).grad_a.data as Float32Array;
  await vjp.release();
  assert.ok(
    buildTargetModel(model, shapes)
      .graph.input.map((i) => i.name)
      .join() === 'a,rows,alpha,t',
  );
  const seg = await SegmentGradients.create(model, shapes, { threads: 1, rowsPerRun: 7 });
  try {
    const [grad] = await seg.gradients(a, 2, [3]);
    let err = 0;
    for (let i = 0; i < grad.length; i++) err = Math.max(err, Math.abs(grad[i] - expected[i]));
    assert.ok(err < 1e-6, `target-model gradient differs from VJP by ${err}`);
    const [ig] = await seg.integratedGradients(a, 2, [3], { steps: 64 });
    assert.equal(ig.attributions.length, 2 * 3);
    assert.ok(ig.delta.some((d) => Math.abs(d) > 1e-3));
    assert.ok(ig.relativeCompletenessError < 0.02, `completeness ${ig.relativeCompletenessError}`);
    // Pairs API: same numbers for the same (sample, target), independent of the other pairs in the batch.
    const pairs = await seg.integratedGradientsPairs(
      a,
      2,
      [
        { sample: 1, target: 3 },
        { sample: 0, target: 0 },
      ],
      { steps: 64 },
    );
    for (let c = 0; c < 3; c++) assert.ok(Math.abs(pairs.attributions[c] - ig.attributions[3 + c]) < 1e-6);
    await assert.rejects(seg.gradients(a, 2, [5]), /target 5 is not a channel/);
  } finally {
    await seg.release();
  }
});

test('GradientError for a segment without a single activation input', () => {
  const model = forwardModel({ inputShape: [1, 2], nodes: [makeNode('Add', ['x', 'z'], ['y'])] });
  model.graph.input.push({ name: 'z' });
  assert.throws(() => buildVjpModel(model, new Map()), /expected one activation input, found 2/);
});

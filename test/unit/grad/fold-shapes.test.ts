/**
 * Shape-arithmetic folding (src/engine/grad/fold-shapes.ts): the evaluator on small hand-built graphs, the
 * batch-dependence it must never fold, and the backward of a ShuffleNetV2-style block (channel split by
 * `Shape -> Gather -> Div -> Mul` Slice bounds, channel shuffle by a `[B, 2, C/2, H, W]` Reshape) checked
 * against finite differences at batch 2 (shapes probed at batch 1) and through the IG model.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { foldShapes, replaceFolded, type PartialValue } from '../../../src/engine/grad/fold-shapes';
import { SegmentGradients } from '../../../src/engine/grad/ig';
import { makeNode, makeTensor } from '../../../src/engine/onnx/build';
import { DataType, type NodeProto, type TensorProto } from '../../../src/engine/onnx/proto';
import { fdTests } from './cases';
import { forwardModel, probeShapes, randomValues } from './helpers';

const i64 = (name: string, v: number[], dims = [v.length]) => makeTensor(name, dims, v);
const node = (op: string, inputs: string[], outputs: string[], attrs: Parameters<typeof makeNode>[3] = {}) => makeNode(op, inputs, outputs, attrs, outputs[0]);

/** foldShapes on `nodes` with x of static shape `xShape` (batch 1) as the source. */
function fold(nodes: NodeProto[], xShape: number[], initializers: TensorProto[] = [], shapes: Record<string, number[]> = {}) {
  return foldShapes({ nodes, shapes: new Map(Object.entries({ x: xShape, ...shapes })), sources: ['x'], initializers });
}
const plain = (v: PartialValue | undefined) => v?.values.map((e) => (typeof e === 'object' ? `${e.c}B^${e.p}` : e));

/**
 * A ShuffleNetV2 unit as torch 1.13 exports it: x [B, C, H, W] -> Relu -> chunk(2, dim 1) by Slice with
 * bounds from Shape(x)[1] -> branch (per-channel scale, Sigmoid; float64 has no Conv kernel) on the second half -> Concat -> channel shuffle
 * (Reshape [B, 2, C/2, H, W] built from Shape, Transpose, Reshape [B, -1, H, W]) -> y.
 */
function shuffleBlock(C: number, dtype: 'float32' | 'float64' = 'float64'): { nodes: NodeProto[]; initializers: TensorProto[] } {
  const half = C / 2;
  const initializers = [
    i64('one', [1]),
    i64('zero', [0]),
    i64('two_s', [2], []),
    i64('two', [2]),
    i64('minus1', [-1]),
    i64('idx0', [0], []),
    i64('idx1', [1], []),
    i64('idx2', [2], []),
    i64('idx3', [3], []),
    i64('ax0', [0]),
    makeTensor('w', [1, half, 1, 1], randomValues(half, 7, dtype)),
  ];
  const nodes = [
    node('Relu', ['x'], ['r']),
    // x.chunk(2, dim=1): Slice bounds (C + 1) / 2 * k from the shape.
    node('Shape', ['r'], ['s']),
    node('Gather', ['s', 'idx1'], ['c'], { axis: 0 }),
    node('Add', ['c', 'one'], ['c1']),
    node('Div', ['c1', 'two'], ['h']),
    node('Mul', ['h', 'one'], ['end0']),
    node('Mul', ['h', 'two'], ['end1']),
    node('Slice', ['r', 'zero', 'end0', 'one'], ['x1']),
    node('Slice', ['r', 'end0', 'end1', 'one'], ['x2']),
    node('Mul', ['x2', 'w'], ['b']),
    node('Sigmoid', ['b'], ['bs']),
    node('Concat', ['x1', 'bs'], ['cat'], { axis: 1 }),
    // channel_shuffle(cat, 2): view(B, 2, C/2, H, W), transpose(1, 2), view(B, -1, H, W).
    node('Shape', ['cat'], ['s2']),
    node('Gather', ['s2', 'idx0'], ['bsz']),
    node('Gather', ['s2', 'idx1'], ['nc']),
    node('Gather', ['s2', 'idx2'], ['hh']),
    node('Gather', ['s2', 'idx3'], ['ww']),
    node('Div', ['nc', 'two_s'], ['cpg']),
    node('Unsqueeze', ['bsz', 'ax0'], ['bsz1']),
    node('Unsqueeze', ['cpg', 'ax0'], ['cpg1']),
    node('Unsqueeze', ['hh', 'ax0'], ['hh1']),
    node('Unsqueeze', ['ww', 'ax0'], ['ww1']),
    node('Concat', ['bsz1', 'two', 'cpg1', 'hh1', 'ww1'], ['t5'], { axis: 0 }),
    node('Reshape', ['cat', 't5'], ['v5']),
    node('Transpose', ['v5'], ['tr'], { perm: [0, 2, 1, 3, 4] }),
    node('Concat', ['bsz1', 'minus1', 'hh1', 'ww1'], ['t4'], { axis: 0 }),
    node('Reshape', ['tr', 't4'], ['y']),
  ];
  return { nodes, initializers };
}

test('shuffle block: the channel-split Slice bounds fold, the batch elements of the Reshape targets do not', async () => {
  const block = shuffleBlock(6);
  const shapes = await probeShapes(forwardModel({ ...block, inputShape: [1, 6, 3, 3], dtype: 'float64' }), [1, 6, 3, 3], 'float64');
  const f = foldShapes({ nodes: block.nodes, shapes, sources: ['x'], initializers: block.initializers });
  assert.deepEqual(f.constants.get('end0')?.values, [3]);
  assert.deepEqual(f.constants.get('end1')?.values, [6]);
  assert.equal(f.constants.get('end1')?.dataType, DataType.INT64);
  // [B, 2, 3, 3, 3]: the batch stays symbolic, so the targets are computed at run time.
  assert.deepEqual(plain(f.values.get('t5')), ['1B^1', 2, 3, 3, 3]);
  assert.deepEqual(plain(f.values.get('t4')), ['1B^1', -1, 3, 3]);
  assert.ok(!f.constants.has('t5') && !f.constants.has('t4') && !f.constants.has('bsz'));
  // view(B, -1, H, W): -1 = B*C*H*W / (B*H*W) does not depend on the batch.
  assert.deepEqual(f.batchPowers.get('y'), [1, 0, 0, 0]);
  assert.deepEqual(f.batchPowers.get('v5'), [1, 0, 0, 0, 0]);
  // The folded chains become Constant nodes; the batch-dependent ones keep their Shape nodes.
  const replaced = replaceFolded(block.nodes, f);
  const producer = (t: string) => replaced.find((n) => n.output.includes(t))!;
  assert.equal(producer('end0').opType, 'Constant');
  assert.equal(producer('h').opType, 'Constant');
  assert.equal(producer('t5').opType, 'Concat');
  assert.equal(producer('bsz').opType, 'Gather');
});

fdTests([
  { name: 'shuffle block (folded channel split + batch-dependent channel shuffle), batch 2', dtype: 'float64', inputShape: [2, 6, 3, 3], ...shuffleBlock(6) },
  { name: 'shuffle block, 4 channels (split bound (C + 1) / 2 by integer division), batch 3', dtype: 'float64', inputShape: [3, 4, 2, 2], ...shuffleBlock(4) },
]);

test('shuffle block: IG over many rows (batch P*K) runs and is complete', async () => {
  const block = shuffleBlock(6, 'float32');
  const model = forwardModel({ ...block, inputShape: [1, 6, 3, 3], dtype: 'float32' });
  const shapes = await probeShapes(model, [1, 6, 3, 3], 'float32');
  const sg = await SegmentGradients.create(model, shapes, { threads: 1 });
  try {
    const a = Float32Array.from(randomValues(2 * 54, 3, 'float32'));
    const res = await sg.integratedGradients(a, 2, [4], { steps: 16 });
    for (const r of res) assert.ok(r.relativeCompletenessError < 1e-3, `completeness ${r.relativeCompletenessError}`);
  } finally {
    await sg.release();
  }
});

test('fold: integer Div truncates, Cast rounds to the target type, Mod follows the divisor sign', () => {
  const nodes = [
    node('Constant', [], ['a'], { value: i64('a', [7, -7]) }),
    node('Div', ['a', 'two'], ['q']),
    node('Mod', ['a', 'three'], ['m']),
    node('Cast', ['a'], ['af'], { to: DataType.FLOAT }),
    node('Div', ['af', 'twof'], ['qf']),
    node('Cast', ['qf'], ['qi'], { to: DataType.INT64 }),
    node('Sqrt', ['af'], ['nan']),
  ];
  const f = fold(nodes, [1, 2], [i64('two', [2]), i64('three', [3]), makeTensor('twof', [], Float32Array.from([2]))]);
  assert.deepEqual(f.constants.get('q')?.values, [3, -3]);
  assert.deepEqual(f.constants.get('m')?.values, [1, 2]);
  assert.deepEqual(f.constants.get('qf')?.values, [3.5, -3.5]);
  assert.equal(f.constants.get('qf')?.dataType, DataType.FLOAT);
  assert.deepEqual(f.constants.get('qi')?.values, [3, -3]);
  // sqrt(-7) is not a number: unknown, not folded.
  assert.ok(!f.constants.has('nan'));
});

test('fold: a transposed or flattened batch axis is never folded', () => {
  const nodes = [
    node('Transpose', ['x'], ['t'], { perm: [1, 0, 2, 3] }),
    node('Shape', ['t'], ['st']),
    node('Flatten', ['x'], ['fl'], { axis: 2 }),
    node('Shape', ['fl'], ['sf']),
    node('Reshape', ['x', 'target'], ['rs']),
    node('Shape', ['rs'], ['sr']),
    node('Size', ['x'], ['n']),
    node('ReduceMean', ['x'], ['gm'], { axes: [0], keepdims: 1 }),
    node('Shape', ['gm'], ['sg']),
  ];
  const f = fold(nodes, [1, 4, 3, 5], [i64('target', [-1, 15])], { t: [4, 1, 3, 5], fl: [4, 15], rs: [4, 15], gm: [1, 4, 3, 5] });
  assert.deepEqual(plain(f.values.get('st')), [4, '1B^1', 3, 5]);
  assert.deepEqual(plain(f.values.get('sf')), ['4B^1', 15]);
  // view(-1, 15): 60 B / 15 = 4 B rows.
  assert.deepEqual(plain(f.values.get('sr')), ['4B^1', 15]);
  assert.deepEqual(plain(f.values.get('n')), ['60B^1']);
  // Reducing over the batch axis makes it static.
  assert.deepEqual(f.constants.get('sg')?.values, [1, 4, 3, 5]);
  for (const t of ['st', 'sf', 'sr', 'n']) assert.ok(!f.constants.has(t), `${t} must not fold`);
});

test('fold: batch monomials cancel exactly (B*C*H / B, Sym comparisons, Where of the exporter expand(-1) pattern)', () => {
  const nodes = [
    node('Shape', ['x'], ['s']),
    node('ReduceProd', ['s'], ['total'], { keepdims: 0 }),
    node('Gather', ['s', 'idx0'], ['b']),
    node('Div', ['total', 'b'], ['per']),
    node('Mul', ['b', 'three'], ['b3']),
    node('Div', ['b3', 'two'], ['halfb']),
    // torch's expand(n, -1, -1): Where(Equal(shape, -1), ones, shape).
    node('Concat', ['b1', 'minus1', 'minus1'], ['shp'], { axis: 0 }),
    node('Equal', ['shp', 'minus1'], ['eq']),
    node('ConstantOfShape', ['three1'], ['ones'], { value: makeTensor('v', [1], [1]) }),
    node('Mul', ['ones', 'minus1'], ['neg']),
    node('Where', ['eq', 'ones', 'shp'], ['wh']),
    node('Greater', ['b', 'zero'], ['pos']),
    node('Unsqueeze', ['b', 'ax0'], ['b1']),
  ];
  // Unsqueeze must come before Concat: sort by hand.
  const ordered = [...nodes.slice(0, 6), nodes[12], ...nodes.slice(6, 12)];
  const f = fold(
    ordered,
    [1, 2, 3],
    [i64('idx0', [0], []), i64('three', [3], []), i64('two', [2], []), i64('minus1', [-1]), i64('ax0', [0]), i64('three1', [3]), makeTensor('zero', [], [0])],
  );
  assert.deepEqual(f.constants.get('per')?.values, [6]);
  // 3B / 2 is not an integer for every B: unknown.
  assert.equal(f.values.get('halfb')?.values[0], undefined);
  assert.deepEqual(f.constants.get('eq')?.values, [0, 1, 1]);
  assert.deepEqual(plain(f.values.get('wh')), ['1B^1', 1, 1]);
  assert.deepEqual(f.constants.get('pos')?.values, [1]);
});

test('fold: Range, Slice of a shape with INT64_MAX ends, Squeeze, Expand, Tile and Split of shape values', () => {
  const big = makeTensor('big', [1], BigInt64Array.from([9223372036854775807n]));
  const nodes = [
    node('Shape', ['x'], ['s']),
    node('Slice', ['s', 'one', 'big'], ['spatial']),
    node('ReduceProd', ['spatial'], ['hw'], { keepdims: 1 }),
    node('Squeeze', ['hw', 'ax0'], ['hws']),
    node('Range', ['zero_s', 'hws', 'two_s'], ['rng']),
    node('Expand', ['rng', 'shape23'], ['ex']),
    node('Tile', ['spatial', 'reps'], ['tl']),
    node('Split', ['s', 'split'], ['p0', 'p1'], { axis: 0 }),
  ];
  const f = fold(
    nodes,
    [1, 2, 3],
    [big, i64('one', [1]), i64('ax0', [0]), i64('zero_s', [0], []), i64('two_s', [2], []), i64('shape23', [2, 3]), i64('reps', [2]), i64('split', [1, 2])],
  );
  assert.deepEqual(f.constants.get('spatial')?.values, [2, 3]);
  assert.deepEqual(f.constants.get('rng')?.values, [0, 2, 4]);
  assert.deepEqual(f.constants.get('ex')?.dims, [2, 3]);
  assert.deepEqual(f.constants.get('tl')?.values, [2, 3, 2, 3]);
  assert.deepEqual(f.constants.get('p1')?.values, [2, 3]);
  assert.deepEqual(plain(f.values.get('p0')), ['1B^1']);
});

test('fold: an operator without a propagation rule makes its output shape unknown (not folded)', () => {
  const nodes = [node('NonZero', ['x'], ['nz']), node('Shape', ['nz'], ['s']), node('Gather', ['s', 'idx0'], ['rank'])];
  const f = fold(nodes, [1, 4], [i64('idx0', [0], [])], { nz: [2, 3] });
  assert.equal(f.batchPowers.get('nz'), 'unknown');
  assert.ok(!f.constants.has('rank'));
});

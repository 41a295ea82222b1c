/**
 * Segments whose shape arithmetic reads a tensor below the lower cut (src/engine/onnx/submodel.ts,
 * shapeBelowCut): `n = input.shape[0]` taken at the top of a forward and used after the cut (ViT's class
 * token expand, timm's `B, N, C = x.shape` reshapes). The Shape node is rewritten from the tensor's static
 * shape and the segment input's run-time batch; a tensor whose other axes depend on the batch is an error that
 * names the node and the tensor. The gradient model of such a segment builds and matches finite differences.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SegmentGradients } from '../../../src/engine/grad/ig';
import { makeGraph, makeModel, makeNode, makeTensor, makeValueInfo } from '../../../src/engine/onnx/build';
import { loadModelFromBytes } from '../../../src/engine/onnx/model';
import { DataType, encodeModel, type NodeProto, type TensorProto } from '../../../src/engine/onnx/proto';
import { inferShapes } from '../../../src/engine/onnx/shapes';
import { segment } from '../../../src/engine/onnx/submodel';
import { ModelError } from '../../../src/engine/errors';
import { OrtSession } from '../../../src/engine/runtime/ort';
import { randomValues } from './helpers';

/**
 * input [N, 3, 2, 2] -> Relu (lower) -> Sigmoid -> Reshape to [n, -1] (n = Shape(input)[0], taken BELOW the
 * lower cut) -> Mul by Shape(input)[2:3] cast to float (a static axis of the same tensor, = 2) -> y [N, 12].
 * `extra` nodes and initializers are added (for the error case).
 */
function modelBytes(extra: NodeProto[] = [], output = 'y', extraInits: TensorProto[] = []): Uint8Array {
  const nodes = [
    makeNode('Shape', ['input'], ['s'], {}, '/Shape'),
    makeNode('Gather', ['s', 'idx0'], ['n'], { axis: 0 }, '/Gather'),
    makeNode('Unsqueeze', ['n', 'ax0'], ['n1'], {}, '/Unsqueeze'),
    makeNode('Concat', ['n1', 'minus1'], ['target'], { axis: 0 }, '/Concat'),
    makeNode('Shape', ['input'], ['s_len'], { start: 2, end: 3 }, '/Shape_len'),
    makeNode('Cast', ['s_len'], ['len_f'], { to: DataType.FLOAT }, '/Cast'),
    makeNode('Relu', ['input'], ['lower'], {}, '/Relu'),
    makeNode('Sigmoid', ['lower'], ['sig'], {}, '/Sigmoid'),
    makeNode('Reshape', ['sig', 'target'], ['flat'], {}, '/Reshape'),
    makeNode('Mul', ['flat', 'len_f'], ['y'], {}, '/Mul'),
    ...extra,
  ];
  const inits = [makeTensor('idx0', [], [0]), makeTensor('ax0', [1], [0]), makeTensor('minus1', [1], [-1]), ...extraInits];
  const graph = makeGraph('below-cut', nodes, [makeValueInfo('input', DataType.FLOAT, ['N', 3, 2, 2])], [makeValueInfo(output, DataType.FLOAT)], inits);
  return encodeModel(makeModel(graph, [{ domain: '', version: 17 }]));
}

test('segment: a Shape of the model input below the lower cut is rewritten from the segment input batch', async () => {
  const model = loadModelFromBytes(modelBytes(), 'below-cut.onnx');
  const shapes = await inferShapes(model, { threads: 1 });
  const seg = segment(model, 'lower', 'y');
  assert.ok(!seg.graph.node.some((n) => n.input.includes('input')), 'the segment must not read the model input');
  const session = await OrtSession.create(encodeModel(seg), 'segment', { threads: 1 });
  try {
    const a = Float32Array.from(randomValues(5 * 12, 2, 'float32'));
    const out = (await session.run({ lower: { data: a, dims: [5, 3, 2, 2] } })).y;
    assert.deepEqual(out.dims, [5, 12]);
    const expected = a.map((v) => 2 / (1 + Math.exp(-v)));
    for (let i = 0; i < a.length; i++) assert.ok(Math.abs((out.data as Float32Array)[i] - expected[i]) < 1e-5);
  } finally {
    await session.release();
  }
  // Its gradients (several rows per run: IG) work on the rewritten graph.
  const sg = await SegmentGradients.create(seg, shapes, { threads: 1 });
  try {
    const a = Float32Array.from(randomValues(2 * 12, 3, 'float32'));
    const [g] = await sg.gradients(a, 2, [5]);
    // d(2 sigmoid(a_5))/da_5 at each sample, zero elsewhere.
    for (let s = 0; s < 2; s++) {
      for (let i = 0; i < 12; i++) {
        const v = a[s * 12 + i];
        const sgm = 1 / (1 + Math.exp(-v));
        const want = i === 5 ? 2 * sgm * (1 - sgm) : 0;
        assert.ok(Math.abs(g[s * 12 + i] - want) < 1e-5, `grad[${s}, ${i}] ${g[s * 12 + i]} vs ${want}`);
      }
    }
    const [ig] = await sg.integratedGradients(a, 2, [5], { steps: 16 });
    assert.ok(ig.relativeCompletenessError < 1e-4, `completeness ${ig.relativeCompletenessError}`);
  } finally {
    await sg.release();
  }
});

test('segment: a Shape below the cut whose non-batch axes depend on the batch is an error naming node and tensor', async () => {
  // mixed = input viewed as [1, N*12]: its axis 1 grows with the batch, so it cannot be rebuilt from the cut.
  const extra = [
    makeNode('Reshape', ['input', 'one_minus1'], ['mixed'], {}, '/Mixed'),
    makeNode('Shape', ['mixed'], ['sm'], {}, '/ShapeMixed'),
    makeNode('Cast', ['sm'], ['smf'], { to: DataType.FLOAT }, '/CastMixed'),
    makeNode('ReduceSum', ['smf'], ['tot'], { keepdims: 0 }, '/SumMixed'),
    makeNode('Mul', ['y', 'tot'], ['z'], {}, '/MulMixed'),
  ];
  const fixed = loadModelFromBytes(modelBytes(extra, 'z', [makeTensor('one_minus1', [2], [1, -1])]), 'mixed.onnx');
  await inferShapes(fixed, { threads: 1 });
  assert.throws(
    () => segment(fixed, 'lower', 'z'),
    (e: unknown) => {
      assert.ok(e instanceof ModelError);
      assert.match(e.message, /\/ShapeMixed/);
      assert.match(e.message, /tensor mixed/);
      assert.match(e.message, /batch-dependent/);
      return true;
    },
  );
});

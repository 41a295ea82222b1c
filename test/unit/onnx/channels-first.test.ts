/**
 * Channels-last layers (Swin, ConvNeXt blocks) and token sequences (ViT): the channel axis is followed through
 * the graph, and the analysis reads a channels-first view whose values are exactly the source's, transposed,
 * while the model's outputs stay the same.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeGraph, makeModel, makeNode, makeTensor, makeValueInfo } from '../../../src/engine/onnx/build';
import { ensureView, parseViewName, toChannelsFirst, viewName, withoutViews } from '../../../src/engine/onnx/channels-first';
import { computeActivations } from '../../../src/engine/onnx/activations';
import { channelAxes, reshapedAxis } from '../../../src/engine/onnx/layout';
import { detectLayers, resolveLayer } from '../../../src/engine/onnx/layers';
import { loadModelFromBytes } from '../../../src/engine/onnx/model';
import { DataType, encodeModel } from '../../../src/engine/onnx/proto';
import { inferShapes } from '../../../src/engine/onnx/shapes';
import { maxAbsDiff, randomFloats } from './fixtures';

const LAST = '/blocks/blocks.1/Add_output_0';

/**
 * input [N,3,8,8] -> /stem Conv(4) -> /permute Transpose to [N,8,8,4] -> /blocks/blocks.0: MatMul [4,6], Relu ->
 * /blocks/blocks.1: MatMul [6,6], Add (residual) -> ReduceMean over H, W -> /fc Gemm(5) -> logits.
 */
function channelsLastBytes(seed: number): Uint8Array {
  const inits = [
    makeTensor('stem.w', [4, 3, 3, 3], randomFloats(108, seed)),
    makeTensor('w0', [4, 6], randomFloats(24, seed + 1)),
    makeTensor('w1', [6, 6], randomFloats(36, seed + 2)),
    makeTensor('fc.w', [5, 6], randomFloats(30, seed + 3)),
    makeTensor('axes', [2], [1, 2]),
  ];
  const nodes = [
    makeNode('Conv', ['input', 'stem.w'], ['/stem/Conv_output_0'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, '/stem/Conv'),
    makeNode('Transpose', ['/stem/Conv_output_0'], ['/permute/Transpose_output_0'], { perm: [0, 2, 3, 1] }, '/permute/Transpose'),
    makeNode('MatMul', ['/permute/Transpose_output_0', 'w0'], ['/blocks/blocks.0/fc/MatMul_output_0'], {}, '/blocks/blocks.0/fc/MatMul'),
    makeNode('Relu', ['/blocks/blocks.0/fc/MatMul_output_0'], ['/blocks/blocks.0/act/Relu_output_0'], {}, '/blocks/blocks.0/act/Relu'),
    makeNode('MatMul', ['/blocks/blocks.0/act/Relu_output_0', 'w1'], ['/blocks/blocks.1/fc/MatMul_output_0'], {}, '/blocks/blocks.1/fc/MatMul'),
    makeNode('Add', ['/blocks/blocks.1/fc/MatMul_output_0', '/blocks/blocks.0/act/Relu_output_0'], [LAST], {}, '/blocks/blocks.1/Add'),
    makeNode('ReduceMean', [LAST, 'axes'], ['/pool/ReduceMean_output_0'], { keepdims: 0 }, '/pool/ReduceMean'),
    makeNode('Gemm', ['/pool/ReduceMean_output_0', 'fc.w'], ['logits'], { transB: 1 }, '/fc/Gemm'),
  ];
  const graph = makeGraph(
    'channels-last',
    nodes,
    [makeValueInfo('input', DataType.FLOAT, ['batch', 3, 8, 8])],
    [makeValueInfo('logits', DataType.FLOAT, ['batch', 5])],
    inits,
  );
  return encodeModel(makeModel(graph, [{ domain: '', version: 18 }]));
}

test('reshapedAxis keeps an axis whose size and preceding element count are unchanged', () => {
  assert.equal(reshapedAxis([1, 32, 4, 4], 1, [1, 32, 16]), 1); // ViT: conv map -> [N, C, L]
  assert.equal(reshapedAxis([1, 16, 16, 96], 3, [1, 4, 4, 4, 4, 96]), 5); // Swin windows: channels stay last
  assert.equal(reshapedAxis([1, 116, 28, 28], 1, [1, 2, 58, 28, 28]), undefined); // channel shuffle splits C
});

test('the channel axis is followed through Transpose and MatMul, and the views hold the same values', async () => {
  const model = loadModelFromBytes(channelsLastBytes(11), 'cl.onnx');
  const shapes = await inferShapes(model);
  const axes = channelAxes(model.graph, 'input', shapes);
  assert.equal(axes.get('/stem/Conv_output_0'), 1);
  assert.equal(axes.get('/permute/Transpose_output_0'), 3);
  assert.equal(axes.get(LAST), 3);
  assert.equal(axes.get('logits'), 1);

  const input = { data: randomFloats(2 * 3 * 64, 5), dims: [2, 3, 8, 8] };
  const before = await computeActivations(model, input, { maps: [LAST], logits: true });
  const layer = resolveLayer(model, LAST, detectLayers(model, shapes), shapes);
  assert.deepEqual(
    [layer.tensor, layer.shape, layer.sourceShape, layer.channelAxis, layer.channels, layer.positions],
    [viewName(LAST, 3), [6, 8, 8], [8, 8, 6], 3, 6, 64],
  );
  assert.deepEqual(parseViewName(layer.tensor), { source: LAST, channelAxis: 3 });
  assert.equal(ensureView(model, LAST, 3, shapes), layer.tensor, 'idempotent');
  assert.equal(model.graph.nodes.filter((n) => n.output[0] === layer.tensor).length, 1, 'one view node');

  const after = await computeActivations(model, input, { maps: [layer.tensor], means: [layer.tensor], logits: true });
  assert.equal(maxAbsDiff(after.logits!.data, before.logits!.data), 0, 'the outputs do not change');
  const src = before.maps.get(LAST)!.data; // [N, H, W, C]
  const view = after.maps.get(layer.tensor)!.data; // [N, C, H, W]
  const perm = toChannelsFirst(4, 3);
  assert.deepEqual(perm, [0, 3, 1, 2]);
  const want = new Float32Array(view.length);
  const mean = new Float32Array(2 * 6);
  for (let n = 0; n < 2; n++)
    for (let y = 0; y < 8; y++)
      for (let x = 0; x < 8; x++)
        for (let c = 0; c < 6; c++) {
          const v = src[((n * 8 + y) * 8 + x) * 6 + c];
          want[((n * 6 + c) * 8 + y) * 8 + x] = v;
          mean[n * 6 + c] += v / 64;
        }
  assert.equal(maxAbsDiff(view, want), 0);
  assert.ok(maxAbsDiff(after.means.get(layer.tensor)!.data, mean) < 1e-6);

  // Detection sees through the views: the same layers on the viewed model and on the original graph.
  assert.equal(withoutViews(model).graph.nodes.length, 8);
  const again = loadModelFromBytes(channelsLastBytes(11), 'cl.onnx');
  assert.deepEqual(
    detectLayers(model, shapes).map((l) => l.name),
    detectLayers(again, await inferShapes(again)).map((l) => l.name),
  );
});

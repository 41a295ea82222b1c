/**
 * Small models built in the tests: a residual CNN with torch-style node names, and helpers for random inputs.
 */
import { makeGraph, makeModel, makeNode, makeTensor, makeValueInfo } from '../../../src/engine/onnx/build';
import { DataType, encodeModel, type ModelProto } from '../../../src/engine/onnx/proto';

/** Deterministic pseudo-random floats in [-1, 1). */
export function randomFloats(n: number, seed = 1): Float32Array {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

export interface TinyOptions {
  opset?: number;
  /** Flatten by Shape -> Gather -> Unsqueeze -> Concat -> Reshape (a shape-only subgraph) instead of Flatten. */
  shapeReshape?: boolean;
  /** Input dims after the batch (default [3, 8, 8]). */
  input?: (number | string)[];
}

/**
 * input [N,3,8,8] -> /stem Conv(4) Relu -> /layer1/layer1.0: Conv Relu, Add(stem), Relu -> GlobalAveragePool
 * -> Flatten -> /fc Gemm(5) -> logits. Cut tensors: stem relu, block add, block relu, pool, flatten, logits.
 */
export function tinyResnet(options: TinyOptions = {}): ModelProto {
  const opset = options.opset ?? 17;
  const inits = [
    makeTensor('stem.w', [4, 3, 3, 3], randomFloats(108, 2)),
    makeTensor('stem.b', [4], randomFloats(4, 3)),
    makeTensor('l1.w', [4, 4, 3, 3], randomFloats(144, 4)),
    makeTensor('fc.w', [5, 4], randomFloats(20, 5)),
    makeTensor('fc.b', [5], randomFloats(5, 6)),
  ];
  const conv = { kernel_shape: [3, 3], pads: [1, 1, 1, 1] };
  const nodes = [
    makeNode('Conv', ['input', 'stem.w', 'stem.b'], ['/stem/Conv_output_0'], conv, '/stem/Conv'),
    makeNode('Relu', ['/stem/Conv_output_0'], ['/stem/Relu_output_0'], {}, '/stem/Relu'),
    makeNode('Conv', ['/stem/Relu_output_0', 'l1.w'], ['/layer1/layer1.0/conv1/Conv_output_0'], conv, '/layer1/layer1.0/conv1/Conv'),
    makeNode('Relu', ['/layer1/layer1.0/conv1/Conv_output_0'], ['/layer1/layer1.0/relu/Relu_output_0'], {}, '/layer1/layer1.0/relu/Relu'),
    makeNode('Add', ['/layer1/layer1.0/relu/Relu_output_0', '/stem/Relu_output_0'], ['/layer1/layer1.0/Add_output_0'], {}, '/layer1/layer1.0/Add'),
    makeNode('Relu', ['/layer1/layer1.0/Add_output_0'], ['/layer1/layer1.0/relu_1/Relu_output_0'], {}, '/layer1/layer1.0/relu_1/Relu'),
    makeNode('GlobalAveragePool', ['/layer1/layer1.0/relu_1/Relu_output_0'], ['/avgpool/GlobalAveragePool_output_0'], {}, '/avgpool/GlobalAveragePool'),
  ];
  if (options.shapeReshape) {
    inits.push(makeTensor('zero', [1], [0]), makeTensor('minus1', [1], [-1]));
    nodes.push(
      makeNode('Shape', ['/avgpool/GlobalAveragePool_output_0'], ['/Shape_output_0'], {}, '/Shape'),
      makeNode('Gather', ['/Shape_output_0', 'zero'], ['/Gather_output_0'], { axis: 0 }, '/Gather'),
      makeNode('Concat', ['/Gather_output_0', 'minus1'], ['/Concat_output_0'], { axis: 0 }, '/Concat'),
      makeNode('Reshape', ['/avgpool/GlobalAveragePool_output_0', '/Concat_output_0'], ['/Flatten_output_0'], {}, '/Reshape'),
    );
  } else {
    nodes.push(makeNode('Flatten', ['/avgpool/GlobalAveragePool_output_0'], ['/Flatten_output_0'], { axis: 1 }, '/Flatten'));
  }
  nodes.push(makeNode('Gemm', ['/Flatten_output_0', 'fc.w', 'fc.b'], ['logits'], { transB: 1 }, '/fc/Gemm'));
  const graph = makeGraph(
    'tiny',
    nodes,
    [makeValueInfo('input', DataType.FLOAT, ['batch', ...(options.input ?? [3, 8, 8])])],
    [makeValueInfo('logits', DataType.FLOAT, ['batch', 5])],
    inits,
  );
  return makeModel(graph, [{ domain: '', version: opset }]);
}

export function tinyResnetBytes(options: TinyOptions = {}): Uint8Array {
  return encodeModel(tinyResnet(options));
}

/** Max |a - b| over two equal-length arrays. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

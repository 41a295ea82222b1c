import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GraphIndex } from '../../../src/engine/onnx/graph';
import { cutTensors } from '../../../src/engine/onnx/cuts';
import { attr, makeGraph, makeNode, makeValueInfo } from '../../../src/engine/onnx/build';
import { AttrType, DataType, type TensorProto } from '../../../src/engine/onnx/proto';
import { tensorValue } from '../../../src/engine/onnx/tensor';
import { ModelError } from '../../../src/engine/errors';
import { tinyResnet } from './fixtures';

test('nodes come in topological order even when the file lists them out of order', () => {
  const g = tinyResnet().graph;
  const shuffled = { ...g, node: [...g.node].reverse() };
  const index = new GraphIndex(shuffled);
  const seen = new Set<string>(['input', ...index.initializers.keys()]);
  for (const n of index.nodes) {
    for (const i of n.input) assert.ok(!i || seen.has(i), `${n.name} reads ${i} before it is produced`);
    n.output.forEach((o) => seen.add(o));
  }
  assert.equal(index.nodes.length, g.node.length);
});

test('producer, consumers, inputs and outputs', () => {
  const index = new GraphIndex(tinyResnet().graph);
  assert.deepEqual(index.inputs, ['input']);
  assert.deepEqual(index.outputs, ['logits']);
  assert.equal(index.producer('/stem/Relu_output_0')!.name, '/stem/Relu');
  assert.deepEqual(
    index.consumers('/stem/Relu_output_0').map((n) => n.name),
    ['/layer1/layer1.0/conv1/Conv', '/layer1/layer1.0/Add'],
  );
  assert.equal(index.producer('input'), undefined);
});

test('isConstant: initializers, Constant outputs and shape-only subgraphs', () => {
  const index = new GraphIndex(tinyResnet({ shapeReshape: true }).graph);
  for (const t of ['stem.w', '/Shape_output_0', '/Gather_output_0', '/Concat_output_0']) assert.ok(index.isConstant(t), t);
  for (const t of ['input', '/stem/Relu_output_0', '/Flatten_output_0', 'logits']) assert.ok(!index.isConstant(t), t);
});

test('constantValue reads Constant attributes value, value_float(s), value_int(s) and typed fields', () => {
  const nodes = [
    makeNode('Constant', [], ['f'], { value_float: { float: 2.5 } }),
    makeNode('Constant', [], ['fs'], { value_floats: { floats: [1, 2, 3] } }),
    makeNode('Constant', [], ['i'], { value_int: 7 }),
    makeNode('Constant', [], ['is'], { value_ints: [4, 5] }),
    {
      opType: 'Constant',
      input: [],
      output: ['t'],
      name: 't',
      attribute: [attr('value', { name: 't', dims: [2], dataType: DataType.FLOAT, floatData: [0.5, -1] } as TensorProto)],
    },
    makeNode('Sum', ['input', 'f', 'fs'], ['y']),
  ];
  const g = makeGraph(
    'g',
    nodes,
    [makeValueInfo('input', DataType.FLOAT, [3])],
    [makeValueInfo('y', DataType.FLOAT)],
    [{ name: 'w', dims: [2, 2], dataType: DataType.INT64, int64Data: [1, 2, 3, 4] }],
  );
  const index = new GraphIndex(g);
  assert.equal(nodes[4].attribute[0].type, AttrType.TENSOR);
  assert.deepEqual([...(index.constantValue('f')!.data as Float32Array)], [2.5]);
  assert.deepEqual(index.constantValue('fs')!.dims, [3]);
  assert.deepEqual([...(index.constantValue('fs')!.data as Float32Array)], [1, 2, 3]);
  assert.deepEqual([...(index.constantValue('i')!.data as BigInt64Array)], [7n]);
  assert.deepEqual([...(index.constantValue('is')!.data as BigInt64Array)], [4n, 5n]);
  assert.deepEqual([...(index.constantValue('t')!.data as Float32Array)], [0.5, -1]);
  assert.deepEqual([...(index.constantValue('w')!.data as BigInt64Array)], [1n, 2n, 3n, 4n]);
  assert.equal(index.constantValue('y'), undefined);
  assert.ok(index.isConstant('fs') && !index.isConstant('y'));
});

test('tensorValue copies unaligned raw_data instead of reading beside it', () => {
  const backing = new Uint8Array(13);
  new DataView(backing.buffer).setFloat32(1, 1.5, true);
  new DataView(backing.buffer).setFloat32(5, -2, true);
  new DataView(backing.buffer).setFloat32(9, 3.25, true);
  const raw = Buffer.from(backing.buffer, 1, 12);
  const v = tensorValue({ name: 'x', dims: [3], dataType: DataType.FLOAT, rawData: raw });
  assert.deepEqual([...(v.data as Float32Array)], [1.5, -2, 3.25]);
});

test('a node reading a tensor nobody produces is an error naming both', () => {
  const g = makeGraph('g', [makeNode('Relu', ['ghost'], ['y'], {}, 'r')], [makeValueInfo('x', DataType.FLOAT, [1])], [makeValueInfo('y', DataType.FLOAT)]);
  assert.throws(
    () => new GraphIndex(g, undefined, 'm.onnx'),
    (e: Error) => e instanceof ModelError && /m\.onnx: node r \(Relu\) reads tensor ghost/.test(e.message),
  );
});

test('cut tensors skip the inside of a residual block', () => {
  const index = new GraphIndex(tinyResnet().graph);
  assert.deepEqual(cutTensors(index, 'input', 'logits'), [
    'input',
    '/stem/Conv_output_0',
    '/stem/Relu_output_0',
    '/layer1/layer1.0/Add_output_0',
    '/layer1/layer1.0/relu_1/Relu_output_0',
    '/avgpool/GlobalAveragePool_output_0',
    '/Flatten_output_0',
    'logits',
  ]);
});

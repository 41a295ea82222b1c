/**
 * Jump to code, the graph part: torch's node metadata (name scopes, class hierarchy, stack trace) parsed, and
 * `locateModule` on a small model that carries it as the dynamo exporter writes it, and on one that does not.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { makeGraph, makeModel, makeNode, makeValueInfo } from '../../../src/engine/onnx/build';
import { DataType, encodeModel, type NodeProto } from '../../../src/engine/onnx/proto';
import { locateModule } from '../../../src/worker/jobs/locateModule';
import { moduleOfScopes, parsePyStrings, parseStackTrace } from '../../../src/worker/trace';

const ctx = { signal: new AbortController().signal, progress: () => undefined };
const dir = mkdtempSync(path.join(tmpdir(), 'neurflow-locate-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const TRACE = `File "/home/u/proj/train.py", line 41, in forward
    x = self.layer2(x)
  File "/usr/lib/python3/dist-packages/torch/nn/modules/container.py", line 250, in forward
    input = module(input)
  File "/home/u/proj/train.py", line 17, in forward
    return self.relu(out + x)`;

test('Python list reprs, tracebacks and the block-level module of a scope list', () => {
  assert.deepEqual(parsePyStrings("['', 'layer2', 'layer2.1', \"it's\", 'relu_3']"), ['', 'layer2', 'layer2.1', "it's", 'relu_3']);
  assert.deepEqual(parsePyStrings(undefined), []);
  const frames = parseStackTrace(TRACE);
  assert.deepEqual(
    frames.map((f) => [f.file, f.line, f.function]),
    [
      ['/home/u/proj/train.py', 41, 'forward'],
      ['/usr/lib/python3/dist-packages/torch/nn/modules/container.py', 250, 'forward'],
      ['/home/u/proj/train.py', 17, 'forward'],
    ],
  );
  assert.equal(moduleOfScopes(['', 'layer2', 'layer2.1', 'layer2.1.relu', 'relu_3']), 'layer2.1');
  assert.equal(moduleOfScopes(['', 'fc', 'linear']), 'fc');
  assert.equal(moduleOfScopes(['', 'features', 'features.5', 'features.5.conv', 'conv2d'], 'features.5.conv'), 'features.5.conv');
  assert.equal(moduleOfScopes(['relu']), undefined);
});

function writeModel(name: string, nodes: NodeProto[]): string {
  const graph = makeGraph('g', nodes, [makeValueInfo('x', DataType.FLOAT, [1, 4])], [makeValueInfo('y', DataType.FLOAT, [1, 4])]);
  const file = path.join(dir, name);
  writeFileSync(file, encodeModel(makeModel(graph)));
  return file;
}

test('locateModule reads the name scopes and the stack trace of the module the layer tensor belongs to', async () => {
  const meta = (scopes: string, classes: string, trace?: string) => [
    { key: 'pkg.torch.onnx.name_scopes', value: scopes },
    { key: 'pkg.torch.onnx.class_hierarchy', value: classes },
    ...(trace ? [{ key: 'pkg.torch.onnx.stack_trace', value: trace }] : []),
  ];
  const relu = makeNode('Relu', ['x'], ['h'], {}, 'node_Relu_1');
  relu.metadataProps = meta("['', 'layer2', 'layer2.1', 'layer2.1.relu', 'relu']", "['Net', 'Sequential', 'Block', 'ReLU', 'aten.relu.default']", TRACE);
  // The layer tensor comes from a bare Add with scopes but no trace.
  const add = makeNode('Add', ['h', 'x'], ['y'], {}, 'node_Add_2');
  add.metadataProps = meta("['', 'layer2', 'layer2.1', 'add']", "['Net', 'Sequential', 'Block', 'aten.add.Tensor']");
  const file = writeModel('dynamo.onnx', [relu, add]);
  const loc = await locateModule({ model: file, tensor: 'y', layer: 'y' }, ctx);
  assert.equal(loc.modulePath, 'layer2.1');
  assert.deepEqual(loc.classes, ['Net', 'Sequential', 'Block']);
  assert.equal(loc.node, 'node_Relu_1');
  assert.deepEqual(
    loc.frames.map((f) => f.line),
    [41, 250, 17],
  );
});

test('locateModule without metadata: the module path from the node names, no frames; unknown tensors are named', async () => {
  const file = writeModel('plain.onnx', [
    makeNode('Relu', ['x'], ['h'], {}, '/layer3/layer3.0/relu/Relu'),
    makeNode('Identity', ['h'], ['y'], {}, '/fc/Identity'),
  ]);
  const loc = await locateModule({ model: file, tensor: 'h', layer: 'layer3.0' }, ctx);
  assert.deepEqual([loc.modulePath, loc.frames, loc.node], ['layer3.0', [], '/layer3/layer3.0/relu/Relu']);
  await assert.rejects(
    locateModule({ model: file, tensor: 'nope', layer: 'nope' }, ctx),
    (e: Error) => e.name === 'ModelError' && /no node produces tensor nope/.test(e.message),
  );
});

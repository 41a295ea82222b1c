import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { loadModel, loadModelFromBytes } from '../../../src/engine/onnx/model';
import { inferShapes } from '../../../src/engine/onnx/shapes';
import { detectLayers, moduleName, nearest, resolveLayer, withAddedLayers } from '../../../src/engine/onnx/layers';
import { ModelError } from '../../../src/engine/errors';
import { REPO_ROOT } from '../../helpers/shared';
import { randomFloats, tinyResnetBytes } from './fixtures';
import { makeGraph, makeModel, makeNode, makeTensor, makeValueInfo } from '../../../src/engine/onnx/build';
import { DataType, encodeModel } from '../../../src/engine/onnx/proto';
import { referenceModel } from './reference-models';

test('moduleName takes the module path of torch node names', () => {
  assert.equal(moduleName('/layer4/layer4.1/relu_1/Relu'), 'layer4.1');
  assert.equal(moduleName('/features/features.5/Add'), 'features.5');
  assert.equal(moduleName('/features/features.0/features.0.2/Clip'), 'features.0');
  assert.equal(moduleName('/inception3a/branch2/branch2.0/conv/Conv'), 'inception3a');
  assert.equal(moduleName('/fc/Gemm'), 'fc');
  assert.equal(moduleName('/Flatten'), undefined);
  assert.equal(moduleName('resnetv17_conv0_fwd'), undefined);
});

const RESNET_BLOCKS = ['layer1.0', 'layer1.1', 'layer2.0', 'layer2.1', 'layer3.0', 'layer3.1'];
const EXPECTED: Record<string, { names: string[]; tensors?: Record<string, string>; shapes?: Record<string, number[]>; inputs: string }> = {
  'shortcut-resnet.onnx': {
    inputs: 'shortcut-test__first8.npy',
    names: [...RESNET_BLOCKS, 'fc'],
    tensors: Object.fromEntries([...RESNET_BLOCKS.map((b) => [b, `/${b.split('.')[0]}/${b}/relu_1/Relu_output_0`]), ['fc', 'logits']]),
    shapes: { 'layer1.0': [16, 32, 32], 'layer2.0': [32, 16, 16], 'layer3.1': [64, 8, 8], fc: [4] },
  },
  'shortcut-mobilenet.onnx': {
    inputs: 'shortcut-test__first8.npy',
    names: [...Array.from({ length: 18 }, (_, i) => `features.${i + 1}`), 'classifier.1'],
    // The tensors the gradient fixtures (reference/gradients/manifest.json) use.
    tensors: {
      'features.5': '/features/features.5/Add_output_0',
      'features.6': '/features/features.6/Add_output_0',
      'features.10': '/features/features.10/Add_output_0',
      'features.11': '/features/features.11/conv/conv.2/Conv_output_0',
      'features.16': '/features/features.16/Add_output_0',
      'features.17': '/features/features.17/conv/conv.2/Conv_output_0',
      'features.18': '/features/features.18/features.18.2/Clip_output_0',
      'classifier.1': 'logits',
    },
    shapes: { 'features.5': [16, 8, 8], 'features.18': [1280, 2, 2], 'classifier.1': [4] },
  },
  'fmnist-cnn.onnx': {
    inputs: 'fmnist-test__first8.npy',
    names: ['features.2', 'features.5', 'classifier.3', 'classifier.4'],
    tensors: {
      'features.2': '/features/features.2/MaxPool_output_0',
      'features.5': '/features/features.5/MaxPool_output_0',
      'classifier.3': '/classifier/classifier.3/Relu_output_0',
      'classifier.4': 'logits',
    },
    shapes: { 'features.2': [32, 14, 14], 'features.5': [64, 7, 7], 'classifier.3': [128], 'classifier.4': [10] },
  },
};
EXPECTED['shortcut-resnet-external.onnx'] = EXPECTED['shortcut-resnet.onnx'];
EXPECTED['shortcut-resnet-opset9-constants.onnx'] = EXPECTED['shortcut-resnet.onnx'];

for (const [file, want] of Object.entries(EXPECTED)) {
  test(`${file}: detected layers`, async (t) => {
    const ref = await referenceModel(t, file, want.inputs);
    if (!ref) return;
    const layers = detectLayers(ref.model, await inferShapes(ref.model));
    assert.deepEqual(
      layers.map((l) => l.name),
      want.names,
    );
    for (const [name, tensor] of Object.entries(want.tensors ?? {})) assert.equal(layers.find((l) => l.name === name)!.tensor, tensor, name);
    for (const [name, shape] of Object.entries(want.shapes ?? {})) {
      const l = layers.find((x) => x.name === name)!;
      assert.deepEqual(l.shape, shape, name);
      assert.equal(l.rank, shape.length + 1);
    }
  });
}

const range = (prefix: string, from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `${prefix}${from + i}`);
const TORCHVISION: Record<string, { names: string[]; shapes: Record<string, number[]> }> = {
  resnet18: {
    names: [...range('layer1.', 0, 1), ...range('layer2.', 0, 1), ...range('layer3.', 0, 1), ...range('layer4.', 0, 1), 'fc'],
    shapes: { 'layer1.0': [64, 56, 56], 'layer4.1': [512, 7, 7], fc: [1000] },
  },
  resnet50: {
    names: [...range('layer1.', 0, 2), ...range('layer2.', 0, 3), ...range('layer3.', 0, 5), ...range('layer4.', 0, 2), 'fc'],
    shapes: { 'layer1.0': [256, 56, 56], 'layer4.2': [2048, 7, 7] },
  },
  googlenet: {
    names: [
      'inception3a',
      'inception3b',
      'maxpool3',
      ...range('inception4', 0, 4).map((n) => n.replace(/\d$/, (d) => 'abcde'[Number(d)])),
      'maxpool4',
      'inception5a',
      'inception5b',
      'fc',
    ],
    shapes: { inception3a: [256, 28, 28], maxpool4: [832, 7, 7], inception5b: [1024, 7, 7] },
  },
  mobilenet_v2: { names: [...range('features.', 1, 18), 'classifier.1'], shapes: { 'features.1': [16, 112, 112], 'features.18': [1280, 7, 7] } },
  squeezenet1_1: { names: [...range('features.', 3, 12), 'logits'], shapes: { 'features.3': [128, 55, 55], 'features.12': [512, 13, 13], logits: [1000] } },
};

/** The export of a torchvision topology, or undefined (test skipped) when absent outside CI; under CI=true (the
 * tests prepare them) a missing export is a failure, never a skip. */
function exported(t: TestContext, name: string): string | undefined {
  const file = path.join(REPO_ROOT, '.cache', 'torchvision', `${name}.onnx`);
  if (existsSync(file)) return file;
  if (process.env.CI === 'true') throw new Error(`${file} missing: npm test must run scripts/export-torchvision.sh`);
  t.skip(`${file} not found: run scripts/export-torchvision.sh to export the torchvision topologies`);
  return undefined;
}

for (const [name, want] of Object.entries(TORCHVISION)) {
  test(`torchvision ${name}: block outputs in order`, async (t) => {
    const file = exported(t, name);
    if (!file) return;
    const model = await loadModel(file);
    const layers = detectLayers(model, await inferShapes(model));
    assert.deepEqual(
      layers.map((l) => l.name),
      want.names,
    );
    for (const [n, shape] of Object.entries(want.shapes)) assert.deepEqual(layers.find((l) => l.name === n)!.shape, shape, n);
  });
}

/** The tiny 64-px members of each family (scripts/export_torchvision.py): names, the model's shapes, channel axes. */
const FAMILIES: Record<string, { names: string[]; layout: Record<string, { source: number[]; axis: number; positions: number }> }> = {
  tiny_vit: {
    names: [...range('encoder_layer_', 0, 2), 'encoder', 'heads'],
    layout: {
      encoder_layer_0: { source: [17, 32], axis: 2, positions: 17 },
      encoder: { source: [17, 32], axis: 2, positions: 17 },
      heads: { source: [10], axis: 1, positions: 1 },
    },
  },
  tiny_swin: {
    names: [...range('features.', 1, 5), 'norm', 'head'],
    layout: {
      'features.1': { source: [16, 16, 16], axis: 3, positions: 256 },
      'features.4': { source: [4, 4, 64], axis: 3, positions: 16 },
      norm: { source: [4, 4, 64], axis: 3, positions: 16 },
    },
  },
  tiny_convnext: {
    names: [...range('features.', 1, 5), 'classifier.0', 'classifier.2'],
    layout: {
      'features.1': { source: [16, 16, 16], axis: 1, positions: 256 },
      'features.5': { source: [64, 4, 4], axis: 1, positions: 16 },
      'classifier.0': { source: [1, 1, 64], axis: 3, positions: 1 },
    },
  },
  tiny_densenet: {
    names: ['denseblock1', 'transition1', 'denseblock2', 'transition2', 'denseblock3', 'classifier'],
    layout: { denseblock1: { source: [32, 16, 16], axis: 1, positions: 256 }, transition1: { source: [16, 8, 8], axis: 1, positions: 64 } },
  },
  tiny_regnet: {
    names: ['block1-0', 'block2-0', 'block2-1', 'block2-2', 'block3-0', 'block3-1', 'fc'],
    layout: { 'block1-0': { source: [16, 16, 16], axis: 1, positions: 256 }, 'block3-1': { source: [64, 4, 4], axis: 1, positions: 16 } },
  },
  tiny_shufflenet: {
    names: ['stage2.0', 'stage2.1', 'stage3.0', 'stage3.1', 'stage4.0', 'stage4.1', 'conv5.2', 'fc'],
    layout: { 'stage2.0': { source: [16, 8, 8], axis: 1, positions: 64 }, 'conv5.2': { source: [128, 2, 2], axis: 1, positions: 4 } },
  },
};

for (const [name, want] of Object.entries(FAMILIES)) {
  test(`torchvision ${name}: block outputs in order, with their channel axis`, async (t) => {
    const file = exported(t, name);
    if (!file) return;
    const model = await loadModel(file);
    const shapes = await inferShapes(model);
    const layers = detectLayers(model, shapes);
    assert.deepEqual(
      layers.map((l) => l.name),
      want.names,
    );
    for (const [n, w] of Object.entries(want.layout)) {
      const l = layers.find((x) => x.name === n)!;
      assert.deepEqual([l.sourceShape, l.channelAxis, l.positions], [w.source, w.axis, w.positions], n);
      // The analysis reads channels first: [C, positions...].
      assert.equal(l.shape[0], w.source[w.axis - 1], `${n}: channels first`);
      assert.equal(
        l.shape.reduce((a, b) => a * b, 1),
        w.source.reduce((a, b) => a * b, 1),
        n,
      );
      assert.equal(l.tensor === l.source, w.axis === 1, `${n}: a view exactly when the channels are not on axis 1`);
    }
    // Detecting again (the model now holds the views) gives the same layers.
    assert.deepEqual(
      detectLayers(model, shapes).map((l) => [l.name, l.tensor]),
      layers.map((l) => [l.name, l.tensor]),
    );
  });
}

test('the stem of a branched model is left out unless asked for', async () => {
  const model = loadModelFromBytes(tinyResnetBytes(), 'tiny.onnx');
  const shapes = await inferShapes(model);
  assert.deepEqual(
    detectLayers(model, shapes).map((l) => l.name),
    ['layer1.0', 'fc'],
  );
  const all = detectLayers(model, shapes, { includeStem: true });
  assert.deepEqual(
    all.map((l) => [l.name, l.tensor, l.producerOp]),
    [
      ['stem', '/stem/Relu_output_0', 'Relu'],
      ['layer1.0', '/layer1/layer1.0/relu_1/Relu_output_0', 'Relu'],
      ['fc', 'logits', 'Gemm'],
    ],
  );
});

test('resolveLayer finds layers by name or tensor, adds any tensor, and suggests the nearest names', async () => {
  const model = loadModelFromBytes(tinyResnetBytes(), 'tiny.onnx');
  const shapes = await inferShapes(model);
  const layers = detectLayers(model, shapes);
  assert.equal(resolveLayer(model, 'layer1.0', layers, shapes).tensor, '/layer1/layer1.0/relu_1/Relu_output_0');
  assert.equal(resolveLayer(model, 'logits', layers, shapes).name, 'fc');
  const added = resolveLayer(model, '/layer1/layer1.0/conv1/Conv_output_0', layers, shapes);
  assert.deepEqual([added.name, added.shape, added.producerOp], ['/layer1/layer1.0/conv1/Conv_output_0', [4, 8, 8], 'Conv']);
  assert.equal(resolveLayer(model, '/stem/Relu_output_0', layers, shapes).name, 'stem');
  assert.throws(
    () => resolveLayer(model, 'layer1.9', layers, shapes),
    (e: Error) => e instanceof ModelError && /tiny\.onnx: no layer or tensor named layer1\.9; did you mean layer1\.0, /.test(e.message),
  );
  const withStem = withAddedLayers(model, layers, ['/stem/Relu_output_0', 'fc'], shapes);
  assert.deepEqual(
    withStem.map((l) => l.name),
    ['stem', 'layer1.0', 'fc'],
  );
});

test('nearest ranks by edit distance', () => {
  assert.deepEqual(nearest('layr3.1', ['fc', 'layer3.1', 'layer3.0', 'layer2.1'], 2), ['layer3.1', 'layer3.0']);
});

test('a SiLU stem is no branch (x * sigmoid(x)) and a pool that keeps the shape repeats its input', async () => {
  const w = (name: string, dims: number[], seed: number) =>
    makeTensor(
      name,
      dims,
      randomFloats(
        dims.reduce((a, b) => a * b, 1),
        seed,
      ),
    );
  const conv = { kernel_shape: [3, 3], pads: [1, 1, 1, 1] };
  const nodes = [
    makeNode('Conv', ['input', 'w0'], ['/stem/Conv_output_0'], conv, '/stem/Conv'),
    makeNode('Sigmoid', ['/stem/Conv_output_0'], ['/stem/Sigmoid_output_0'], {}, '/stem/Sigmoid'),
    makeNode('Mul', ['/stem/Conv_output_0', '/stem/Sigmoid_output_0'], ['/stem/Mul_output_0'], {}, '/stem/Mul'),
    makeNode('Conv', ['/stem/Mul_output_0', 'w1'], ['/blocks/blocks.0/conv/Conv_output_0'], conv, '/blocks/blocks.0/conv/Conv'),
    makeNode('Add', ['/blocks/blocks.0/conv/Conv_output_0', '/stem/Mul_output_0'], ['/blocks/blocks.0/Add_output_0'], {}, '/blocks/blocks.0/Add'),
    makeNode('AveragePool', ['/blocks/blocks.0/Add_output_0'], ['/pool/AveragePool_output_0'], { kernel_shape: [1, 1] }, '/pool/AveragePool'),
    makeNode('GlobalAveragePool', ['/pool/AveragePool_output_0'], ['/gap/GlobalAveragePool_output_0'], {}, '/gap/GlobalAveragePool'),
    makeNode('Flatten', ['/gap/GlobalAveragePool_output_0'], ['/Flatten_output_0'], { axis: 1 }, '/Flatten'),
    makeNode('Gemm', ['/Flatten_output_0', 'fc.w'], ['logits'], { transB: 1 }, '/fc/Gemm'),
  ];
  const graph = makeGraph(
    'silu',
    nodes,
    [makeValueInfo('input', DataType.FLOAT, ['batch', 3, 8, 8])],
    [makeValueInfo('logits', DataType.FLOAT, ['batch', 5])],
    [w('w0', [4, 3, 3, 3], 1), w('w1', [4, 4, 3, 3], 2), w('fc.w', [5, 4], 3)],
  );
  const model = loadModelFromBytes(encodeModel(makeModel(graph, [{ domain: '', version: 17 }])), 'silu.onnx');
  assert.deepEqual(
    detectLayers(model, await inferShapes(model)).map((l) => l.name),
    ['blocks.0', 'fc'],
  );
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { loadModel, loadModelFromBytes } from '../../../src/engine/onnx/model';
import { inferShapes } from '../../../src/engine/onnx/shapes';
import { detectLayers, moduleName, nearest, resolveLayer, withAddedLayers } from '../../../src/engine/onnx/layers';
import { ModelError } from '../../../src/engine/errors';
import { REPO_ROOT } from '../../helpers/shared';
import { tinyResnetBytes } from './fixtures';
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
      'features.5': '/features/features.5/Add_output_0', 'features.6': '/features/features.6/Add_output_0',
      'features.10': '/features/features.10/Add_output_0', 'features.11': '/features/features.11/conv/conv.2/Conv_output_0',
      'features.16': '/features/features.16/Add_output_0', 'features.17': '/features/features.17/conv/conv.2/Conv_output_0',
      'features.18': '/features/features.18/features.18.2/Clip_output_0', 'classifier.1': 'logits',
    },
    shapes: { 'features.5': [16, 8, 8], 'features.18': [1280, 2, 2], 'classifier.1': [4] },
  },
  'fmnist-cnn.onnx': {
    inputs: 'fmnist-test__first8.npy',
    names: ['features.2', 'features.5', 'classifier.3', 'classifier.4'],
    tensors: {
      'features.2': '/features/features.2/MaxPool_output_0', 'features.5': '/features/features.5/MaxPool_output_0',
      'classifier.3': '/classifier/classifier.3/Relu_output_0', 'classifier.4': 'logits',
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
    assert.deepEqual(layers.map((l) => l.name), want.names);
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
  resnet18: { names: [...range('layer1.', 0, 1), ...range('layer2.', 0, 1), ...range('layer3.', 0, 1), ...range('layer4.', 0, 1), 'fc'], shapes: { 'layer1.0': [64, 56, 56], 'layer4.1': [512, 7, 7], fc: [1000] } },
  resnet50: { names: [...range('layer1.', 0, 2), ...range('layer2.', 0, 3), ...range('layer3.', 0, 5), ...range('layer4.', 0, 2), 'fc'], shapes: { 'layer1.0': [256, 56, 56], 'layer4.2': [2048, 7, 7] } },
  googlenet: {
    names: ['inception3a', 'inception3b', 'maxpool3', ...range('inception4', 0, 4).map((n) => n.replace(/\d$/, (d) => 'abcde'[Number(d)])), 'maxpool4', 'inception5a', 'inception5b', 'fc'],
    shapes: { inception3a: [256, 28, 28], maxpool4: [832, 7, 7], inception5b: [1024, 7, 7] },
  },
  mobilenet_v2: { names: [...range('features.', 1, 18), 'classifier.1'], shapes: { 'features.1': [16, 112, 112], 'features.18': [1280, 7, 7] } },
  squeezenet1_1: { names: [...range('features.', 3, 12), 'logits'], shapes: { 'features.3': [128, 55, 55], 'features.12': [512, 13, 13], logits: [1000] } },
};

for (const [name, want] of Object.entries(TORCHVISION)) {
  test(`torchvision ${name}: block outputs in order`, async (t) => {
    const file = path.join(REPO_ROOT, '.cache', 'torchvision', `${name}.onnx`);
    if (!existsSync(file)) {
      // CI exports them (.ci/run); there a missing export is a failure, never a skip.
      if (process.env.CI === 'true') throw new Error(`${file} missing: .ci/run must run scripts/export-torchvision.sh`);
      t.skip(`${file} not found: run scripts/export-torchvision.sh to export the torchvision topologies`);
      return;
    }
    const model = await loadModel(file);
    const layers = detectLayers(model, await inferShapes(model));
    assert.deepEqual(layers.map((l) => l.name), want.names);
    for (const [n, shape] of Object.entries(want.shapes)) assert.deepEqual(layers.find((l) => l.name === n)!.shape, shape, n);
  });
}

test('the stem of a branched model is left out unless asked for', async () => {
  const model = loadModelFromBytes(tinyResnetBytes(), 'tiny.onnx');
  const shapes = await inferShapes(model);
  assert.deepEqual(detectLayers(model, shapes).map((l) => l.name), ['layer1.0', 'fc']);
  const all = detectLayers(model, shapes, { includeStem: true });
  assert.deepEqual(all.map((l) => [l.name, l.tensor, l.producerOp]), [
    ['stem', '/stem/Relu_output_0', 'Relu'],
    ['layer1.0', '/layer1/layer1.0/relu_1/Relu_output_0', 'Relu'],
    ['fc', 'logits', 'Gemm'],
  ]);
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
  assert.throws(() => resolveLayer(model, 'layer1.9', layers, shapes), (e: Error) =>
    e instanceof ModelError && /tiny\.onnx: no layer or tensor named layer1\.9; did you mean layer1\.0, /.test(e.message));
  const withStem = withAddedLayers(model, layers, ['/stem/Relu_output_0', 'fc'], shapes);
  assert.deepEqual(withStem.map((l) => l.name), ['stem', 'layer1.0', 'fc']);
});

test('nearest ranks by edit distance', () => {
  assert.deepEqual(nearest('layr3.1', ['fc', 'layer3.1', 'layer3.0', 'layer2.1'], 2), ['layer3.1', 'layer3.0']);
});

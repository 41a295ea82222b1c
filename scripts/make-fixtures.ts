#!/usr/bin/env node
/**
 * Writes the generated (gitignored) files the tests read:
 *   test/fixture/generated/   the models of the extension-test workspace:
 *     tiny-cnn.onnx           a small torch-style CNN (node names carry module paths, like torch.onnx.export),
 *                             the modules of test/fixture/train.py; deterministic weights
 *     not-a-model.onnx        bytes that are not protobuf, for the error path
 *   test/fixture/debug/       the Explain Batch fixture beside its debuggee eval_loop.py (test/helpers/debug-fixture.ts):
 *                             the demo's test analysis (computed once into .cache/test-results/, 7-10 s on
 *                             2 cores; test/helpers/demo-result.ts), a batch of 16 demo images, their labels and
 *                             PyTorch's probabilities (from ../shared/reference/predictions)
 * Usage: node --import tsx scripts/make-fixtures.ts       (scripts/test-all.mjs runs it before the test layers)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { makeGraph, makeModel, makeNode, makeTensor, makeValueInfo } from '../src/engine/onnx/build';
import { DataType, encodeModel } from '../src/engine/onnx/proto';
import { demoResult } from '../test/helpers/demo-result';
import { DEBUG_FIXTURE, makeDebugFixture } from '../test/helpers/debug-fixture';

const out = path.resolve(__dirname, '..', 'test', 'fixture', 'generated');

/** Small deterministic pseudo-random weights (xorshift), scaled like a Kaiming init. */
function weights(n: number, fanIn: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  const a = new Float32Array(n);
  const scale = Math.sqrt(2 / fanIn);
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    a[i] = ((s / 2 ** 32) * 2 - 1) * scale;
  }
  return a;
}

export function tinyCnn() {
  const t = (name: string) => `${name}_output_0`;
  const nodes = [
    makeNode(
      'Conv',
      ['input', 'features.0.weight', 'features.0.bias'],
      [t('/features/features.0/Conv')],
      { kernel_shape: [3, 3], pads: [1, 1, 1, 1] },
      '/features/features.0/Conv',
    ),
    makeNode('Relu', [t('/features/features.0/Conv')], [t('/features/features.1/Relu')], {}, '/features/features.1/Relu'),
    makeNode(
      'MaxPool',
      [t('/features/features.1/Relu')],
      [t('/features/features.2/MaxPool')],
      { kernel_shape: [2, 2], strides: [2, 2] },
      '/features/features.2/MaxPool',
    ),
    makeNode(
      'Conv',
      [t('/features/features.2/MaxPool'), 'features.3.weight', 'features.3.bias'],
      [t('/features/features.3/Conv')],
      { kernel_shape: [3, 3], pads: [1, 1, 1, 1] },
      '/features/features.3/Conv',
    ),
    makeNode('Relu', [t('/features/features.3/Conv')], [t('/features/features.4/Relu')], {}, '/features/features.4/Relu'),
    makeNode('GlobalAveragePool', [t('/features/features.4/Relu')], [t('/avgpool/GlobalAveragePool')], {}, '/avgpool/GlobalAveragePool'),
    makeNode('Flatten', [t('/avgpool/GlobalAveragePool')], [t('/Flatten')], { axis: 1 }, '/Flatten'),
    makeNode(
      'Gemm',
      [t('/Flatten'), 'classifier.weight', 'classifier.bias'],
      ['logits'],
      { alpha: { float: 1 }, beta: { float: 1 }, transB: 1 },
      '/classifier/Gemm',
    ),
  ];
  const inits = [
    makeTensor('features.0.weight', [4, 3, 3, 3], weights(108, 27, 1)),
    makeTensor('features.0.bias', [4], weights(4, 27, 2)),
    makeTensor('features.3.weight', [8, 4, 3, 3], weights(288, 36, 3)),
    makeTensor('features.3.bias', [8], weights(8, 36, 4)),
    makeTensor('classifier.weight', [3, 8], weights(24, 8, 5)),
    makeTensor('classifier.bias', [3], weights(3, 8, 6)),
  ];
  const graph = makeGraph(
    'tiny_cnn',
    nodes,
    [makeValueInfo('input', DataType.FLOAT, ['batch', 3, 16, 16])],
    [makeValueInfo('logits', DataType.FLOAT, ['batch', 3])],
    inits,
  );
  return makeModel(graph, [{ domain: '', version: 17 }]);
}

async function main(): Promise<void> {
  mkdirSync(out, { recursive: true });
  writeFileSync(path.join(out, 'tiny-cnn.onnx'), encodeModel(tinyCnn()));
  writeFileSync(path.join(out, 'not-a-model.onnx'), 'this is a text file, not an ONNX model\n'.repeat(4));
  console.log(`fixtures: wrote tiny-cnn.onnx, not-a-model.onnx to ${path.relative(process.cwd(), out) || '.'}`);
  const files = await makeDebugFixture();
  const demo = await demoResult();
  console.log(
    `fixtures: Explain Batch fixture (${files.length} images, the demo analysis ${demo.reused ? 'cached' : `computed in ${demo.seconds.toFixed(0)} s`}) in ${path.relative(process.cwd(), DEBUG_FIXTURE) || '.'}`,
  );
}

if (require.main === module) {
  main().catch((e: unknown) => {
    console.error(`fixtures: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  });
}

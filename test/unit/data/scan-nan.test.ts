/**
 * A model whose outputs are NaN (or infinite) is an error, not a result (issue #17, finding 7): argmax over NaN
 * would call every image class 0 and report an accuracy that means nothing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { makeGraph, makeModel, makeNode, makeTensor, makeValueInfo } from '../../../src/engine/onnx/build';
import { DataType, encodeModel } from '../../../src/engine/onnx/proto';
import { runScan } from '../../../src/engine/data/run-scan';
import { ModelError } from '../../../src/engine/errors';

function model(w: number[], softmax = false): Uint8Array {
  const nodes = [
    makeNode('GlobalAveragePool', ['input'], ['pooled']),
    makeNode('Flatten', ['pooled'], ['flat']),
    makeNode('Gemm', ['flat', 'W'], [softmax ? 'logits' : 'out']),
  ];
  if (softmax) nodes.push(makeNode('Softmax', ['logits'], ['out'], { axis: 1 }));
  const graph = makeGraph(
    'g',
    nodes,
    [makeValueInfo('input', DataType.FLOAT, ['batch', 3, 8, 8])],
    [makeValueInfo('out', DataType.FLOAT, ['batch', 2])],
    [makeTensor('W', [3, 2], Float32Array.from(w))],
  );
  return encodeModel(makeModel(graph));
}

async function withData(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'nf-nan-'));
  try {
    for (const c of ['a', 'b']) {
      mkdirSync(path.join(dir, 'data', c), { recursive: true });
      await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 200, g: 10, b: 10 } } })
        .png()
        .toFile(path.join(dir, 'data', c, '1.png'));
    }
    await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const [what, w, softmax] of [
  ['NaN weights', [Number.NaN, 1, 1, 1, 1, 1], false],
  ['infinite weights', [Number.POSITIVE_INFINITY, 1, 1, 1, 1, 1], false],
  ['NaN weights before a Softmax', [Number.NaN, 1, 1, 1, 1, 1], true],
] as const) {
  test(`a model with ${what} is a ModelError naming the output and the image`, () =>
    withData(async (dir) => {
      const file = path.join(dir, 'nan.onnx');
      writeFileSync(file, model([...w], softmax));
      await assert.rejects(
        runScan(file, path.join(dir, 'data'), { preprocessing: 'none' }),
        (e: Error) => e instanceof ModelError && /nan\.onnx: the model's output out is (NaN|Infinity|-Infinity) \(class \d\) for .*a\/1\.png/.test(e.message),
      );
    }));
}

test('a finite model still scans', () =>
  withData(async (dir) => {
    const file = path.join(dir, 'ok.onnx');
    writeFileSync(file, model([1, -1, 0, 0, 0, 0]));
    const scan = await runScan(file, path.join(dir, 'data'), { preprocessing: 'none' });
    assert.equal(scan.images.length, 2);
  }));

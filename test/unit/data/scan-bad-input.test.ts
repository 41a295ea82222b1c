import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { makeGraph, makeModel, makeNode, makeTensor, makeValueInfo } from '../../../src/engine/onnx/build';
import { DataType, encodeModel } from '../../../src/engine/onnx/proto';
import { runScan } from '../../../src/engine/data/run-scan';
import { predictCommand } from '../../../src/cli/commands/predict';
import { runCli } from '../../helpers/cli';

/**
 * A 3-class colour classifier on 8x8 RGB: logits = 10 * (channel mean - mean of the other two), classes in
 * folder order blue (B), green (G), red (R).
 */
function colourModel(): Uint8Array {
  // Gemm: [N,3] (R,G,B means) x W [3,3] -> [blue, green, red].
  const w = Float32Array.from([
    -5,
    -5,
    10, // R
    -5,
    10,
    -5, // G
    10,
    -5,
    -5, // B
  ]);
  const graph = makeGraph(
    'colour',
    [makeNode('GlobalAveragePool', ['input'], ['pooled']), makeNode('Flatten', ['pooled'], ['flat']), makeNode('Gemm', ['flat', 'W'], ['logits'])],
    [makeValueInfo('input', DataType.FLOAT, ['batch', 3, 8, 8])],
    [makeValueInfo('logits', DataType.FLOAT, ['batch', 3])],
    [makeTensor('W', [3, 3], w)],
  );
  return encodeModel(makeModel(graph, [{ domain: '', version: 17 }]));
}

const RED = [230, 20, 20];
const BLUE = [20, 20, 230];

async function solid(rgb: number[], w = 16, h = 12): Promise<Sharp> {
  return sharp({ create: { width: w, height: h, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } });
}

async function fixture(): Promise<string> {
  const dir = mkdtempSync(path.join(tmpdir(), 'nf-scan-'));
  writeFileSync(path.join(dir, 'colour.onnx'), colourModel());
  writeFileSync(
    path.join(dir, 'colour.neurflow.json'),
    JSON.stringify({ input: { size: [8, 8], channels: 3, scale: 1 / 255, mean: [0], std: [1] }, labels: ['blue', 'green', 'red'] }),
  );
  const data = path.join(dir, 'data');
  for (const c of ['blue', 'green', 'red']) mkdirSync(path.join(data, c), { recursive: true });
  await (await solid(RED)).png().toFile(path.join(data, 'red', 'r1.png'));
  await (await solid(RED, 40, 30)).jpeg().toFile(path.join(data, 'red', 'r2.jpg'));
  await sharp({ create: { width: 10, height: 10, channels: 4, background: { r: RED[0], g: RED[1], b: RED[2], alpha: 0.5 } } })
    .png()
    .toFile(path.join(data, 'red', 'r3-rgba.png'));
  await (await solid(RED))
    .toColourspace('rgb16')
    .png()
    .toFile(path.join(data, 'red', 'r4-16bit.png'));
  writeFileSync(path.join(data, 'red', 'r5-broken.png'), 'not a png');
  const jpg = await (await solid(RED, 64, 64)).jpeg().toBuffer();
  writeFileSync(path.join(data, 'red', 'r6-cut.jpg'), jpg.subarray(0, jpg.length >> 1));
  await (await solid(BLUE)).png().toFile(path.join(data, 'blue', 'b1.png'));
  await (await solid(BLUE, 20, 20)).webp().toFile(path.join(data, 'blue', 'b2.webp'));
  await sharp(Buffer.alloc(64, 90), { raw: { width: 8, height: 8, channels: 1 } })
    .toColourspace('b-w')
    .png()
    .toFile(path.join(data, 'blue', 'b3-grey.png'));
  await (await solid(RED)).png().toFile(path.join(data, 'blue', 'b4-actually-red.png'));
  return dir;
}

test('bad input: corrupt and truncated files are skipped with reasons, the rest is scanned and converted', async () => {
  const dir = await fixture();
  try {
    const progress: number[] = [];
    const r = await runScan(path.join(dir, 'colour.onnx'), path.join(dir, 'data'), { batchSize: 3, onProgress: (d) => progress.push(d) });
    assert.deepEqual(r.classes, ['blue', 'green', 'red']);
    assert.deepEqual(
      r.images.map((i) => i.path),
      ['blue/b1.png', 'blue/b2.webp', 'blue/b3-grey.png', 'blue/b4-actually-red.png', 'red/r1.png', 'red/r2.jpg', 'red/r3-rgba.png', 'red/r4-16bit.png'],
    );
    assert.deepEqual(
      r.skipped.map((s) => s.path),
      ['red/r5-broken.png', 'red/r6-cut.jpg'],
    );
    assert.ok(
      r.skipped.every((s) => /cannot decode the image/.test(s.reason)),
      JSON.stringify(r.skipped),
    );
    assert.ok(
      r.warnings.some((w) => /class folder 'green' has no images/.test(w)),
      r.warnings.join('; '),
    );
    assert.deepEqual(r.decode, { greyToRgb: 1, colourToGrey: 0, alphaDropped: 1, sixteenBit: 1, exifRotated: 0 });
    const pred = Object.fromEntries(r.images.map((i) => [i.path, r.classes[i.pred]]));
    for (const p of ['red/r1.png', 'red/r2.jpg', 'red/r3-rgba.png', 'red/r4-16bit.png', 'blue/b4-actually-red.png']) assert.equal(pred[p], 'red', p);
    assert.equal(pred['blue/b1.png'], 'blue');
    assert.equal(r.correct, 7); // b3-grey is a tie, argmax takes the first class (blue, its label); b4 is labelled wrong
    assert.equal(r.perClass[1].support, 0);
    assert.equal(r.perClass[1].recall, null);
    const b4 = r.images.findIndex((i) => i.path === 'blue/b4-actually-red.png');
    assert.deepEqual(
      r.mistakes[2].falsePositives.map((m) => m.image),
      [b4],
    );
    assert.equal(r.labelIssues.suspects[0].image, b4);
    assert.equal(r.classes[r.labelIssues.suspects[0].proposed], 'red');
    assert.equal(progress[progress.length - 1], 10);
    assert.doesNotThrow(() => JSON.parse(JSON.stringify(r)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a CSV manifest with a missing file scans the rest; label names map through the model's class names", async () => {
  const dir = await fixture();
  try {
    writeFileSync(path.join(dir, 'm.csv'), 'path,label\ndata/red/r1.png,red\ndata/blue/b1.png,blue\ndata/red/gone.png,red\n');
    const r = await runScan(path.join(dir, 'colour.onnx'), path.join(dir, 'm.csv'), { preprocessing: { size: 8, scale: 1 / 255 } });
    assert.equal(r.dataset.layout, 'csv');
    assert.deepEqual(
      r.images.map((i) => i.path),
      ['data/red/r1.png', 'data/blue/b1.png'],
    );
    assert.deepEqual(r.skipped, [{ path: 'data/red/gone.png', reason: 'file not found (manifest line 4)' }]);
    assert.equal(r.accuracy, 1);
    assert.deepEqual(
      r.images.map((i) => i.label),
      [2, 0],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a scan is cancelled through its AbortSignal', async () => {
  const dir = await fixture();
  try {
    const ac = new AbortController();
    await assert.rejects(
      runScan(path.join(dir, 'colour.onnx'), path.join(dir, 'data'), { batchSize: 2, signal: ac.signal, onProgress: () => ac.abort() }),
      (e: Error) => e.name === 'AbortError',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('neurflow predict prints the report, or the scan as JSON', async () => {
  const dir = await fixture();
  try {
    const text = await runCli(['predict', path.join(dir, 'colour.onnx'), '--data', path.join(dir, 'data'), '--top', '3']);
    assert.equal(text.code, 0);
    assert.match(text.out, /accuracy {2}87\.50% \(7\/8\)/);
    assert.match(text.out, /suspected label errors \(1 of 1;/);
    assert.match(text.out, /blue\/b4-actually-red\.png\s+blue\s+0\.000\s+red/);
    assert.match(text.out, /red\/r5-broken\.png: cannot decode the image/);
    const json = await runCli(['predict', path.join(dir, 'colour.onnx'), '--data', path.join(dir, 'data'), '--json']);
    const r = JSON.parse(json.out);
    assert.equal(r.format, 'neurflow.scan');
    assert.equal(r.images.length, 8);
    await assert.rejects(predictCommand.run([path.join(dir, 'colour.onnx')]), /--data is required/);
    await assert.rejects(predictCommand.run([path.join(dir, 'colour.onnx'), '--data', dir, '--preset', 'vgg']), /--preset must be one of imagenet, none/);
    await assert.rejects(
      predictCommand.run([path.join(dir, 'colour.onnx'), '--data', path.join(dir, 'data'), '--preset', 'imagenet']),
      /gives 224x224 images but the model's input input \[batch, 3, 8, 8\] takes 8x8/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

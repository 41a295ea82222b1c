import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { completePreprocessing, resolvePreprocessing } from '../../../src/engine/data/sidecar';
import type { ModelInput } from '../../../src/engine/onnx/model';
import { DataError } from '../../../src/engine/errors';

const RGB224: ModelInput = { name: 'input', shape: ['batch', 3, 224, 224], channels: 3, height: 224, width: 224 };
const GREY28: ModelInput = { name: 'x', shape: ['N', 1, 28, 28], channels: 1, height: 28, width: 28 };
const DYNAMIC: ModelInput = { name: 'input', shape: ['batch', 3, 'h', 'w'], channels: 3, height: 0, width: 0 };

test('presets: imagenet is resize 256 + crop 224 with ImageNet statistics; none resizes to the model input', () => {
  const im = completePreprocessing({ preset: 'imagenet' }, RGB224, 'x');
  assert.deepEqual([im.size, im.resize, im.centerCrop, im.mean, im.std], [[224, 224], 256, [224, 224], [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]]);
  const none = completePreprocessing({ preset: 'none' }, GREY28, 'x');
  assert.deepEqual([none.size, none.channels, none.resize, none.centerCrop, none.mean, none.std], [[28, 28], 1, null, null, [0], [1]]);
  assert.ok(Math.abs(none.scale - 1 / 255) < 1e-15);
  // Fields override the preset.
  const bgr = completePreprocessing({ preset: 'imagenet', channelOrder: 'BGR', resize: 240 }, RGB224, 'x');
  assert.deepEqual([bgr.channelOrder, bgr.resize], ['BGR', 240]);
});

test('preprocessing that disagrees with the model input is refused with a message naming both', () => {
  assert.throws(
    () => completePreprocessing({ preset: 'imagenet' }, GREY28, 'model.neurflow.json'),
    (e: Error) =>
      e instanceof DataError && /model\.neurflow\.json: the preprocessing gives 3 channels but the model's input x \[N, 1, 28, 28\] takes 1/.test(e.message),
  );
  assert.throws(
    () => completePreprocessing({ preset: 'imagenet', channels: 1 }, GREY28, 's.json'),
    /gives 224x224 images but the model's input x \[N, 1, 28, 28\] takes 28x28/,
  );
  assert.throws(() => completePreprocessing({ size: 32, mean: [0.5, 0.5] }, RGB224, 's.json'), /gives 32x32/);
  assert.throws(() => completePreprocessing({ mean: [0.5, 0.5] }, RGB224, 's.json'), /"mean" has 2 values but the model takes 3 channels/);
  assert.throws(() => completePreprocessing({ std: [0] }, RGB224, 's.json'), /"std" must not contain 0/);
  assert.throws(
    () => completePreprocessing({ size: [-1, 3] as unknown as [number, number] }, RGB224, 's.json'),
    /s\.json: field "size" must be a positive integer or \[height, width\], got \[-1,3\]/,
  );
  assert.throws(
    () => completePreprocessing({ preset: 'cifar' as 'none' }, RGB224, 'the option'),
    /the option: field "preset" is an unknown preset "cifar" \(known: imagenet, none\)/,
  );
  assert.throws(() => completePreprocessing({ scale: -1 }, RGB224, 's.json'), /s\.json: field "scale" must be a positive number, got -1/);
  assert.throws(() => completePreprocessing({}, DYNAMIC, 's.json'), /no image size given and the model's input input \[batch, 3, h, w\] does not fix it/);
  assert.deepEqual(completePreprocessing({ size: [96, 128] }, DYNAMIC, 's.json').size, [96, 128]);
});

test('sidecar lookup: <model>.neurflow.json, then neurflow.json in the folder, then the none preset; an option wins', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'nf-sc-'));
  try {
    const model = path.join(dir, 'net.onnx');
    const none = resolvePreprocessing(model, GREY28);
    assert.equal(none.source, 'default');
    writeFileSync(path.join(dir, 'neurflow.json'), JSON.stringify({ input: { size: [28, 28], mean: [0.1], std: [0.2] } }));
    const folder = resolvePreprocessing(model, GREY28);
    assert.equal(folder.source, 'folder');
    assert.deepEqual(folder.preprocessing.mean, [0.1]);
    writeFileSync(path.join(dir, 'net.neurflow.json'), JSON.stringify({ input: { size: [28, 28], mean: [0.3], std: [0.4] }, labels: ['a', 'b'] }));
    const side = resolvePreprocessing(model, GREY28);
    assert.equal(side.source, 'sidecar');
    assert.equal(side.file, path.join(dir, 'net.neurflow.json'));
    assert.deepEqual([side.preprocessing.mean, side.labels], [[0.3], ['a', 'b']]);
    const opt = resolvePreprocessing(model, GREY28, 'none');
    assert.equal(opt.source, 'option');
    assert.deepEqual([opt.preprocessing.mean, opt.labels], [[0], ['a', 'b']]);
    writeFileSync(path.join(dir, 'net.neurflow.json'), JSON.stringify({ input: { size: [28, 28], mean: 'dark' } }));
    assert.throws(() => resolvePreprocessing(model, GREY28), /net\.neurflow\.json: field "input\.mean" must be a number or a list of numbers, got "dark"/);
    writeFileSync(path.join(dir, 'net.neurflow.json'), JSON.stringify({ input: { size: [28, 28] }, labels: ['a', 2] }));
    assert.throws(() => resolvePreprocessing(model, GREY28), /net\.neurflow\.json: field "labels\[1\]" is not a string \(got 2\)/);
    writeFileSync(path.join(dir, 'net.neurflow.json'), JSON.stringify({ size: [28, 28], channelOrder: 'GBR', labels: ['a'] }));
    assert.throws(() => resolvePreprocessing(model, GREY28), /net\.neurflow\.json: field "channelOrder" must be "RGB" or "BGR", got "GBR"/);
    writeFileSync(path.join(dir, 'net.neurflow.json'), JSON.stringify({ size: [28, 28], std: [0.5], labels: ['a'] }));
    assert.deepEqual(resolvePreprocessing(model, GREY28).labels, ['a'], 'a bare settings object with labels beside them');
    writeFileSync(path.join(dir, 'net.neurflow.json'), '[1, 2]');
    assert.throws(() => resolvePreprocessing(model, GREY28), /net\.neurflow\.json: the sidecar must be a JSON object/);
    writeFileSync(path.join(dir, 'net.neurflow.json'), '{ broken');
    assert.throws(() => resolvePreprocessing(model, GREY28), /net\.neurflow\.json: not a readable JSON sidecar/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

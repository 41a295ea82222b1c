import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { readNpy } from '../../../src/engine/io/npy';
import { openDataset } from '../../../src/engine/data/dataset';
import { loadImageTensor, loadImageTensors } from '../../../src/engine/data/loader';
import { cropOffset, preprocess, resizeAndCrop, resizedSize, type Preprocessing } from '../../../src/engine/data/preprocess';
import { bilinearCoefficients, resizeBilinear } from '../../../src/engine/data/resample';
import { readSidecar, completePreprocessing } from '../../../src/engine/data/sidecar';
import type { Pixels } from '../../../src/engine/data/image';
import { sharedPath } from '../../helpers/shared';

const FIRST8: [string, string, string][] = [
  ['shortcut-test', 'datasets/shortcut/test', 'shortcut-resnet'],
  ['shortcut-audit', 'datasets/shortcut/audit', 'shortcut-mobilenet'],
  ['fmnist-test', 'reference/fmnist-test', 'fmnist-cnn'],
];

for (const [split, dataRel, model] of FIRST8) {
  test(`preprocessed tensors equal PyTorch's first 8 of ${split}`, async (t) => {
    const npy = sharedPath(t, `reference/predictions/${split}__first8.npy`);
    const root = sharedPath(t, dataRel);
    const sidecar = sharedPath(t, `reference/models/${model}.neurflow.json`);
    if (!npy || !root || !sidecar) return;
    const ref = readNpy(npy);
    const [n, c, h, w] = ref.shape;
    const input = { name: 'input', shape: ['batch', c, h, w], channels: c, height: h, width: w };
    const p = completePreprocessing(readSidecar(sidecar).settings, input, sidecar);
    const ds = openDataset(root);
    const per = c * h * w;
    let maxDiff = 0;
    for (let i = 0; i < n; i++) {
      const x = await loadImageTensor(ds.items[i].file, p);
      assert.equal(x.length, per);
      const r = (ref.data as Float32Array).subarray(i * per, (i + 1) * per);
      for (let j = 0; j < per; j++) maxDiff = Math.max(maxDiff, Math.abs(x[j] - r[j]));
    }
    assert.ok(maxDiff <= 1e-6, `max |ours - PyTorch| = ${maxDiff}`);
  });
}

test('resize sizes and centre-crop offsets follow torchvision', () => {
  assert.deepEqual(resizedSize(640, 480, 256), [341, 256]); // int(256 * 640 / 480)
  assert.deepEqual(resizedSize(480, 640, 256), [256, 341]);
  assert.deepEqual(resizedSize(500, 375, 256), [341, 256]);
  assert.deepEqual(resizedSize(300, 300, [100, 200]), [200, 100]);
  assert.equal(cropOffset(341, 224), 58); // round(58.5) = 58 (half to even)
  assert.equal(cropOffset(343, 224), 60); // round(59.5) = 60
  assert.equal(cropOffset(256, 224), 16);
  assert.equal(cropOffset(200, 224), -12); // zero padding of 12 before
});

function ramp(w: number, h: number, c: number): Pixels {
  const data = new Uint8Array(w * h * c);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) data[(y * w + x) * c + k] = (x * 7 + y * 13 + k * 50) % 256;
  return { width: w, height: h, channels: c, data };
}

test('bilinear coefficients are normalised, widen with the downscale factor and stay in range', () => {
  for (const [inSize, outSize] of [
    [640, 341],
    [480, 256],
    [28, 64],
    [100, 100],
    [7, 3],
  ]) {
    const k = bilinearCoefficients(inSize, outSize);
    for (let o = 0; o < outSize; o++) {
      let sum = 0;
      for (let j = 0; j < k.count[o]; j++) sum += k.weights[o * k.taps + j];
      assert.ok(Math.abs(sum - 1) < 1e-12, `weights of ${o} sum to ${sum}`);
      assert.ok(k.start[o] >= 0 && k.start[o] + k.count[o] <= inSize);
    }
    const maxTaps = Math.max(...k.count);
    assert.ok(maxTaps <= 2 * Math.ceil(Math.max(inSize / outSize, 1)) + 1);
  }
});

test('resize keeps a constant image constant and an unchanged size identical', () => {
  const flat: Pixels = { width: 50, height: 40, channels: 3, data: new Uint8Array(50 * 40 * 3).fill(137) };
  const small = resizeBilinear(flat, 17, 13);
  assert.ok((small.data as Uint8Array).every((v) => v === 137));
  const img = ramp(30, 20, 3);
  assert.deepEqual(Array.from(resizeBilinear(img, 30, 20).data), Array.from(img.data));
});

test('8-bit resize equals the double-precision filter to within rounding, and the window equals the full result cropped', () => {
  const img = ramp(64, 48, 3);
  const full = resizeBilinear(img, 37, 29);
  // Float path on the same pixels: the fixed-point result may differ by rounding only (two passes: <= 1).
  const asFloat: Pixels = { ...img, data: Float32Array.from(img.data) };
  const ref = resizeBilinear(asFloat, 37, 29);
  let maxDiff = 0;
  for (let i = 0; i < full.data.length; i++) maxDiff = Math.max(maxDiff, Math.abs(full.data[i] - ref.data[i]));
  assert.ok(maxDiff <= 1.0, `max diff ${maxDiff}`);
  const win = resizeBilinear(img, 37, 29, { x: 5, y: 3, width: 20, height: 21 });
  for (let y = 0; y < 21; y++)
    for (let x = 0; x < 20; x++)
      for (let c = 0; c < 3; c++) {
        assert.equal(win.data[(y * 20 + x) * 3 + c], full.data[((y + 3) * 37 + x + 5) * 3 + c]);
      }
});

const IMAGENET: Preprocessing = {
  size: [224, 224],
  channels: 3,
  scale: 1 / 255,
  mean: [0.485, 0.456, 0.406],
  std: [0.229, 0.224, 0.225],
  resize: 256,
  centerCrop: [224, 224],
  channelOrder: 'RGB',
};

test('imagenet geometry: short side to 256, centre 224 crop, normalised per channel', () => {
  const img = ramp(320, 240, 3);
  const fitted = resizeAndCrop(img, IMAGENET);
  assert.equal(fitted.width, 224);
  assert.equal(fitted.height, 224);
  const x = preprocess(img, IMAGENET);
  assert.equal(x.length, 3 * 224 * 224);
  // Pixel (0,0) of channel 1 is (v/255 - 0.456) / 0.224 of the fitted image.
  const v = fitted.data[1];
  assert.ok(Math.abs(x[224 * 224] - (v / 255 - 0.456) / 0.224) < 1e-6);
  // A crop larger than the image pads with zeros (value (0 - mean) / std).
  const tiny = preprocess(ramp(100, 100, 3), { ...IMAGENET, resize: null });
  assert.ok(Math.abs(tiny[0] - (0 - 0.485) / 0.229) < 1e-6);
  assert.ok(Math.abs(tiny[112 * 224 + 112] - (0 - 0.485) / 0.229) > 1e-3);
});

test('BGR order swaps the channels; grey input must match the channel count', () => {
  const img = ramp(8, 8, 3);
  const p: Preprocessing = { size: [8, 8], channels: 3, scale: 1, mean: [0], std: [1], resize: null, centerCrop: null, channelOrder: 'RGB' };
  const rgb = preprocess(img, p);
  const bgr = preprocess(img, { ...p, channelOrder: 'BGR' });
  assert.deepEqual(Array.from(bgr.subarray(0, 64)), Array.from(rgb.subarray(128, 192)));
  assert.throws(() => preprocess({ width: 8, height: 8, channels: 1, data: new Uint8Array(64) }, p), /1 channels, the model takes 3/);
});

test('the reference sidecar format reads', (t) => {
  const file = sharedPath(t, 'reference/models/shortcut-resnet.neurflow.json');
  if (!file) return;
  const { settings, labels } = readSidecar(file);
  assert.deepEqual(labels, ['circle', 'square', 'star', 'triangle']);
  const p = completePreprocessing(settings, { name: 'input', shape: ['batch', 3, 64, 64], channels: 3, height: 64, width: 64 }, path.basename(file));
  assert.deepEqual(p.size, [64, 64]);
  assert.deepEqual(p.mean, [0.5, 0.5, 0.5]);
});

test('loadImageTensors keeps file order with bounded concurrency and equals one-by-one loading', async (t) => {
  const root = sharedPath(t, 'datasets/shortcut/test');
  if (!root) return;
  const files = openDataset(root)
    .items.slice(0, 12)
    .map((i) => i.file);
  const p: Preprocessing = { size: [32, 32], channels: 3, scale: 1 / 255, mean: [0.5], std: [0.25], resize: null, centerCrop: null, channelOrder: 'RGB' };
  const all = await loadImageTensors(files, p, { concurrency: 3 });
  assert.equal(all.length, 12);
  for (const i of [0, 7, 11]) assert.deepEqual(Array.from(all[i]), Array.from(await loadImageTensor(files[i], p)));
  assert.notDeepEqual(Array.from(all[0]), Array.from(all[1]));
});

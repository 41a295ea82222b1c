import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { decodeImage, decodeImageFile } from '../../../src/engine/data/image';
import { DataError } from '../../../src/engine/errors';

/** A w x h RGB test pattern: R = x * 10, G = y * 20, B = 200. */
function pattern(w: number, h: number): Buffer {
  const px = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) px.set([x * 10, y * 20, 200], (y * w + x) * 3);
  return px;
}

test('a greyscale PNG given to an RGB model replicates the grey channel; to a grey model it stays one channel', async () => {
  const grey = Buffer.from(Array.from({ length: 12 }, (_, i) => i * 20));
  const png = await sharp(grey, { raw: { width: 4, height: 3, channels: 1 } })
    .toColourspace('b-w')
    .png()
    .toBuffer();
  assert.equal((await sharp(png).metadata()).channels, 1);
  const rgb = await decodeImage(png, 3, 'grey.png');
  assert.equal(rgb.channels, 3);
  assert.equal(rgb.sourceChannels, 1);
  for (let i = 0; i < 12; i++) assert.deepEqual(Array.from(rgb.data.subarray(i * 3, i * 3 + 3)), [i * 20, i * 20, i * 20]);
  const one = await decodeImage(png, 1, 'grey.png');
  assert.equal(one.channels, 1);
  assert.deepEqual(Array.from(one.data), Array.from(grey));
});

test("an RGB image given to a grey model uses Pillow's luma (L = 0.299 R + 0.587 G + 0.114 B)", async () => {
  const png = await sharp(Buffer.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30]), { raw: { width: 4, height: 1, channels: 3 } })
    .png()
    .toBuffer();
  const g = await decodeImage(png, 1, 'rgb.png');
  // (R*19595 + G*38470 + B*7471 + 0x8000) >> 16
  assert.deepEqual(Array.from(g.data), [76, 150, 29, 18]);
});

test('RGBA: alpha is dropped, colour kept as stored (torchvision convert("RGB"))', async () => {
  const rgba = Buffer.from([10, 20, 30, 0, 40, 50, 60, 128, 70, 80, 90, 255, 1, 2, 3, 255]);
  const png = await sharp(rgba, { raw: { width: 2, height: 2, channels: 4 } })
    .png()
    .toBuffer();
  const img = await decodeImage(png, 3, 'rgba.png');
  assert.equal(img.channels, 3);
  assert.equal(img.sourceChannels, 4);
  assert.deepEqual(Array.from(img.data), [10, 20, 30, 40, 50, 60, 70, 80, 90, 1, 2, 3]);
});

test('16-bit PNG keeps its precision on the 0..255 scale', async () => {
  const v = new Uint16Array([0, 65535, 32768, 257, 1000, 2000]);
  const png = await sharp(v, { raw: { width: 2, height: 1, channels: 3 } })
    .toColourspace('rgb16')
    .png()
    .toBuffer();
  assert.equal((await sharp(png).metadata()).depth, 'ushort');
  const img = await decodeImage(png, 3, 'deep.png');
  assert.equal(img.bitDepth, 16);
  assert.ok(img.data instanceof Float32Array);
  const want = Array.from(v, (x) => (x * 255) / 65535);
  Array.from(img.data).forEach((x, i) => assert.ok(Math.abs(x - want[i]) < 1e-4, `${x} vs ${want[i]}`));
  const grey16 = await sharp(new Uint16Array([0, 30000, 65535, 12345]), { raw: { width: 2, height: 2, channels: 1 } })
    .toColourspace('grey16')
    .png()
    .toBuffer();
  const g = await decodeImage(grey16, 1, 'grey16.png');
  assert.ok(Math.abs(g.data[1] - (30000 * 255) / 65535) < 1e-4);
});

test('EXIF orientation is applied (a 6 = rotate 90 degrees clockwise JPEG comes out upright)', async () => {
  const w = 6;
  const h = 4;
  const jpg = await sharp(pattern(w, h), { raw: { width: w, height: h, channels: 3 } })
    .jpeg({ quality: 100 })
    .withMetadata({ orientation: 6 })
    .toBuffer();
  assert.equal((await sharp(jpg).metadata()).orientation, 6);
  const img = await decodeImage(jpg, 3, 'rotated.jpg');
  assert.equal(img.width, h);
  assert.equal(img.height, w);
  assert.equal(img.orientation, 6);
  // Rotated clockwise: the stored top-left pixel (R=0, G=0) is now top-right; stored bottom-left (G high) top-left.
  const at = (x: number, y: number) => Array.from(img.data.subarray((y * img.width + x) * 3, (y * img.width + x) * 3 + 3));
  assert.ok(at(img.width - 1, 0)[1] < 15 && at(img.width - 1, 0)[0] < 15, `top-right ${at(img.width - 1, 0)}`);
  assert.ok(at(0, 0)[1] > 45, `top-left ${at(0, 0)}`);
});

test('WebP decodes', async () => {
  const webp = await sharp(pattern(5, 5), { raw: { width: 5, height: 5, channels: 3 } })
    .webp({ lossless: true })
    .toBuffer();
  const img = await decodeImage(webp, 3, 'x.webp');
  assert.deepEqual([img.width, img.height, img.channels], [5, 5, 3]);
  assert.deepEqual(Array.from(img.data.subarray(0, 3)), [0, 0, 200]);
});

test('corrupt, truncated, empty and missing files are DataErrors naming the file and the reason', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'nf-img-'));
  try {
    const png = await sharp(pattern(16, 16), { raw: { width: 16, height: 16, channels: 3 } })
      .png()
      .toBuffer();
    writeFileSync(path.join(dir, 'garbage.png'), Buffer.from('this is not an image at all'));
    writeFileSync(path.join(dir, 'cut.png'), png.subarray(0, png.length - 40));
    writeFileSync(path.join(dir, 'empty.jpg'), Buffer.alloc(0));
    await assert.rejects(
      decodeImageFile(path.join(dir, 'garbage.png'), 3),
      (e: Error) => e instanceof DataError && /garbage\.png: cannot decode the image/.test(e.message),
    );
    await assert.rejects(decodeImageFile(path.join(dir, 'cut.png'), 3), (e: Error) => e instanceof DataError && /cut\.png: cannot decode/.test(e.message));
    await assert.rejects(decodeImageFile(path.join(dir, 'empty.jpg'), 3), /empty\.jpg: the file is empty/);
    await assert.rejects(decodeImageFile(path.join(dir, 'missing.png'), 3), /missing\.png: cannot read the file \(file not found\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { noiseLevel, occludeBox } from '../../../src/engine/audit/occlude';
import { locate } from '../../../src/engine/audit/evidence';

/** A 2-channel H x W image: channel 0 a horizontal ramp, channel 1 constant 5; a "marker" of 9s in `box`. */
function image(h: number, w: number, box: [number, number, number, number]): Float32Array {
  const out = new Float32Array(2 * h * w);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const inside = x >= box[0] && x < box[2] && y >= box[1] && y < box[3];
      out[y * w + x] = inside ? 9 : x / w;
      out[h * w + y * w + x] = inside ? 9 : 5;
    }
  return out;
}

test('occluding a box removes what is inside and keeps everything outside', () => {
  const box: [number, number, number, number] = [4, 3, 8, 7];
  const img = image(12, 12, box);
  const out = occludeBox(img, 2, 12, 12, box);
  for (let y = 0; y < 12; y++)
    for (let x = 0; x < 12; x++) {
      const inside = x >= 4 && x < 8 && y >= 3 && y < 7;
      if (!inside) {
        assert.equal(out[y * 12 + x], img[y * 12 + x]);
        assert.equal(out[144 + y * 12 + x], img[144 + y * 12 + x]);
      } else {
        // Constant background: filled exactly; ramp: between the ramp's values at the box's sides.
        assert.ok(Math.abs(out[144 + y * 12 + x] - 5) < 1e-6, `constant channel at ${x},${y}: ${out[144 + y * 12 + x]}`);
        assert.ok(out[y * 12 + x] >= 3 / 12 - 1e-6 && out[y * 12 + x] <= 8 / 12 + 1e-6, `ramp at ${x},${y}: ${out[y * 12 + x]}`);
      }
    }
  assert.equal(img[3 * 12 + 4], 9, 'the input is not modified');
});

test('a box at the image corner is filled from the sides it has', () => {
  const box: [number, number, number, number] = [0, 0, 5, 5];
  const out = occludeBox(image(10, 10, box), 2, 10, 10, box);
  for (let y = 0; y < 5; y++) for (let x = 0; x < 5; x++) assert.ok(Math.abs(out[100 + y * 10 + x] - 5) < 1e-6);
});

test('the evidence is located where the overlapping windows meet, padded by half their stride', () => {
  // 16-px windows with stride 8 on a 64-px image (granularity 0.25, stride ratio 0.5): three windows share [24, 16, 32, 24].
  const windows: [number, number, number, number][] = [
    [16, 8, 32, 24],
    [24, 8, 40, 24],
    [16, 16, 32, 32],
    [48, 48, 64, 64],
  ];
  const box = locate(windows, [16, 8, 32, 24], 0.25, { height: 64, width: 64 }, 0.5);
  assert.deepEqual(box, [20, 12, 36, 28]);
});

test('on a grainy background the fill is as grainy as its surroundings (no flat patch), and repeats exactly', () => {
  // Background 0.5 + white noise of sd 0.2 (seeded); a flat 12x12 "marker" of 3s.
  let t = 12345;
  const rand = () => {
    t = (t * 1103515245 + 12345) % 2147483648;
    return t / 2147483648;
  };
  const h = 48;
  const w = 48;
  const box: [number, number, number, number] = [18, 18, 30, 30];
  const img = new Float32Array(h * w);
  for (let i = 0; i < h * w; i++) img[i] = 0.5 + 0.2 * Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  for (let y = 18; y < 30; y++) for (let x = 18; x < 30; x++) img[y * w + x] = 3;
  const out = occludeBox(img, 1, h, w, box);
  const inside: number[] = [];
  for (let y = 18; y < 30; y++) for (let x = 18; x < 30; x++) inside.push(out[y * w + x]);
  const mean = inside.reduce((a, b) => a + b, 0) / inside.length;
  const sd = Math.sqrt(inside.reduce((a, b) => a + (b - mean) ** 2, 0) / inside.length);
  assert.ok(Math.abs(mean - 0.5) < 0.1, `fill mean ${mean}`);
  assert.ok(sd > 0.14 && sd < 0.3, `fill sd ${sd} vs background 0.2`);
  assert.deepEqual(occludeBox(img, 1, h, w, box), out);
});

test('the noise level ignores linear trends and a step crossing the ring', () => {
  const ramp = Float32Array.from({ length: 20 }, (_, i) => i * 0.3);
  assert.ok(noiseLevel([ramp]) < 1e-6);
  const step = Float32Array.from({ length: 20 }, (_, i) => (i < 10 ? 0 : 5));
  assert.equal(noiseLevel([step]), 0);
});

/**
 * The one preprocessing implementation (predictions, crops, debugging, CLI): torchvision's
 * `Resize -> CenterCrop -> ToTensor -> Normalize` on PIL images, reproduced exactly for 8-bit images.
 *
 *   1. `resize`: a number resizes the short side to it (long side `int(resize * long / short)`, as torchvision);
 *      `[h, w]` resizes to exactly that. Pillow's antialiased bilinear filter (see resample.ts).
 *   2. `centerCrop` `[h, w]`: torchvision's offsets (`int(round((H - h) / 2))`, round half to even), zero padding
 *      when the crop is larger than the image.
 *   3. If the image is still not `size` `[h, w]`, it is resized to exactly `size` (a dataset with mixed sizes
 *      and no resize setting still runs).
 *   4. `x * scale`, then `(x - mean[c]) / std[c]`, in float32 as PyTorch computes it; channels written in
 *      `channelOrder` (`BGR` swaps), planar (C x H x W). `mean` and `std` are in the tensor's channel order.
 */
import { DataError } from '../errors';
import type { Pixels } from './image';
import { resizeBilinear, type Box } from './resample';

export interface Preprocessing {
  /** Final tensor size [height, width]. */
  size: [number, number];
  /** Channels the model takes (1 grey or 3 colour). */
  channels: 1 | 3;
  /** Pixel values (0..255) are multiplied by this first (1/255 for torchvision's ToTensor). */
  scale: number;
  /** Per channel (or one value for all). */
  mean: number[];
  std: number[];
  /** Short side (number) or exact [height, width]; null: no resize step. */
  resize: number | [number, number] | null;
  /** [height, width]; null: no crop. */
  centerCrop: [number, number] | null;
  channelOrder: 'RGB' | 'BGR';
}

/** torchvision's output size of `Resize(size)` for an image of `w x h`: [newW, newH]. */
export function resizedSize(w: number, h: number, resize: number | [number, number]): [number, number] {
  if (Array.isArray(resize)) return [resize[1], resize[0]];
  const short = Math.min(w, h);
  const long = Math.max(w, h);
  const newLong = Math.trunc((resize * long) / short);
  return w <= h ? [resize, newLong] : [newLong, resize];
}

/** Python's round() for halves: to the even neighbour. */
function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d < 0.5) return f;
  if (d > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}

/** Offset of a centre crop of `crop` in `size` (negative: zero padding before), as torchvision's center_crop. */
export function cropOffset(size: number, crop: number): number {
  if (crop > size) return -Math.floor((crop - size) / 2);
  return roundHalfEven((size - crop) / 2);
}

/** Crops the centre `[h, w]` window of the image resized to `rw x rh` (zero padding where it lies outside). */
function resizeCrop(img: Pixels, rw: number, rh: number, crop: [number, number]): Pixels {
  const [height, width] = crop;
  const x = cropOffset(rw, width);
  const y = cropOffset(rh, height);
  if (x >= 0 && y >= 0) return resizeBilinear(img, rw, rh, { x, y, width, height });
  const x0 = Math.max(x, 0);
  const y0 = Math.max(y, 0);
  const box: Box = { x: x0, y: y0, width: Math.min(x + width, rw) - x0, height: Math.min(y + height, rh) - y0 };
  const part = resizeBilinear(img, rw, rh, box);
  const c = img.channels;
  const data = part.data instanceof Uint8Array ? new Uint8Array(width * height * c) : new Float32Array(width * height * c);
  for (let r = 0; r < box.height; r++) {
    data.set(part.data.subarray(r * box.width * c, (r + 1) * box.width * c), ((y0 - y + r) * width + (x0 - x)) * c);
  }
  return { width, height, channels: c, data };
}

/** Resizes and crops pixels as the preprocessing says; the result is `size` (interleaved, 0..255 scale). */
export function resizeAndCrop(img: Pixels, p: Preprocessing): Pixels {
  const [h, w] = p.size;
  if (p.resize === null && p.centerCrop === null) return resizeBilinear(img, w, h);
  const [rw, rh] = p.resize === null ? [img.width, img.height] : resizedSize(img.width, img.height, p.resize);
  const out = p.centerCrop ? resizeCrop(img, rw, rh, p.centerCrop) : resizeBilinear(img, rw, rh);
  return out.width === w && out.height === h ? out : resizeBilinear(out, w, h);
}

/**
 * Preprocesses decoded pixels (already converted to `p.channels`) into `out` at `offset` (C x H x W float32).
 * Returns the number of values written.
 */
export function preprocessInto(img: Pixels, p: Preprocessing, out: Float32Array, offset = 0): number {
  if (img.channels !== p.channels) {
    throw new DataError(`preprocessing: the image has ${img.channels} channels, the model takes ${p.channels}`);
  }
  const fitted = resizeAndCrop(img, p);
  const [h, w] = p.size;
  const c = p.channels;
  const plane = h * w;
  const data = fitted.data;
  const scale = p.scale;
  for (let ch = 0; ch < c; ch++) {
    const src = p.channelOrder === 'BGR' ? c - 1 - ch : ch;
    const mean = Math.fround(p.mean.length === 1 ? p.mean[0] : p.mean[ch]);
    const std = Math.fround(p.std.length === 1 ? p.std[0] : p.std[ch]);
    const base = offset + ch * plane;
    for (let i = 0; i < plane; i++) {
      const v = Math.fround(data[i * c + src] * scale);
      out[base + i] = Math.fround(v - mean) / std;
    }
  }
  return c * plane;
}

/** Preprocesses one image into a new tensor of shape [C, H, W]. */
export function preprocess(img: Pixels, p: Preprocessing): Float32Array {
  const out = new Float32Array(p.channels * p.size[0] * p.size[1]);
  preprocessInto(img, p, out, 0);
  return out;
}

/**
 * Small WebP thumbnails of crops (at most 96 px a side) for the result document, made with sharp from the
 * preprocessed images: `toRgb` undoes the preprocessing (scale, mean, std) so the crops look like the source.
 */
import sharp from 'sharp';
import type { Crop } from './crops';

/** Converts a CHW float image to display RGB bytes (HWC). */
export type ToRgb = (chw: Float32Array, channels: number, height: number, width: number) => Uint8Array;

/** Undo `(x * scale - mean) / std` per channel, clamp to 0..255; greyscale is repeated over RGB. */
export function denormaliser(mean: readonly number[], std: readonly number[], scale = 1 / 255): ToRgb {
  return (chw, channels, height, width) => {
    const out = new Uint8Array(height * width * 3);
    const plane = height * width;
    for (let p = 0; p < plane; p++) {
      for (let k = 0; k < 3; k++) {
        const c = channels === 1 ? 0 : k;
        const v = (chw[c * plane + p] * (std[c] ?? std[0] ?? 1) + (mean[c] ?? mean[0] ?? 0)) / scale;
        out[p * 3 + k] = Math.max(0, Math.min(255, Math.round(v)));
      }
    }
    return out;
  };
}

/** Min-max stretch (the authors' `show`), for when the preprocessing is unknown. */
export const minMaxRgb: ToRgb = (chw, channels, height, width) =>
  denormaliser([0, 0, 0], [1, 1, 1], 1)(
    (() => {
      let lo = Infinity,
        hi = -Infinity;
      for (const v of chw) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
      const r = hi > lo ? 255 / (hi - lo) : 0;
      return chw.map((v) => (v - lo) * r);
    })(),
    channels,
    height,
    width,
  );

/** The crop region of a CHW image (its source pixels, not resized). */
function region(image: Float32Array, channels: number, height: number, width: number, crop: Crop): { data: Float32Array; h: number; w: number } {
  const [x0, y0, x1, y1] = crop.box;
  const w = x1 - x0,
    h = y1 - y0;
  const data = new Float32Array(channels * h * w);
  for (let c = 0; c < channels; c++) {
    for (let y = 0; y < h; y++) {
      const src = c * height * width + (y0 + y) * width + x0;
      data.set(image.subarray(src, src + w), (c * h + y) * w);
    }
  }
  return { data, h, w };
}

/** A data URI (WebP) of one crop, at most `maxSide` px, small crops enlarged to at least 48 px. */
export async function cropThumbnail(
  crop: Crop,
  images: readonly Float32Array[],
  channels: number,
  height: number,
  width: number,
  toRgb: ToRgb,
  maxSide = 96,
): Promise<string> {
  const r = region(images[crop.image], channels, height, width, crop);
  const rgb = toRgb(r.data, channels, r.h, r.w);
  const side = Math.max(r.h, r.w);
  const target = Math.min(maxSide, Math.max(48, side));
  const f = target / side;
  const buf = await sharp(rgb, { raw: { width: r.w, height: r.h, channels: 3 } })
    .resize(Math.max(1, Math.round(r.w * f)), Math.max(1, Math.round(r.h * f)), { kernel: side < 48 ? 'nearest' : 'lanczos3' })
    .webp({ quality: 80 })
    .toBuffer();
  return `data:image/webp;base64,${buf.toString('base64')}`;
}

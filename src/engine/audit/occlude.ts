/**
 * Occluding a group's evidence on an image: the pixels of a box are replaced by what the surroundings predict
 * there (a harmonic-style fill: each pixel is the inverse-distance blend of the four box-border pixels on its
 * row and column, just outside the box). On the smooth backgrounds where small shortcuts such as watermarks,
 * stamps or markers sit, this removes the evidence and keeps the rest of the image, which is what "mask the
 * group" must mean for a measured effect: zeroing channels of deep layers with residual paths often changes
 * nothing (the same information flows through the channels left), while removing the evidence crop removes it
 * from every channel at once.
 */
import type { Box } from '../analysis/crops';

/** A copy of the CHW image with `box` ([x0, y0, x1, y1], x1/y1 exclusive) filled from its border. */
export function occludeBox(image: Float32Array, channels: number, height: number, width: number, box: Box): Float32Array {
  const out = image.slice();
  const x0 = Math.max(0, Math.min(width, box[0]));
  const y0 = Math.max(0, Math.min(height, box[1]));
  const x1 = Math.max(x0, Math.min(width, box[2]));
  const y1 = Math.max(y0, Math.min(height, box[3]));
  if (x1 <= x0 || y1 <= y0) return out;
  // Border samples just outside the box; where the box touches the image edge, that side has no sample.
  const left = x0 - 1;
  const right = x1;
  const top = y0 - 1;
  const bottom = y1;
  const hasL = left >= 0;
  const hasR = right < width;
  const hasT = top >= 0;
  const hasB = bottom < height;
  const plane = height * width;
  for (let c = 0; c < channels; c++) {
    const base = c * plane;
    // The image mean over the box's ring, for a box that covers the whole image (no border at all).
    let ringSum = 0;
    let ringN = 0;
    for (let y = y0; y < y1; y++) {
      if (hasL) {
        ringSum += image[base + y * width + left];
        ringN++;
      }
      if (hasR) {
        ringSum += image[base + y * width + right];
        ringN++;
      }
    }
    for (let x = x0; x < x1; x++) {
      if (hasT) {
        ringSum += image[base + top * width + x];
        ringN++;
      }
      if (hasB) {
        ringSum += image[base + bottom * width + x];
        ringN++;
      }
    }
    const fallback = ringN > 0 ? ringSum / ringN : 0;
    for (let y = y0; y < y1; y++) {
      for (let x = x0; x < x1; x++) {
        let s = 0;
        let w = 0;
        if (hasL) {
          const d = x - left;
          s += image[base + y * width + left] / d;
          w += 1 / d;
        }
        if (hasR) {
          const d = right - x;
          s += image[base + y * width + right] / d;
          w += 1 / d;
        }
        if (hasT) {
          const d = y - top;
          s += image[base + top * width + x] / d;
          w += 1 / d;
        }
        if (hasB) {
          const d = bottom - y;
          s += image[base + bottom * width + x] / d;
          w += 1 / d;
        }
        out[base + y * width + x] = w > 0 ? s / w : fallback;
      }
    }
  }
  return out;
}

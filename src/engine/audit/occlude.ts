/**
 * Occluding a group's evidence on an image: the pixels of a box are replaced by what the surroundings predict
 * there (a harmonic-style fill: each pixel is the inverse-distance blend of the four box-border pixels on its
 * row and column, just outside the box), plus the surroundings' pixel noise: a flat patch on a grainy background
 * is itself a shape (a model of shapes reads a smooth 24-px patch as a square), so the fill gets white noise of
 * the ring's own level (robust estimate from second differences along the ring, which ignore linear trends and,
 * by the median, a shape edge crossing the ring), drawn from a generator seeded by the box so runs repeat.
 * On the backgrounds where small shortcuts such as watermarks,
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
    const sides: Float32Array[] = [];
    if (hasL) sides.push(Float32Array.from({ length: y1 - y0 }, (_, k) => image[base + (y0 + k) * width + left]));
    if (hasR) sides.push(Float32Array.from({ length: y1 - y0 }, (_, k) => image[base + (y0 + k) * width + right]));
    if (hasT) sides.push(image.subarray(base + top * width + x0, base + top * width + x1));
    if (hasB) sides.push(image.subarray(base + bottom * width + x0, base + bottom * width + x1));
    const sigma = noiseLevel(sides);
    const noise = gaussian(((x0 * 73856093) ^ (y0 * 19349663) ^ (x1 * 83492791) ^ (y1 * 2654435761) ^ (c * 97)) >>> 0);
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
        out[base + y * width + x] = (w > 0 ? s / w : fallback) + sigma * noise();
      }
    }
  }
  return out;
}

/** Robust standard deviation of white noise on a sequence: 1.4826 median |second difference| / sqrt(6). */
export function noiseLevel(runs: readonly Float32Array[]): number {
  const d2: number[] = [];
  for (const r of runs) for (let i = 1; i + 1 < r.length; i++) d2.push(Math.abs(r[i - 1] - 2 * r[i] + r[i + 1]));
  if (d2.length === 0) return 0;
  d2.sort((a, b) => a - b);
  return (1.4826 * d2[d2.length >> 1]) / Math.sqrt(6);
}

/** Standard normal samples from a seeded generator (mulberry32 + Box-Muller). */
function gaussian(seed: number): () => number {
  let t = seed >>> 0;
  const uniform = () => {
    t = (t + 0x6d2b79f5) >>> 0;
    let r = Math.imul(t ^ (t >>> 15), 1 | t);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

/** A shortcut's evidence is small: boxes over this share of the image are not occluded to judge a suspect. */
export const MAX_EVIDENCE_AREA = 0.25;

export const boxArea = (b: Box): number => Math.max(0, b[2] - b[0]) * Math.max(0, b[3] - b[1]);

/** Boxes of half the side inside `box` (clipped to the image), on a grid of a sixth of the side. */
export function halfBoxes(box: Box, size: { height: number; width: number }): Box[] {
  const x0 = Math.max(0, box[0]);
  const y0 = Math.max(0, box[1]);
  const x1 = Math.min(size.width, box[2]);
  const y1 = Math.min(size.height, box[3]);
  const w = Math.ceil((x1 - x0) / 2);
  const h = Math.ceil((y1 - y0) / 2);
  if (w < 2 || h < 2) return [];
  const sx = Math.max(1, Math.round((x1 - x0) / 6));
  const sy = Math.max(1, Math.round((y1 - y0) / 6));
  const out: Box[] = [];
  for (let y = y0; y + h <= y1; y += sy) for (let x = x0; x + w <= x1; x += sx) out.push([x, y, x + w, y + h]);
  return out;
}

/**
 * Of the occlusions tried (the whole evidence box first, then its half-size boxes), the one to judge by: the
 * half-size box that removes the most of p(cls) when it removes at least 90% of what the whole box removes (the
 * shortcut sits there and the rest of the box is spared), else the whole box.
 */
export function tightest<T extends { box: Box; probs: ArrayLike<number> }>(tried: readonly T[], before: number, cls: number): T {
  const whole = tried[0];
  const drop = before - whole.probs[cls];
  let best = whole;
  let bestDrop = -Infinity;
  for (const t of tried.slice(1)) {
    const d = before - t.probs[cls];
    if (d >= 0.9 * drop && d > bestDrop) {
      best = t;
      bestDrop = d;
    }
  }
  return best;
}

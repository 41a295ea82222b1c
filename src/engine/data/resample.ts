/**
 * Bilinear resizing that reproduces Pillow's `Image.resize(size, BILINEAR)` (Pillow 9.x `Resample.c`), which
 * is what torchvision's `Resize` does on PIL images: a separable triangle filter whose support widens with the
 * downscale factor (antialiasing), horizontal pass first, and for 8-bit images fixed-point coefficients with
 * 22 fractional bits and rounding to uint8 after each pass. Float images (16-bit sources scaled to 0..255)
 * use the same coefficients in double precision, as Pillow does for mode "F".
 *
 * Measured against torchvision 0.14.1 `Resize(256) + CenterCrop(224) + ToTensor + Normalize` on Pillow 9.4.0
 * (Debian's packages, by hand, not a test dependency): max abs difference 0 on 16 images (sizes 200x150 to
 * 3000x2000, down- and upscaling, PNG and JPEG q90 decoded by sharp); RGB -> L conversion also identical.
 *
 * Only the output window `box` is computed (the centre crop that follows a resize), which gives the same
 * values as resizing the whole image and cropping afterwards.
 */
import type { Pixels } from './image';

const PRECISION_BITS = 32 - 8 - 2;
const ONE = 1 << PRECISION_BITS;
const HALF = 1 << (PRECISION_BITS - 1);

/** Per output index: the first source index, the tap count and the normalised weights. */
interface Coefficients {
  start: Int32Array;
  count: Int32Array;
  /** `size` rows of `taps` weights each. */
  weights: Float64Array;
  fixed: Int32Array;
  taps: number;
}

function triangle(x: number): number {
  const a = Math.abs(x);
  return a < 1 ? 1 - a : 0;
}

/** Pillow's `precompute_coeffs` for the bilinear filter (support 1) over the source range [0, inSize). */
export function bilinearCoefficients(inSize: number, outSize: number): Coefficients {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filterScale;
  const taps = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float64Array(outSize * taps);
  const fixed = new Int32Array(outSize * taps);
  const inv = 1 / filterScale;
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    let sum = 0;
    const row = xx * taps;
    for (let x = 0; x < xmax; x++) {
      const w = triangle((x + xmin - center + 0.5) * inv);
      weights[row + x] = w;
      sum += w;
    }
    for (let x = 0; x < xmax; x++) {
      if (sum !== 0) weights[row + x] /= sum;
      const w = weights[row + x];
      fixed[row + x] = w < 0 ? Math.trunc(-0.5 + w * ONE) : Math.trunc(0.5 + w * ONE);
    }
    start[xx] = xmin;
    count[xx] = xmax;
  }
  return { start, count, weights, fixed, taps };
}

function clip8(v: number): number {
  if (v >= ONE * 256) return 255;
  if (v <= 0) return 0;
  return v >> PRECISION_BITS;
}

/** A window of the resized image: columns [x, x + width), rows [y, y + height) of the full outW x outH result. */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * Resizes interleaved pixels to `outW x outH` as Pillow's bilinear resize does, returning only `box` (default:
 * the whole output). A pass whose size does not change is skipped, as in Pillow.
 */
export function resizeBilinear(src: Pixels, outW: number, outH: number, box: Box = { x: 0, y: 0, width: outW, height: outH }): Pixels {
  const { width: inW, height: inH, channels: c } = src;
  const horizontal = outW !== inW;
  const vertical = outH !== inH;
  const cx = horizontal ? bilinearCoefficients(inW, outW) : undefined;
  const cy = vertical ? bilinearCoefficients(inH, outH) : undefined;
  // Source rows the vertical pass reads for the output rows of the box.
  let rowFirst = box.y;
  let rowEnd = box.y + box.height;
  if (cy) {
    rowFirst = cy.start[box.y];
    rowEnd = 0;
    for (let y = box.y; y < box.y + box.height; y++) rowEnd = Math.max(rowEnd, cy.start[y] + cy.count[y]);
  }
  const is8 = src.data instanceof Uint8Array;
  // Horizontal pass: rows [rowFirst, rowEnd) of the source, columns of the box.
  const midRows = rowEnd - rowFirst;
  const mid = is8 ? new Uint8Array(midRows * box.width * c) : new Float32Array(midRows * box.width * c);
  if (cx) {
    horizontalPass(src, rowFirst, midRows, cx, box, mid);
  } else {
    for (let r = 0; r < midRows; r++) {
      const from = ((rowFirst + r) * inW + box.x) * c;
      mid.set(src.data.subarray(from, from + box.width * c), r * box.width * c);
    }
  }
  const midPixels: Pixels = { width: box.width, height: midRows, channels: c, data: mid };
  if (!cy) return midPixels;
  const out = is8 ? new Uint8Array(box.width * box.height * c) : new Float32Array(box.width * box.height * c);
  verticalPass(midPixels, rowFirst, cy, box, out);
  return { width: box.width, height: box.height, channels: c, data: out };
}

function horizontalPass(src: Pixels, rowFirst: number, rows: number, k: Coefficients, box: Box, out: Uint8Array | Float32Array): void {
  if (src.data instanceof Uint8Array && out instanceof Uint8Array) horizontal8(src.data, src.width, src.channels, rowFirst, rows, k, box, out);
  else horizontalFloat(src.data, src.width, src.channels, rowFirst, rows, k, box, out);
}

function verticalPass(mid: Pixels, rowFirst: number, k: Coefficients, box: Box, out: Uint8Array | Float32Array): void {
  if (mid.data instanceof Uint8Array && out instanceof Uint8Array) vertical8(mid.data, mid.channels, rowFirst, k, box, out);
  else verticalFloat(mid.data, mid.channels, rowFirst, k, box, out);
}

/** 8-bit horizontal pass in Pillow's fixed point; three-channel pixels get an unrolled loop. */
function horizontal8(data: Uint8Array, inW: number, c: number, rowFirst: number, rows: number, k: Coefficients, box: Box, out: Uint8Array): void {
  const w = k.fixed;
  const outRow = box.width * c;
  for (let r = 0; r < rows; r++) {
    const srcRow = (rowFirst + r) * inW * c;
    let o = r * outRow;
    for (let bx = 0; bx < box.width; bx++) {
      const xx = box.x + bx;
      const n = k.count[xx];
      const kw = xx * k.taps;
      let p = srcRow + k.start[xx] * c;
      if (c === 3) {
        let s0 = HALF;
        let s1 = HALF;
        let s2 = HALF;
        for (let x = 0; x < n; x++, p += 3) {
          const kk = w[kw + x];
          s0 += data[p] * kk;
          s1 += data[p + 1] * kk;
          s2 += data[p + 2] * kk;
        }
        out[o++] = clip8(s0);
        out[o++] = clip8(s1);
        out[o++] = clip8(s2);
      } else {
        for (let ch = 0; ch < c; ch++) {
          let ss = HALF;
          for (let x = 0, q = p + ch; x < n; x++, q += c) ss += data[q] * w[kw + x];
          out[o++] = clip8(ss);
        }
      }
    }
  }
}

/** 8-bit vertical pass: whole rows at a time into an int32 accumulator (sums stay below 2^31). */
function vertical8(data: Uint8Array, c: number, rowFirst: number, k: Coefficients, box: Box, out: Uint8Array): void {
  const w = k.fixed;
  const rowLen = box.width * c;
  const acc = new Int32Array(rowLen);
  for (let by = 0; by < box.height; by++) {
    const yy = box.y + by;
    const ymin = k.start[yy] - rowFirst;
    const n = k.count[yy];
    const kw = yy * k.taps;
    acc.fill(HALF);
    for (let y = 0; y < n; y++) {
      const kk = w[kw + y];
      const base = (ymin + y) * rowLen;
      for (let i = 0; i < rowLen; i++) acc[i] += data[base + i] * kk;
    }
    const o = by * rowLen;
    for (let i = 0; i < rowLen; i++) out[o + i] = clip8(acc[i]);
  }
}

function horizontalFloat(
  data: Uint8Array | Float32Array,
  inW: number,
  c: number,
  rowFirst: number,
  rows: number,
  k: Coefficients,
  box: Box,
  out: Uint8Array | Float32Array,
): void {
  const w = k.weights;
  const outRow = box.width * c;
  for (let r = 0; r < rows; r++) {
    const srcRow = (rowFirst + r) * inW * c;
    for (let bx = 0; bx < box.width; bx++) {
      const xx = box.x + bx;
      const n = k.count[xx];
      const kw = xx * k.taps;
      for (let ch = 0; ch < c; ch++) {
        let ss = 0;
        for (let x = 0, p = srcRow + k.start[xx] * c + ch; x < n; x++, p += c) ss += data[p] * w[kw + x];
        out[r * outRow + bx * c + ch] = ss;
      }
    }
  }
}

function verticalFloat(data: Uint8Array | Float32Array, c: number, rowFirst: number, k: Coefficients, box: Box, out: Uint8Array | Float32Array): void {
  const w = k.weights;
  const rowLen = box.width * c;
  for (let by = 0; by < box.height; by++) {
    const yy = box.y + by;
    const ymin = k.start[yy] - rowFirst;
    const n = k.count[yy];
    const kw = yy * k.taps;
    const o = by * rowLen;
    for (let i = 0; i < rowLen; i++) {
      let ss = 0;
      for (let y = 0, p = ymin * rowLen + i; y < n; y++, p += rowLen) ss += data[p] * w[kw + y];
      out[o + i] = ss;
    }
  }
}

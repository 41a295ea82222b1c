/**
 * Crops of the analysed images (docs/design.md 3.3 step 2): square windows per granularity with the authors' stride rule,
 * in the authors' `get_crop_data` order, and the bilinear resize back to the input size that PyTorch's
 * `F.interpolate(mode='bilinear', align_corners=False)` (no antialias) computes.
 *
 * A crop's identity is (image, granularity, box); the pixels are recomputed from the preprocessed image whenever
 * they are needed, so crops never have to be held in memory all at once.
 */
import { UsageError } from '../errors';

/** [x0, y0, x1, y1] in source pixels, x1/y1 exclusive. */
export type Box = [number, number, number, number];

export interface Crop {
  /** Index of the source image in the analysed image list. */
  image: number;
  granularity: number;
  box: Box;
}

export interface CropGeometry {
  /** Input height and width of the model (the preprocessed image size). */
  height: number;
  width: number;
}

/** Window side for a granularity: Python's `int(g * S)` (truncation). */
export function windowSize(granularity: number, side: number): number {
  const s = Math.trunc(granularity * side);
  if (!(granularity > 0 && granularity <= 1) || s < 1) {
    throw new UsageError(`granularity ${granularity}: must be in (0, 1] and give a window of at least 1 px on a ${side}-px side`);
  }
  return s;
}

/** The authors' stride: `max(min(int(size * ratio), S - size), 1)`. */
export function windowStride(size: number, side: number, strideRatio: number): number {
  return Math.max(Math.min(Math.trunc(size * strideRatio), side - size), 1);
}

/** Windows of one granularity on one image, row-major (top to bottom, then left to right), as `unfold` lays them out. */
export function windowBoxes(granularity: number, geom: CropGeometry, strideRatio: number): Box[] {
  const sh = windowSize(granularity, geom.height);
  const sw = windowSize(granularity, geom.width);
  const th = windowStride(sh, geom.height, strideRatio);
  const tw = windowStride(sw, geom.width, strideRatio);
  const boxes: Box[] = [];
  for (let y = 0; y + sh <= geom.height; y += th) {
    for (let x = 0; x + sw <= geom.width; x += tw) boxes.push([x, y, x + sw, y + sh]);
  }
  return boxes;
}

/** The crop table of the analysis: granularity-major, then image, then window (the authors' `get_crop_data`). */
export function cropTable(nImages: number, geom: CropGeometry, granularities: readonly number[], strideRatio: number): Crop[] {
  const crops: Crop[] = [];
  for (const g of granularities) {
    const boxes = windowBoxes(g, geom, strideRatio);
    for (let image = 0; image < nImages; image++) {
      for (const box of boxes) crops.push({ image, granularity: g, box: [...box] as Box });
    }
  }
  return crops;
}

/** The crops of one image for debugging (docs/design.md 3.3 step 7): granularity by granularity, windows row-major. */
export function imageCrops(geom: CropGeometry, granularities: readonly number[], strideRatio: number): Crop[] {
  return cropTable(1, geom, granularities, strideRatio);
}

/** Taps of one axis: lower and upper source index and the upper weight of each output index. */
interface AxisTaps {
  i0: Int32Array;
  i1: Int32Array;
  w1: Float32Array;
}

/** Lower and upper source index (from the box's start) and weight of each output index (float32, as torch computes). */
function axisTaps(inSize: number, outSize: number): AxisTaps {
  const f = Math.fround;
  const scale = f(inSize / outSize);
  const i0 = new Int32Array(outSize);
  const i1 = new Int32Array(outSize);
  const w1 = new Float32Array(outSize);
  for (let o = 0; o < outSize; o++) {
    const src = Math.max(f(f(scale * f(o + 0.5)) - 0.5), 0);
    const lo = Math.floor(src);
    i0[o] = lo;
    i1[o] = lo < inSize - 1 ? lo + 1 : lo;
    w1[o] = Math.min(Math.max(f(src - lo), 0), 1);
  }
  return { i0, i1, w1 };
}

/** Taps by (inSize, outSize), computed once: every crop of a granularity has the same. */
const tapCache = new Map<number, AxisTaps>();

function relativeTaps(inSize: number, outSize: number): AxisTaps {
  const key = inSize * 65536 + outSize;
  let t = tapCache.get(key);
  if (!t) {
    if (tapCache.size > 256) tapCache.clear();
    t = axisTaps(inSize, outSize);
    tapCache.set(key, t);
  }
  return t;
}

/** The x-interpolated rows of one channel, reused across calls (grown when a larger crop needs more). */
let across = new Float64Array(0);

/**
 * Crops `box` out of a preprocessed CHW image and resizes it bilinearly to outH x outW, writing into `out` at
 * `offset` (CHW). Identical to `F.interpolate(crop, size, mode='bilinear', align_corners=False)` up to float32
 * rounding; a box the size of the output is copied exactly.
 */
export function cropResize(
  image: Float32Array,
  channels: number,
  height: number,
  width: number,
  box: Box,
  outH: number,
  outW: number,
  out: Float32Array,
  offset = 0,
): void {
  const [x0, y0, x1, y1] = box;
  if (x0 < 0 || y0 < 0 || x1 > width || y1 > height || x1 <= x0 || y1 <= y0) {
    throw new UsageError(`crop box [${box.join(', ')}] is outside the ${width}x${height} image`);
  }
  const plane = height * width;
  if (x0 === 0 && y0 === 0 && x1 === width && y1 === height && outH === height && outW === width) {
    out.set(image.subarray(0, channels * plane), offset);
    return;
  }
  const ys = relativeTaps(y1 - y0, outH);
  const { i0: xi0, i1: xi1, w1: xw1 } = relativeTaps(x1 - x0, outW);
  // Separable: each source row of the box is interpolated along x once (in float64, as the one-pass formula
  // computes it), then output rows mix two of those rows: the same arithmetic, about half the operations.
  const inH = y1 - y0;
  if (across.length < inH * outW) across = new Float64Array(inH * outW);
  const rows = across;
  for (let c = 0; c < channels; c++) {
    const src = c * plane;
    for (let r = 0; r < inH; r++) {
      const row = src + (y0 + r) * width + x0;
      const base = r * outW;
      for (let ox = 0; ox < outW; ox++) {
        const wx1 = xw1[ox];
        rows[base + ox] = (1 - wx1) * image[row + xi0[ox]] + wx1 * image[row + xi1[ox]];
      }
    }
    let o = offset + c * outH * outW;
    for (let oy = 0; oy < outH; oy++) {
      const r0 = ys.i0[oy] * outW;
      const r1 = ys.i1[oy] * outW;
      const wy1 = ys.w1[oy];
      const wy0 = 1 - wy1;
      for (let ox = 0; ox < outW; ox++) out[o++] = wy0 * rows[r0 + ox] + wy1 * rows[r1 + ox];
    }
  }
}

/**
 * The pixels of a list of crops as one NCHW batch (each resized back to the model's input size).
 * `images[i]` is the preprocessed CHW tensor of image i.
 */
export function cropBatch(crops: readonly Crop[], images: readonly Float32Array[], channels: number, geom: CropGeometry): Float32Array {
  const { height, width } = geom;
  const size = channels * height * width;
  const out = new Float32Array(crops.length * size);
  crops.forEach((crop, i) => {
    const img = images[crop.image];
    if (!img) throw new UsageError(`crop ${i} refers to image ${crop.image}, which was not loaded`);
    cropResize(img, channels, height, width, crop.box, height, width, out, i * size);
  });
  return out;
}

/** Whether two boxes overlap (share at least one pixel). */
export function boxesOverlap(a: Box, b: Box): boolean {
  return a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3];
}

/**
 * Boxes in model-input pixels (crops, evidence) mapped back onto the source image file: the inverse of the
 * preprocessing's resize -> centre crop -> resize-to-size (the engine's `resizedSize` / `cropOffset`, so the
 * boxes land where the model looked). Results are fractions of the source image, for CSS percentages.
 */
import { cropOffset, resizedSize, type Preprocessing } from '../../src/engine/data/preprocess';

export type Box = [number, number, number, number];

/** Left, top, width, height as fractions of the displayed image, clipped to [0, 1]. */
export interface FracBox {
  left: number;
  top: number;
  width: number;
  height: number;
}

type Geometry = Pick<Preprocessing, 'size' | 'resize' | 'centerCrop'>;

function isGeometry(x: unknown): x is Geometry {
  const p = x as Partial<Geometry> | null;
  return !!p && Array.isArray(p.size) && p.size.length === 2 && p.resize !== undefined && p.centerCrop !== undefined;
}

/**
 * Maps an input-pixel box onto an image of `srcW x srcH` as the preprocessing `pre` saw it. When the image IS
 * the model input (a thumbnail, a debuggee's tensor) pass `srcW = srcH = 0`: the box is scaled to the input
 * size only.
 */
export function boxOnImage(box: Box, pre: unknown, inputSize: [number, number], srcW = 0, srcH = 0): FracBox {
  const [h, w] = inputSize;
  let x0 = box[0] / w;
  let y0 = box[1] / h;
  let x1 = box[2] / w;
  let y1 = box[3] / h;
  if (srcW > 0 && srcH > 0 && isGeometry(pre) && (pre.resize !== null || pre.centerCrop !== null)) {
    const [rw, rh] = pre.resize === null ? [srcW, srcH] : resizedSize(srcW, srcH, pre.resize);
    const [ch, cw] = pre.centerCrop ?? [rh, rw];
    const ox = pre.centerCrop ? cropOffset(rw, cw) : 0;
    const oy = pre.centerCrop ? cropOffset(rh, ch) : 0;
    // input fraction -> crop-region pixels -> resized-image pixels -> source fraction
    const fx = (f: number) => (f * cw + ox) / rw;
    const fy = (f: number) => (f * ch + oy) / rh;
    [x0, x1, y0, y1] = [fx(x0), fx(x1), fy(y0), fy(y1)];
  }
  const clip = (v: number) => Math.min(1, Math.max(0, v));
  const left = clip(x0);
  const top = clip(y0);
  return { left, top, width: clip(x1) - left, height: clip(y1) - top };
}

/**
 * Shape checks of a transferred batch against the model (docs/design.md 7): images become N x C x H x W float32
 * (channels-last is transposed when it is unambiguous, a single image or a greyscale N x H x W gets its
 * missing axis), labels and predictions become class indices. Pure functions: no VS Code, no runtime;
 * every message names the expression and both shapes.
 */
import { DataError } from '../errors';
import type { NpyArray } from '../io/npy';

/** What the model takes: channels and the spatial size (0 = dynamic, then anything goes). */
export interface InputSpec {
  channels: number;
  height: number;
  width: number;
}

export interface ModelBatch {
  data: Float32Array;
  /** [N, C, H, W]. */
  dims: [number, number, number, number];
  /** How the debuggee's array was read, e.g. `NCHW`, `NHWC -> NCHW`, `CHW (one image)`. */
  layout: string;
}

const fmt = (shape: readonly number[]) => `[${shape.join(', ')}]`;

function expected(spec: InputSpec): string {
  const d = (v: number, n: string) => (v > 0 ? String(v) : n);
  return `[N, ${spec.channels}, ${d(spec.height, 'H')}, ${d(spec.width, 'W')}] (or N x ${d(spec.height, 'H')} x ${d(spec.width, 'W')} x ${spec.channels})`;
}

const fits = (v: number, want: number) => want <= 0 || v === want;

/** NHWC -> NCHW. */
export function nhwcToNchw(src: Float32Array, n: number, h: number, w: number, c: number): Float32Array {
  const out = new Float32Array(src.length);
  const plane = h * w;
  for (let i = 0; i < n; i++) {
    const base = i * plane * c;
    for (let p = 0; p < plane; p++) {
      const s = base + p * c;
      for (let k = 0; k < c; k++) out[base + k * plane + p] = src[s + k];
    }
  }
  return out;
}

/**
 * The images as the model's input. Accepted: [N, C, H, W]; [N, H, W, C] (when the channel axis is clearly
 * last); [C, H, W] or [H, W, C] for one image; [N, H, W] for a one-channel model.
 */
export function toModelBatch(a: NpyArray, spec: InputSpec, expression: string): ModelBatch {
  if (!(a.data instanceof Float32Array)) throw new DataError(`${expression}: expected float32 data from the debuggee, got ${a.dtype}`);
  const s = a.shape;
  const c = spec.channels;
  const wrong = (why: string) => new DataError(`${expression} has shape ${fmt(s)}: ${why}; the model input is ${expected(spec)}`);
  if (a.data.length === 0) throw wrong('it is empty');
  const nchw = (n: number, h: number, w: number, layout: string, data = a.data as Float32Array): ModelBatch => ({ data, dims: [n, c, h, w], layout });
  if (s.length === 4) {
    const [n, d1, d2, d3] = s;
    const first = d1 === c && fits(d2, spec.height) && fits(d3, spec.width);
    const last = d3 === c && fits(d1, spec.height) && fits(d2, spec.width);
    if (first) return nchw(n, d2, d3, 'NCHW');
    if (last) return nchw(n, d1, d2, 'NHWC -> NCHW', nhwcToNchw(a.data, n, d1, d2, c));
    if (d1 !== c && d3 !== c) throw wrong(`neither axis 1 nor axis 3 has the model's ${c} channel${c === 1 ? '' : 's'}`);
    throw wrong('the image size differs from the model input');
  }
  if (s.length === 3) {
    const [d0, d1, d2] = s;
    if (d0 === c && fits(d1, spec.height) && fits(d2, spec.width)) return nchw(1, d1, d2, 'CHW (one image)');
    if (d2 === c && fits(d0, spec.height) && fits(d1, spec.width)) return nchw(1, d0, d1, 'HWC (one image) -> NCHW', nhwcToNchw(a.data, 1, d0, d1, c));
    if (c === 1 && fits(d1, spec.height) && fits(d2, spec.width)) return nchw(d0, d1, d2, 'NHW -> N1HW');
    throw wrong('rank 3 is read as one image (C x H x W or H x W x C) or, for a one-channel model, N x H x W, and it is neither');
  }
  throw wrong(`rank ${s.length} is not an image batch (rank 4 expected)`);
}

/**
 * Class indices from labels or predictions: [N] integers, [N, 1], or [N, K] scores / one-hot (argmax).
 * `classes` bounds the indices (0 = unknown).
 */
export function toClassIndices(a: NpyArray, n: number, classes: number, expression: string, what: 'labels' | 'predictions'): Int32Array {
  const s = a.shape;
  const wrong = (why: string) => new DataError(`${expression} (${what}) has shape ${fmt(s)}: ${why}`);
  const rows = s[0];
  let width = 1;
  if (s.length === 2) width = s[1];
  else if (s.length !== 1) throw wrong(`expected ${n} class indices ([N]) or per-class scores ([N, classes])`);
  if (rows !== n) throw wrong(`the batch has ${n} images but ${rows} ${what}`);
  if (width > 1 && classes > 0 && width !== classes) throw wrong(`${width} scores per sample, but the model has ${classes} classes`);
  const out = new Int32Array(n);
  const data = a.data;
  for (let i = 0; i < n; i++) {
    if (width === 1) {
      const v = Number(data[i]);
      if (!Number.isInteger(v)) throw wrong(`value ${v} at index ${i} is not a class index`);
      out[i] = v;
    } else {
      let best = 0;
      for (let j = 1; j < width; j++) if (Number(data[i * width + j]) > Number(data[i * width + best])) best = j;
      out[i] = best;
    }
    if (out[i] < 0 || (classes > 0 && out[i] >= classes)) {
      throw wrong(`class ${out[i]} at index ${i} is outside the model's classes 0..${classes - 1}`);
    }
  }
  return out;
}

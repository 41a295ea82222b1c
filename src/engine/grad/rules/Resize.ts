import { attrInt, attrInts, attrString } from '../attrs';
import type { GraphEmitter } from '../emitter';
import type { GradContext, GradRule } from '../types';

const f = Math.fround;

/** C's round (halves away from zero) and the nearest_mode rules, as ORT's CPU kernel applies them. */
const cRound = (v: number) => Math.sign(v) * Math.floor(Math.abs(v) + 0.5);
const NEAREST: Record<string, (v: number) => number> = {
  round_prefer_floor: (v) => (v === f(Math.trunc(v) + 0.5) ? Math.floor(v) : cRound(v)),
  round_prefer_ceil: cRound,
  floor: Math.floor,
  ceil: Math.ceil,
};

/** Source coordinate of output index `o` (float32 arithmetic, as ORT computes it). */
function coordinate(mode: string, o: number, scale: number, inLen: number, outLen: number): number {
  switch (mode) {
    case 'half_pixel':
      return f(f(f(o + 0.5) / scale) - 0.5);
    case 'pytorch_half_pixel':
      return outLen > 1 ? f(f(f(o + 0.5) / scale) - 0.5) : 0;
    case 'asymmetric':
      return f(o / scale);
    case 'align_corners':
      return outLen === 1 ? 0 : f(f(o * (inLen - 1)) / (outLen - 1));
    case 'tf_half_pixel_for_nn':
      return f(f(o + 0.5) / scale);
    default:
      throw new Error(mode);
  }
}

/** The interpolation matrix A [outLen, inLen] of one axis: y[o] = sum_i A[o, i] x[i]. */
function axisMatrix(mode: string, coord: string, nearest: (v: number) => number, scale: number, inLen: number, outLen: number): number[] {
  const a = new Array<number>(outLen * inLen).fill(0);
  for (let o = 0; o < outLen; o++) {
    const src = coordinate(coord, o, scale, inLen, outLen);
    if (mode === 'nearest') {
      a[o * inLen + Math.min(Math.max(nearest(src), 0), inLen - 1)] = 1;
      continue;
    }
    const x = Math.max(0, Math.min(src, inLen - 1));
    const x1 = Math.min(Math.trunc(x), inLen - 1);
    const x2 = Math.min(x1 + 1, inLen - 1);
    const [w1, w2] = x1 === x2 ? [0.5, 0.5] : [f(Math.abs(x - x2)), f(Math.abs(x - x1))];
    a[o * inLen + x1] += w1;
    a[o * inLen + x2] += w2;
  }
  return a;
}

/** dx[..., i, ...] = sum_o A[o, i] g[..., o, ...] along `axis`: a MatMul with A or A^T, transposing if needed. */
function applyTransposed(em: GraphEmitter, g: string, rank: number, axis: number, a: number[], inLen: number, outLen: number): string {
  if (axis === rank - 2) {
    const at = new Array<number>(inLen * outLen);
    for (let o = 0; o < outLen; o++) for (let i = 0; i < inLen; i++) at[i * outLen + o] = a[o * inLen + i];
    return em.op('MatMul', [em.floats(at, [inLen, outLen]), g]);
  }
  const matrix = em.floats(a, [outLen, inLen]);
  if (axis === rank - 1) return em.op('MatMul', [g, matrix]);
  const perm = Array.from({ length: rank }, (_, i) => i)
    .filter((i) => i !== axis)
    .concat(axis);
  const inverse = new Array<number>(rank);
  perm.forEach((v, i) => {
    inverse[v] = i;
  });
  return em.op('Transpose', [em.op('MatMul', [em.op('Transpose', [g], { perm }), matrix])], { perm: inverse });
}

/** The scale ORT uses per axis: the constant scales input, else output / input length (float32). */
function axisScales(ctx: GradContext, inShape: readonly number[], outShape: readonly number[]): number[] {
  const { node } = ctx;
  const rank = inShape.length;
  const axes = (attrInts(node, 'axes') ?? Array.from({ length: rank }, (_, i) => i)).map((a) => (a + rank) % rank);
  const scalesInput = node.input[2];
  if (scalesInput) {
    const v = ctx.constant(scalesInput);
    if (!v) ctx.fail(`the scales input ${scalesInput} is not a constant (the interpolation weights depend on it)`);
    if (v.values.length > 0) {
      if (v.values.length !== axes.length) ctx.fail(`${v.values.length} scales for ${axes.length} axes`);
      const out = new Array<number>(rank).fill(1);
      axes.forEach((a, k) => {
        out[a] = f(v.values[k]);
      });
      return out;
    }
  }
  const policy = attrString(node, 'keep_aspect_ratio_policy', 'stretch');
  if (policy !== 'stretch') ctx.fail(`keep_aspect_ratio_policy '${policy}' is not supported`);
  return inShape.map((len, d) => (len === outShape[d] ? 1 : f(f(outShape[d]) / f(len))));
}

/**
 * y = Resize(x) in modes nearest and linear (coordinate_transformation_mode half_pixel, pytorch_half_pixel,
 * align_corners, asymmetric, tf_half_pixel_for_nn; any nearest_mode). The forward is separable and linear in x:
 * along each resized axis y = A x with a constant matrix A [L_out, L_in] (one 1 per row for nearest, two
 * weights for linear, clamped at the borders), so dx = A^T dy axis by axis. A is computed here from the
 * static shapes in float32 arithmetic, exactly as ORT's CPU kernel places its samples.
 */
export const Resize: GradRule = {
  opType: 'Resize',
  grad(ctx) {
    const { node, em } = ctx;
    if (ctx.sourceOpset < 11) ctx.fail(`Resize of opset ${ctx.sourceOpset} (inputs x, scales) is not supported; export at opset >= 11`);
    for (let i = 1; i < node.input.length; i++) if (ctx.needs(i)) ctx.fail(`input ${i} (${node.input[i]}) depends on the activation`);
    const mode = attrString(node, 'mode', 'nearest');
    if (mode !== 'nearest' && mode !== 'linear') ctx.fail(`mode '${mode}' is not supported (nearest and linear are)`);
    const coord = attrString(node, 'coordinate_transformation_mode', 'half_pixel');
    if (!['half_pixel', 'pytorch_half_pixel', 'align_corners', 'asymmetric', 'tf_half_pixel_for_nn'].includes(coord)) {
      ctx.fail(`coordinate_transformation_mode '${coord}' is not supported`);
    }
    const nearestMode = attrString(node, 'nearest_mode', 'round_prefer_floor');
    const nearest = NEAREST[nearestMode] ?? ctx.fail(`nearest_mode '${nearestMode}' is not supported`);
    if (mode === 'linear' && attrInt(node, 'antialias', 0) !== 0) ctx.fail('antialias=1 is not supported');
    const x = node.input[0];
    const inShape = ctx.shape(x);
    const outShape = ctx.shape(node.output[0]);
    const rank = inShape.length;
    const scales = axisScales(ctx, inShape, outShape);
    if (scales[0] !== 1) ctx.fail('resizing the batch axis is not supported');
    let g = ctx.gradOrZeros(0);
    for (let d = rank - 1; d >= 1; d--) {
      if (scales[d] === 1 && inShape[d] === outShape[d]) continue;
      const a = axisMatrix(mode, coord, nearest, scales[d], inShape[d], outShape[d]);
      g = applyTransposed(em, g, rank, d, a, inShape[d], outShape[d]);
    }
    return [g];
  },
};

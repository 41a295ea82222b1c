/**
 * The vector-Jacobian builder (docs/design.md 3.2). From a segment model (graph input = the lower activation with a
 * dynamic batch dim, graph output = the upper tensor) and the static shapes of its tensors, it writes ONE ONNX
 * model that recomputes the forward values the rules need and pulls a cotangent of the upper tensor back to
 * the lower activation, using standard operators only (opset >= 17, so ScatterElements can add).
 *
 * Three products share the same core (prepared.ts); the fast IG model SegmentGradients runs is ig-model.ts:
 * - `buildVjpModel`:    inputs `a` [N,...], `g` (cotangent of upper) -> `grad_a`.
 * - `buildTargetModel`: a general fused gradient model, any mix of targets per row (IG runs use ig-model.ts,
 *   several times faster: one target per run, affine part per sample). Inputs `a` [S,...] (distinct samples), `rows` int64 [R]
 *   (sample of each row), `alpha` [R] (scale of each row), `t` [R, C_upper] (target weights of each row). Row r
 *   evaluates at x_r = alpha_r * a[rows_r] with the cotangent of F = sum_j t[r,j] * mean_spatial(upper[:, j]);
 *   outputs `grad` [R,...] = dF/dx at x_r and `contrib` [R, C_lower] = sum over positions of a[rows_r] * grad.
 * - `buildValueModel`:  input `a` -> `value` [N, C_upper], F_j for every channel j.
 */
import { makeValueInfo } from '../onnx/build';
import { DataType, type ModelProto } from '../onnx/proto';
import { GradientError } from '../errors';
import { Prepared } from './prepared';
import type { ShapeMap } from './types';

export const VJP_NAMES = { a: 'a', g: 'g', grad: 'grad_a' } as const;
export const TARGET_NAMES = { a: 'a', rows: 'rows', alpha: 'alpha', t: 't', grad: 'grad', contrib: 'contrib' } as const;
export const VALUE_NAMES = { a: 'a', value: 'value' } as const;

/** inputs `a`, `g` -> output `grad_a` = g pulled back through the segment. */
export function buildVjpModel(model: ModelProto, shapes: ShapeMap): ModelProto {
  const p = new Prepared(model, shapes, Object.values(VJP_NAMES));
  const lowerDims = p.featureDims(p.lower);
  const upperDims = p.featureDims(p.upper);
  p.em.nodes.push({ opType: 'Identity', input: [VJP_NAMES.a], output: [p.lower], attribute: [], name: `${p.lower}/feed` });
  const grad = p.emitBackward(VJP_NAMES.g);
  p.em.nodes.push({ opType: 'Identity', input: [grad], output: [VJP_NAMES.grad], attribute: [], name: VJP_NAMES.grad });
  return p.finish(
    `${model.graph.name ?? 'segment'}/vjp`,
    [makeValueInfo(VJP_NAMES.a, p.elemType, ['N', ...lowerDims]), makeValueInfo(VJP_NAMES.g, p.elemType, ['N', ...upperDims])],
    [makeValueInfo(VJP_NAMES.grad, p.elemType, ['N', ...lowerDims])],
  );
}

/** Emits F_j for every channel j of the upper tensor (spatial mean for rank >= 3). */
function channelValues(p: Prepared): string {
  const rank = p.featureDims(p.upper).length + 1;
  if (rank < 2) throw new GradientError(`upper tensor ${p.upper}: rank ${rank} has no channel axis`);
  if (rank === 2) return p.upper;
  return p.em.reduce(
    'ReduceMean',
    p.upper,
    Array.from({ length: rank - 2 }, (_, i) => i + 2),
    false,
  );
}

/** The fused target model used by Integrated Gradients and plain gradients (see the module comment). */
export function buildTargetModel(model: ModelProto, shapes: ShapeMap): ModelProto {
  const p = new Prepared(model, shapes, Object.values(TARGET_NAMES));
  const { em } = p;
  const lowerDims = p.featureDims(p.lower);
  const upperDims = p.featureDims(p.upper);
  const N = TARGET_NAMES;
  const rank = lowerDims.length + 1;
  const picked = em.op('Gather', [N.a, N.rows], { axis: 0 }, 'picked');
  const scale = em.op('Reshape', [N.alpha, em.ints([-1, ...new Array<number>(rank - 1).fill(1)])]);
  em.nodes.push({ opType: 'Mul', input: [picked, scale], output: [p.lower], attribute: [], name: `${p.lower}/scaled` });
  // Cotangent of sum_j t[r,j] F_j: t spread evenly over the upper tensor's positions.
  let g: string = N.t;
  if (upperDims.length > 1) {
    const positions = upperDims.slice(1).reduce((a, b) => a * b, 1);
    const spread = em.unsqueeze(
      em.op('Mul', [N.t, em.scalar(1 / positions)]),
      Array.from({ length: upperDims.length - 1 }, (_, i) => i + 2),
    );
    g = em.op('Expand', [spread, em.op('Shape', [p.upper])], {}, 'g_upper');
  }
  const grad = p.emitBackward(g);
  em.nodes.push({ opType: 'Identity', input: [grad], output: [N.grad], attribute: [], name: N.grad });
  const product = em.op('Mul', [grad, picked]);
  const contrib = em.reduceSum(
    product,
    Array.from({ length: rank - 2 }, (_, i) => i + 2),
    false,
  );
  em.nodes.push({ opType: 'Identity', input: [contrib], output: [N.contrib], attribute: [], name: N.contrib });
  return p.finish(
    `${model.graph.name ?? 'segment'}/target`,
    [
      makeValueInfo(N.a, p.elemType, ['S', ...lowerDims]),
      makeValueInfo(N.rows, DataType.INT64, ['R']),
      makeValueInfo(N.alpha, p.elemType, ['R']),
      makeValueInfo(N.t, p.elemType, ['R', upperDims[0]]),
    ],
    [makeValueInfo(N.grad, p.elemType, ['R', ...lowerDims]), makeValueInfo(N.contrib, p.elemType, ['R', lowerDims[0]])],
  );
}

/** input `a` -> `value` [N, C_upper]: F_j(a) for every upper channel j. */
export function buildValueModel(model: ModelProto, shapes: ShapeMap): ModelProto {
  const p = new Prepared(model, shapes, Object.values(VALUE_NAMES));
  const upperDims = p.featureDims(p.upper);
  p.em.nodes.push({ opType: 'Identity', input: [VALUE_NAMES.a], output: [p.lower], attribute: [], name: `${p.lower}/feed` });
  const values = channelValues(p);
  p.em.nodes.push({ opType: 'Identity', input: [values], output: [VALUE_NAMES.value], attribute: [], name: VALUE_NAMES.value });
  return p.finish(
    `${model.graph.name ?? 'segment'}/value`,
    [makeValueInfo(VALUE_NAMES.a, p.elemType, ['N', ...p.featureDims(p.lower)])],
    [makeValueInfo(VALUE_NAMES.value, p.elemType, ['N', upperDims[0]])],
  );
}

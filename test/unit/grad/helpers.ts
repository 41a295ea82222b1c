/**
 * Finite-difference harness for the backward rules: builds a one-op (or few-op) model, its VJP model with the
 * builder, and compares the VJP on ORT with central differences of <g, f(x)> computed with the forward model
 * on ORT (all perturbations of a sample in one batched run).
 */
import { buildVjpModel } from '../../../src/engine/grad/builder';
import { makeGraph, makeModel, makeValueInfo } from '../../../src/engine/onnx/build';
import { DataType, encodeModel, type ModelProto, type NodeProto, type TensorProto } from '../../../src/engine/onnx/proto';
import { OrtSession } from '../../../src/engine/runtime/ort';
import { seededRandom } from '../../../src/engine/util/random';

export type Float = Float32Array | Float64Array;

/** Deterministic pseudo-random numbers: the engine's seeded generator. */
export const rng = seededRandom;

export interface OpModel {
  nodes: NodeProto[];
  initializers?: TensorProto[];
  /** Shape of `x` incl. the batch dim used for the check. */
  inputShape: number[];
  dtype?: 'float32' | 'float64';
  opset?: number;
}

export function forwardModel(m: OpModel): ModelProto {
  const elem = m.dtype === 'float64' ? DataType.DOUBLE : DataType.FLOAT;
  const graph = makeGraph('fd', m.nodes, [makeValueInfo('x', elem, ['N', ...m.inputShape.slice(1)])], [makeValueInfo('y', elem)], m.initializers ?? []);
  return makeModel(graph, [{ domain: '', version: m.opset ?? 17 }]);
}

async function session(model: ModelProto, name: string): Promise<OrtSession> {
  return OrtSession.create(encodeModel(model), name, { threads: 1 });
}

function makeArray(dtype: OpModel['dtype'], n: number): Float {
  return dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
}

/** Static shapes of every node output, from one batch-1 run with all of them exposed. */
export async function probeShapes(model: ModelProto, inputShape: number[], dtype: OpModel['dtype']): Promise<Map<string, number[]>> {
  const outs = [...new Set(model.graph.node.flatMap((n) => n.output).filter(Boolean))];
  const probe: ModelProto = { ...model, graph: { ...model.graph, output: outs.map((o) => ({ name: o })) } };
  const s = await session(probe, 'probe');
  const one = [1, ...inputShape.slice(1)];
  const x = makeArray(
    dtype,
    one.reduce((a, b) => a * b, 1),
  ).fill(0.5);
  const res = await s.run({ x: { data: x, dims: one } });
  await s.release();
  const shapes = new Map<string, number[]>([['x', one]]);
  for (const [k, v] of Object.entries(res)) shapes.set(k, v.dims);
  return shapes;
}

export interface FdOptions {
  eps?: number;
  seed?: number;
  /** Values of x (default uniform in [-1, 1]). */
  sample?: (r: () => number, i: number) => number;
}

export interface FdResult {
  maxAbs: number;
  rel: number;
  vjp: Float;
  fd: Float64Array;
}

/** Compares the builder's VJP with central differences; rel = max|vjp - fd| / max|fd|. */
export async function checkVjp(m: OpModel, opts: FdOptions = {}): Promise<FdResult> {
  const dtype = m.dtype ?? 'float32';
  const eps = opts.eps ?? (dtype === 'float64' ? 1e-6 : 1e-2);
  const r = rng(opts.seed ?? 1);
  const fwd = forwardModel(m);
  const shapes = await probeShapes(fwd, m.inputShape, dtype);
  const vjpModel = buildVjpModel(fwd, shapes);
  const fwdSession = await session(fwd, 'forward');
  const vjpSession = await session(vjpModel, 'vjp');
  try {
    const size = m.inputShape.reduce((a, b) => a * b, 1);
    const x = makeArray(dtype, size);
    for (let i = 0; i < size; i++) x[i] = opts.sample ? opts.sample(r, i) : 2 * r() - 1;
    const y = (await fwdSession.run({ x: { data: x, dims: m.inputShape } })).y;
    const g = makeArray(dtype, y.data.length);
    for (let i = 0; i < g.length; i++) g[i] = 2 * r() - 1;
    const vjp = (await vjpSession.run({ a: { data: x, dims: m.inputShape }, g: { data: g, dims: y.dims } })).grad_a.data as Float;
    const batch = m.inputShape[0];
    const per = size / batch;
    const perOut = g.length / batch;
    const fd = new Float64Array(size);
    for (let n = 0; n < batch; n++) {
      const rows = makeArray(dtype, 2 * per * per);
      for (let i = 0; i < per; i++) {
        for (const [k, sign] of [
          [0, 1],
          [1, -1],
        ] as const) {
          const row = (2 * i + k) * per;
          rows.set(x.subarray(n * per, (n + 1) * per), row);
          rows[row + i] += sign * eps;
        }
      }
      const out = (await fwdSession.run({ x: { data: rows, dims: [2 * per, ...m.inputShape.slice(1)] } })).y.data as Float;
      for (let i = 0; i < per; i++) {
        let plus = 0;
        let minus = 0;
        for (let j = 0; j < perOut; j++) {
          const gj = g[n * perOut + j];
          plus += gj * out[2 * i * perOut + j];
          minus += gj * out[(2 * i + 1) * perOut + j];
        }
        fd[n * per + i] = (plus - minus) / (2 * eps);
      }
    }
    let maxAbs = 0;
    let maxRef = 0;
    for (let i = 0; i < size; i++) {
      maxAbs = Math.max(maxAbs, Math.abs(vjp[i] - fd[i]));
      maxRef = Math.max(maxRef, Math.abs(fd[i]));
    }
    return { maxAbs, rel: maxAbs / Math.max(maxRef, 1e-30), vjp, fd };
  } finally {
    await fwdSession.release();
    await vjpSession.release();
  }
}

/** Random float32/float64 initializer values. */
export function randomValues(n: number, seed: number, dtype: OpModel['dtype'] = 'float32', scale = 1): Float {
  const r = rng(seed);
  const out = makeArray(dtype, n);
  for (let i = 0; i < n; i++) out[i] = scale * (2 * r() - 1);
  return out;
}

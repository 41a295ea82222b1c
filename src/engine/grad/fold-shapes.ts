/**
 * Folds shape arithmetic to constants for the analysed input shape. Exporters compute Slice/Split bounds,
 * Reshape targets, Expand shapes... from the run-time shape of activations (`Shape -> Gather -> Div -> Mul ->
 * Concat ...`: torchvision's ShuffleNetV2 `x.chunk(2, dim=1)` and channel shuffle, timm's reshapes). The
 * backward rules need some of those values at build time; this evaluator computes them from the static shapes
 * the builder has (probe shapes, batch 1).
 *
 * The batch size B is dynamic (probes run with B = 1, IG with thousands of rows), so nothing that depends on
 * it may be folded. Every axis length of an activation is tracked as `c * B^p`: the power p per axis
 * (`batchPowers`), and c its probe length (B = 1 there). The sources (the segment's lower activation) have
 * p = 1 on axis 0 and 0 elsewhere; each operator propagates the powers (Transpose permutes them, Reshape reads
 * them off its target, Flatten adds them...; an operator without a rule makes its outputs' powers unknown,
 * which only costs folding). Shape-arithmetic values are tracked element by element as a number, a monomial
 * `c * B^p` (p >= 1) or unknown: `Shape(x)` gives `c * B^p` per axis, and Mul/Div/Add/Gather/Concat/... carry
 * monomials exactly where the result still is one. So `view(b, -1, h, w)` in the channel shuffle gets a
 * batch-free channel axis (-1 = B*C*H*W / (B*H*W)), and a channel split bound `Shape(x)[1] / 2` folds to a
 * number, while a Reshape target `[B, 2, c/2, h, w]` keeps its batch element and is computed at run time.
 *
 * Only tensors whose every element is a number become constants (`FoldResult.constants`). Element types
 * follow ONNX: integer Div truncates, Cast to an integer truncates, float32 values are rounded to float32.
 */
import { makeTensor } from '../onnx/build';
import { AttrType, DataType, type NodeProto, type TensorProto } from '../onnx/proto';
import { attrInt, attrInts, attrString, attrTensor } from './attrs';
import { constantNodeValue, tensorValues } from './constants';
import type { ConstantValue, ShapeMap } from './types';

/** `c * B^p` with p >= 1: a value proportional to a power of the batch size. */
export interface Sym {
  c: number;
  p: number;
}
/** One element of a shape-arithmetic value: a number, a batch monomial, or unknown. */
export type Elem = number | Sym | undefined;

/** A tensor's value with symbolic or unknown elements; dims and element type are always known. */
export interface PartialValue {
  dims: number[];
  values: Elem[];
  dataType: number;
}

/**
 * Per axis, the power p of B in its length (`c * B^p`); NaN where the length depends on B in an unknown way;
 * 'unknown' when nothing is known (not even the rank).
 */
export type BatchPowers = number[] | 'unknown';

export interface FoldResult {
  /** Shape-arithmetic values, partially known (also the small constants they read). */
  values: Map<string, PartialValue>;
  /** Batch powers of the axes of activation tensors. */
  batchPowers: Map<string, BatchPowers>;
  /** Tensors computed by nodes whose every element is a number, as constants (initializers not repeated). */
  constants: Map<string, ConstantValue>;
  /** Tensors computed (transitively) from a Shape or Size node: the shape arithmetic proper. */
  shapeDerived: Set<string>;
}

export interface FoldOptions {
  /** Nodes in topological order. */
  nodes: readonly NodeProto[];
  /** Static shapes (probe run, batch 1). */
  shapes: ShapeMap;
  /** Activation tensors whose axis 0 is the batch (the segment input). */
  sources: readonly string[];
  /** Initializers (and other tensors given as values): never batch-dependent. */
  initializers?: readonly TensorProto[];
}

/** Tensors larger than this are not evaluated (shape arithmetic is tiny; masks built from shapes can be big). */
export const MAX_FOLD_ELEMENTS = 1 << 16;

const INT_TYPES = new Set<number>([
  DataType.INT64,
  DataType.INT32,
  DataType.INT16,
  DataType.INT8,
  DataType.UINT8,
  DataType.UINT16,
  DataType.UINT32,
  DataType.UINT64,
]);
const size = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);
const isSym = (e: Elem): e is Sym => typeof e === 'object';
/** `c * B^p` as an element: a plain number when p = 0 or c = 0. */
const sym = (c: number, p: number): Elem => (Number.isNaN(p) || !Number.isFinite(c) ? undefined : p === 0 || c === 0 ? c : { c, p });
const asSym = (e: number | Sym): Sym => (isSym(e) ? e : { c: e, p: 0 });
const sameElem = (a: Elem, b: Elem): boolean => (isSym(a) && isSym(b) ? a.c === b.c && a.p === b.p : a === b && a !== undefined);

/** A number as an element of `dataType` holds it (ints truncate, bool is 0/1, float32 rounds). */
function asType(v: number, dataType: number): number {
  if (dataType === DataType.BOOL) return v ? 1 : 0;
  if (dataType === DataType.FLOAT) return Math.fround(v);
  if (INT_TYPES.has(dataType)) return Number.isFinite(v) ? Math.trunc(v) : v;
  return v;
}

function stridesOf(dims: readonly number[]): number[] {
  const s = new Array<number>(dims.length).fill(1);
  for (let i = dims.length - 2; i >= 0; i--) s[i] = s[i + 1] * dims[i + 1];
  return s;
}

/** Numpy broadcasting of shapes; undefined when they do not broadcast. */
function broadcastDims(shapes: readonly (readonly number[])[]): number[] | undefined {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const k = rank - s.length + i;
      if (s[i] === 1) continue;
      if (out[k] !== 1 && out[k] !== s[i]) return undefined;
      out[k] = s[i];
    }
  }
  return out;
}

/** The flat index into `dims` (right-aligned, broadcast) of each flat index of `outDims`. */
function broadcastIndex(dims: readonly number[], outDims: readonly number[]): (flat: number) => number {
  const lead = outDims.length - dims.length;
  const st = stridesOf(dims);
  const outSt = stridesOf(outDims);
  return (flat) => {
    let idx = 0;
    for (let k = 0; k < outDims.length; k++) {
      const coord = Math.floor(flat / outSt[k]) % outDims[k];
      const i = k - lead;
      if (i >= 0 && dims[i] !== 1) idx += coord * st[i];
    }
    return idx;
  };
}

type NumericOp = (args: number[], node: NodeProto, dataType: number) => number | undefined;

const intDiv = (a: number, b: number) => (b === 0 ? undefined : Math.trunc(a / b));
/** Element-wise operators on numbers. Output type: input 0's, BOOL for comparisons, `to` for Cast. */
const NUMERIC: Record<string, NumericOp> = {
  Add: ([a, b]) => a + b,
  Sub: ([a, b]) => a - b,
  Mul: ([a, b]) => a * b,
  Div: ([a, b], _n, t) => (INT_TYPES.has(t) ? intDiv(a, b) : a / b),
  Mod: ([a, b], n, t) => {
    if (b === 0) return undefined;
    if (attrInt(n, 'fmod', 0) === 1 || !INT_TYPES.has(t)) return a % b;
    const r = a % b;
    return r !== 0 && r < 0 !== b < 0 ? r + b : r;
  },
  Pow: ([a, b]) => a ** b,
  Max: (xs) => Math.max(...xs),
  Min: (xs) => Math.min(...xs),
  Sum: (xs) => xs.reduce((s, v) => s + v, 0),
  Equal: ([a, b]) => Number(a === b),
  Less: ([a, b]) => Number(a < b),
  LessOrEqual: ([a, b]) => Number(a <= b),
  Greater: ([a, b]) => Number(a > b),
  GreaterOrEqual: ([a, b]) => Number(a >= b),
  And: ([a, b]) => Number(Boolean(a) && Boolean(b)),
  Or: ([a, b]) => Number(Boolean(a) || Boolean(b)),
  Xor: ([a, b]) => Number(Boolean(a) !== Boolean(b)),
  Not: ([a]) => Number(!a),
  Neg: ([a]) => -a,
  Abs: ([a]) => Math.abs(a),
  Sqrt: ([a]) => Math.sqrt(a),
  Reciprocal: ([a]) => 1 / a,
  Floor: ([a]) => Math.floor(a),
  Ceil: ([a]) => Math.ceil(a),
  Round: ([a]) => {
    const f = Math.floor(a);
    const d = a - f;
    return d > 0.5 || (d === 0.5 && f % 2 !== 0) ? f + 1 : f;
  },
  Sign: ([a]) => Math.sign(a),
  Exp: ([a]) => Math.exp(a),
  Log: ([a]) => Math.log(a),
  Identity: ([a]) => a,
  Cast: ([a]) => a,
};
const COMPARISONS = new Set(['Equal', 'Less', 'LessOrEqual', 'Greater', 'GreaterOrEqual', 'And', 'Or', 'Xor', 'Not']);

/**
 * The same operators where some argument is a batch monomial `c * B^p` (B >= 1 an unknown integer): the
 * result when it is a number or a monomial for every B, else undefined. Integer division is exact only when
 * the divisor divides c (or the powers cancel: floor(c B^p / d B^p) = floor(c / d)).
 */
function symbolic(op: string, args: (number | Sym)[], dataType: number, outType: number): Elem {
  const [a, b] = args.map(asSym);
  const int = INT_TYPES.has(dataType);
  switch (op) {
    case 'Identity':
      return args[0];
    case 'Cast':
      return INT_TYPES.has(outType) && !Number.isInteger(a.c) ? undefined : sym(asType(a.c, outType), a.p);
    case 'Neg':
      return sym(-a.c, a.p);
    case 'Abs':
      return sym(Math.abs(a.c), a.p);
    case 'Mul':
      return sym(a.c * b.c, a.p + b.p);
    case 'Add':
    case 'Sub': {
      if (a.p !== b.p) return undefined;
      return sym(op === 'Add' ? a.c + b.c : a.c - b.c, a.p);
    }
    case 'Div': {
      if (b.c === 0 || a.p < b.p) return undefined;
      if (a.p === b.p) return int ? Math.trunc(a.c / b.c) : a.c / b.c;
      if (int && a.c % b.c !== 0) return undefined;
      return sym(a.c / b.c, a.p - b.p);
    }
    // B >= 1, so c B^p (c > 0) is >= c: comparisons with a number below c are decided.
    case 'Equal': {
      const [s, n] = isSym(args[0]) ? [a, args[1]] : [b, args[0]];
      if (isSym(n) || s.c <= 0) return undefined;
      return n < s.c ? 0 : undefined;
    }
    case 'Greater':
    case 'GreaterOrEqual':
    case 'Less':
    case 'LessOrEqual': {
      if (isSym(args[0]) === isSym(args[1])) return undefined;
      const symFirst = isSym(args[0]);
      const s = symFirst ? a : b;
      const n = (symFirst ? args[1] : args[0]) as number;
      if (s.c <= 0 || n >= s.c) return undefined;
      // s > n holds for every B.
      const symGreater = 1;
      const greater = op.startsWith('Greater') ? (symFirst ? symGreater : 0) : symFirst ? 0 : symGreater;
      return greater;
    }
    case 'Max':
    case 'Min': {
      if (args.length !== 2 || isSym(args[0]) === isSym(args[1])) return sameElem(args[0], args[1]) ? args[0] : undefined;
      const s = isSym(args[0]) ? a : b;
      const n = (isSym(args[0]) ? args[1] : args[0]) as number;
      if (s.c <= 0 || n > s.c) return undefined;
      return op === 'Max' ? sym(s.c, s.p) : n;
    }
    default:
      return undefined;
  }
}

/** Operators whose output axes are input 0's axes (same rank; per-element, per-channel or spatial). */
const SAME_AXES = new Set([
  'Relu',
  'LeakyRelu',
  'PRelu',
  'Elu',
  'Selu',
  'Celu',
  'Sigmoid',
  'HardSigmoid',
  'HardSwish',
  'Tanh',
  'Softplus',
  'Softsign',
  'Mish',
  'Gelu',
  'Erf',
  'Exp',
  'Log',
  'Sqrt',
  'Reciprocal',
  'Neg',
  'Abs',
  'Floor',
  'Ceil',
  'Round',
  'Sign',
  'Not',
  'Identity',
  'Dropout',
  'Clip',
  'Cast',
  'CastLike',
  'Softmax',
  'LogSoftmax',
  'Hardmax',
  'Conv',
  'ConvTranspose',
  'BatchNormalization',
  'InstanceNormalization',
  'GroupNormalization',
  'LayerNormalization',
  'LpNormalization',
  'MeanVarianceNormalization',
  'LRN',
  'MaxPool',
  'AveragePool',
  'LpPool',
  'GlobalAveragePool',
  'GlobalMaxPool',
  'GlobalLpPool',
  'Resize',
  'Upsample',
  'Pad',
  'Slice',
  'Split',
  'CumSum',
  'TopK',
  'ScatterND',
  'ScatterElements',
  'Trilu',
  'DepthToSpace',
  'SpaceToDepth',
]);
/** Element-wise operators with numpy broadcasting. */
const BROADCAST = new Set([
  'Add',
  'Sub',
  'Mul',
  'Div',
  'Pow',
  'Mod',
  'Max',
  'Min',
  'Sum',
  'Mean',
  'Where',
  'Equal',
  'Less',
  'LessOrEqual',
  'Greater',
  'GreaterOrEqual',
  'And',
  'Or',
  'Xor',
  'BitShift',
]);
const REDUCE = new Set([
  'ReduceMean',
  'ReduceSum',
  'ReduceMax',
  'ReduceMin',
  'ReduceProd',
  'ReduceL1',
  'ReduceL2',
  'ReduceLogSum',
  'ReduceLogSumExp',
  'ReduceSumSquare',
  'ArgMax',
  'ArgMin',
]);

/** All elements numbers: the plain values, else undefined. */
export function numbers(v: PartialValue | undefined): number[] | undefined {
  return v?.values.every((x) => typeof x === 'number') ? (v.values as number[]) : undefined;
}

/** Evaluates the shape arithmetic of `nodes` (see the module comment). */
export function foldShapes(options: FoldOptions): FoldResult {
  const { nodes, shapes } = options;
  const values = new Map<string, PartialValue>();
  const batchPowers = new Map<string, BatchPowers>();
  const statics = new Set<string>();
  const staticDims = new Map<string, number[]>();
  for (const t of options.initializers ?? []) {
    if (!t.name) continue;
    statics.add(t.name);
    const dims = (t.dims ?? []).map(Number);
    staticDims.set(t.name, dims);
    const elems = size(dims) <= MAX_FOLD_ELEMENTS ? tensorValues(t) : [];
    if (elems.length === size(dims)) values.set(t.name, { dims, values: elems, dataType: t.dataType });
  }
  for (const s of options.sources) {
    const dims = shapes.get(s);
    batchPowers.set(s, dims ? dims.map((_, i) => (i === 0 ? 1 : 0)) : 'unknown');
  }

  /** Batch powers of any tensor: none for values and constants. */
  const powersOf = (t: string): BatchPowers => {
    const v = values.get(t);
    if (v) return v.dims.map(() => 0);
    const a = batchPowers.get(t);
    if (a) return a;
    if (statics.has(t)) {
      const dims = staticDims.get(t) ?? shapes.get(t);
      return dims ? dims.map(() => 0) : 'unknown';
    }
    return 'unknown';
  };
  const shapeDerived = new Set<string>();

  for (const node of nodes) {
    if (node.domain && node.domain !== 'ai.onnx') {
      for (const o of node.output) if (o) batchPowers.set(o, 'unknown');
      continue;
    }
    let outs: (PartialValue | undefined)[] = [];
    try {
      outs = evaluate(node, values, shapes, powersOf) ?? [];
    } catch {
      outs = [];
    }
    // Outputs of nodes that read only constants and numbers do not depend on the batch.
    const allStatic =
      node.opType !== 'Shape' &&
      node.opType !== 'Size' &&
      node.input.every((i) => !i || (values.has(i) ? numbers(values.get(i)) !== undefined : statics.has(i)));
    const fromShapes = node.opType === 'Shape' || node.opType === 'Size' || node.input.some((i) => shapeDerived.has(i));
    node.output.forEach((o, i) => {
      if (!o) return;
      if (fromShapes) shapeDerived.add(o);
      const v = outs[i];
      if (v && size(v.dims) <= MAX_FOLD_ELEMENTS && v.values.length === size(v.dims)) {
        values.set(o, v);
        statics.add(o);
      } else if (allStatic) {
        statics.add(o);
      } else {
        batchPowers.set(o, propagate(node, i, shapes, powersOf, values));
      }
    });
  }

  const constants = new Map<string, ConstantValue>();
  const produced = new Set(nodes.flatMap((n) => n.output));
  for (const [t, v] of values) {
    const nums = numbers(v);
    if (produced.has(t) && nums) constants.set(t, { dims: v.dims, values: nums, dataType: v.dataType });
  }
  return { values, batchPowers, constants, shapeDerived };
}

/** Axes from an attribute (older opsets) or input `i` (newer); undefined when neither is there. */
function axesArg(node: NodeProto, values: ReadonlyMap<string, PartialValue>, i: number): number[] | undefined | 'unknown' {
  const attr = attrInts(node, 'axes');
  if (attr) return attr;
  if (!node.input[i]) return undefined;
  return numbers(values.get(node.input[i])) ?? 'unknown';
}

/**
 * Values of the node's outputs when it is shape arithmetic (every input it reads by value has a value, or it
 * reads only the shape of its input), else undefined.
 */
function evaluate(
  node: NodeProto,
  values: ReadonlyMap<string, PartialValue>,
  shapes: ShapeMap,
  powersOf: (t: string) => BatchPowers,
): (PartialValue | undefined)[] | undefined {
  const op = node.opType;
  if (op === 'Constant') {
    const v = constantNodeValue(node);
    return v ? [{ dims: v.dims, values: v.values, dataType: v.dataType ?? DataType.FLOAT }] : undefined;
  }
  if (op === 'Shape' || op === 'Size') {
    const x = node.input[0];
    const v = values.get(x);
    const dims = v?.dims ?? shapes.get(x);
    const powers = powersOf(x);
    if (!dims || powers === 'unknown' || powers.length !== dims.length) return undefined;
    const elems = dims.map((d, i) => sym(d, powers[i]));
    if (op === 'Size') {
      const total = elems.reduce<Elem>(
        (acc, e) => (acc === undefined || e === undefined ? undefined : symbolic('Mul', [acc, e], DataType.INT64, DataType.INT64)),
        1,
      );
      return [{ dims: [], values: [total], dataType: DataType.INT64 }];
    }
    const r = dims.length;
    const clampAxis = (a: number) => Math.min(Math.max(a < 0 ? a + r : a, 0), r);
    const start = clampAxis(attrInt(node, 'start', 0));
    const end = clampAxis(attrInt(node, 'end', r));
    const out = elems.slice(start, Math.max(start, end));
    return [{ dims: [out.length], values: out, dataType: DataType.INT64 }];
  }
  // Every other evaluated operator reads its inputs by value.
  const ins = node.input.map((t) => (t ? values.get(t) : undefined));
  if (node.input.some((t, i) => t && !ins[i])) return undefined;
  const x = ins[0];
  if (op in NUMERIC) {
    const present = ins.filter((v): v is PartialValue => v !== undefined);
    if (present.length === 0) return undefined;
    const dims = broadcastDims(present.map((v) => v.dims));
    if (!dims || size(dims) > MAX_FOLD_ELEMENTS) return undefined;
    const inType = present[0].dataType;
    const dataType = op === 'Cast' ? attrInt(node, 'to', inType) : COMPARISONS.has(op) ? DataType.BOOL : inType;
    const maps = present.map((v) => broadcastIndex(v.dims, dims));
    const fn = NUMERIC[op];
    const out = Array.from({ length: size(dims) }, (_, k): Elem => {
      const args = present.map((v, i) => v.values[maps[i](k)]);
      if (args.some((a) => a === undefined)) return undefined;
      if (args.some(isSym)) return symbolic(op, args as (number | Sym)[], inType, dataType);
      const r = fn(args as number[], node, inType);
      return r === undefined || Number.isNaN(r) ? undefined : asType(r, dataType);
    });
    return [{ dims, values: out, dataType }];
  }
  switch (op) {
    case 'Where': {
      const [c, a, b] = ins as PartialValue[];
      const dims = broadcastDims([c.dims, a.dims, b.dims]);
      if (!dims || size(dims) > MAX_FOLD_ELEMENTS) return undefined;
      const [mc, ma, mb] = [c, a, b].map((v) => broadcastIndex(v.dims, dims));
      const out = Array.from({ length: size(dims) }, (_, k): Elem => {
        const cond = c.values[mc(k)];
        const [va, vb] = [a.values[ma(k)], b.values[mb(k)]];
        if (typeof cond !== 'number') return sameElem(va, vb) ? va : undefined;
        return cond ? va : vb;
      });
      return [{ dims, values: out, dataType: a.dataType }];
    }
    case 'Gather': {
      const idx = numbers(ins[1]);
      if (!x || !idx) return undefined;
      const r = x.dims.length;
      const axis = (attrInt(node, 'axis', 0) + r) % r;
      const len = x.dims[axis];
      const outer = size(x.dims.slice(0, axis));
      const inner = size(x.dims.slice(axis + 1));
      const dims = [...x.dims.slice(0, axis), ...ins[1]!.dims, ...x.dims.slice(axis + 1)];
      const out: Elem[] = [];
      for (let o = 0; o < outer; o++) {
        for (const i of idx) {
          const j = i < 0 ? i + len : i;
          if (j < 0 || j >= len) return undefined;
          for (let k = 0; k < inner; k++) out.push(x.values[(o * len + j) * inner + k]);
        }
      }
      return [{ dims, values: out, dataType: x.dataType }];
    }
    case 'Unsqueeze': {
      const axes = axesArg(node, values, 1);
      if (!x || !Array.isArray(axes)) return undefined;
      const r = x.dims.length + axes.length;
      const norm = new Set(axes.map((a) => (a + r) % r));
      const dims: number[] = [];
      let k = 0;
      for (let i = 0; i < r; i++) dims.push(norm.has(i) ? 1 : x.dims[k++]);
      return [{ ...x, dims }];
    }
    case 'Squeeze': {
      const axes = axesArg(node, values, 1);
      if (!x || axes === 'unknown') return undefined;
      const r = x.dims.length;
      const drop = new Set(axes ? axes.map((a) => (a + r) % r) : x.dims.flatMap((d, i) => (d === 1 ? [i] : [])));
      return [{ ...x, dims: x.dims.filter((_, i) => !drop.has(i)) }];
    }
    case 'Concat': {
      const parts = ins as PartialValue[];
      const r = parts[0].dims.length;
      const axis = (attrInt(node, 'axis', 0) + r) % r;
      const outer = size(parts[0].dims.slice(0, axis));
      const dims = [...parts[0].dims];
      dims[axis] = parts.reduce((s, p) => s + p.dims[axis], 0);
      const out: Elem[] = [];
      for (let o = 0; o < outer; o++) {
        for (const p of parts) {
          const chunk = size(p.dims.slice(axis));
          out.push(...p.values.slice(o * chunk, (o + 1) * chunk));
        }
      }
      return [{ dims, values: out, dataType: parts[0].dataType }];
    }
    case 'Reshape': {
      const target = numbers(ins[1]);
      if (!x || !target) return undefined;
      const allowzero = attrInt(node, 'allowzero', 0) === 1;
      const dims = target.map((d, i) => (d === 0 && !allowzero ? x.dims[i] : d));
      const minus = dims.indexOf(-1);
      if (minus >= 0) dims[minus] = size(x.dims) / size(dims.filter((_, i) => i !== minus));
      if (size(dims) !== x.values.length) return undefined;
      return [{ ...x, dims }];
    }
    case 'Slice': {
      if (!x) return undefined;
      const starts = numbers(ins[1]);
      const ends = numbers(ins[2]);
      const r = x.dims.length;
      const axes = node.input[3] ? numbers(ins[3]) : starts?.map((_, i) => i);
      const steps = node.input[4] ? numbers(ins[4]) : starts?.map(() => 1);
      if (!starts || !ends || !axes || !steps || steps.includes(0)) return undefined;
      const picks = x.dims.map((d) => Array.from({ length: d }, (_, i) => i));
      axes.forEach((a, k) => {
        const axis = (a + r) % r;
        picks[axis] = sliceRange(x.dims[axis], starts[k], ends[k], steps[k]);
      });
      return [gatherProduct(x, picks)];
    }
    case 'Transpose': {
      if (!x) return undefined;
      const r = x.dims.length;
      const perm = attrInts(node, 'perm') ?? Array.from({ length: r }, (_, i) => r - 1 - i);
      const dims = perm.map((p) => x.dims[p]);
      const st = stridesOf(x.dims);
      const outSt = stridesOf(dims);
      const out = Array.from({ length: x.values.length }, (_, k) => {
        let idx = 0;
        for (let i = 0; i < r; i++) idx += (Math.floor(k / outSt[i]) % dims[i]) * st[perm[i]];
        return x.values[idx];
      });
      return [{ dims, values: out, dataType: x.dataType }];
    }
    case 'Expand': {
      const target = numbers(ins[1]);
      if (!x || !target) return undefined;
      const dims = broadcastDims([x.dims, target]);
      if (!dims || size(dims) > MAX_FOLD_ELEMENTS) return undefined;
      const map = broadcastIndex(x.dims, dims);
      return [{ dims, values: Array.from({ length: size(dims) }, (_, k) => x.values[map(k)]), dataType: x.dataType }];
    }
    case 'ConstantOfShape': {
      const target = numbers(x);
      if (!target || size(target) > MAX_FOLD_ELEMENTS) return undefined;
      const t = attrTensor(node, 'value');
      const v = t ? (tensorValues(t)[0] ?? 0) : 0;
      const dataType = t ? t.dataType : DataType.FLOAT;
      return [{ dims: target, values: new Array<number>(size(target)).fill(v), dataType }];
    }
    case 'Range': {
      const [start, limit, delta] = ins.map((v) => numbers(v)?.[0]);
      if (start === undefined || limit === undefined || delta === undefined || delta === 0) return undefined;
      const n = Math.max(Math.ceil((limit - start) / delta), 0);
      if (n > MAX_FOLD_ELEMENTS) return undefined;
      const dataType = ins[0]!.dataType;
      return [{ dims: [n], values: Array.from({ length: n }, (_, i) => asType(start + i * delta, dataType)), dataType }];
    }
    case 'Tile': {
      const reps = numbers(ins[1]);
      if (!x || !reps) return undefined;
      const dims = x.dims.map((d, i) => d * reps[i]);
      if (size(dims) > MAX_FOLD_ELEMENTS) return undefined;
      return [
        gatherProduct(
          x,
          dims.map((d, i) => Array.from({ length: d }, (_, k) => k % x.dims[i])),
        ),
      ];
    }
    case 'Split': {
      if (!x) return undefined;
      const r = x.dims.length;
      const axis = (attrInt(node, 'axis', 0) + r) % r;
      const len = x.dims[axis];
      let sizes = attrInts(node, 'split') ?? (node.input[1] ? numbers(ins[1]) : undefined);
      if (!sizes) {
        const n = attrInt(node, 'num_outputs', node.output.length);
        const each = Math.ceil(len / n);
        sizes = Array.from({ length: n }, (_, i) => Math.max(Math.min(each, len - i * each), 0));
      }
      let at = 0;
      return sizes.map((s) => {
        const picks = x.dims.map((d) => Array.from({ length: d }, (_, i) => i));
        picks[axis] = Array.from({ length: s }, (_, i) => at + i);
        at += s;
        return gatherProduct(x, picks);
      });
    }
    default:
      break;
  }
  if (REDUCE.has(op) && x && !op.startsWith('Arg')) return reduceValue(node, x, values);
  return undefined;
}

/** ReduceSum/Prod/Max/Min/Mean of a value (monomials through Sum and Prod where exact). */
function reduceValue(node: NodeProto, x: PartialValue, values: ReadonlyMap<string, PartialValue>): PartialValue[] | undefined {
  const op = node.opType;
  const r = x.dims.length;
  const axesIn = axesArg(node, values, 1);
  if (axesIn === 'unknown') return undefined;
  const noop = attrInt(node, 'noop_with_empty_axes', 0) === 1;
  if ((!axesIn || axesIn.length === 0) && noop) return [x];
  const axes = new Set((axesIn && axesIn.length > 0 ? axesIn : x.dims.map((_, i) => i)).map((a) => (a + r) % r));
  const keep = attrInt(node, 'keepdims', 1) === 1;
  const kept = x.dims.map((d, i) => (axes.has(i) ? 1 : d));
  const groups = new Map<number, Elem[]>();
  const st = stridesOf(x.dims);
  const keptSt = stridesOf(kept);
  x.values.forEach((v, k) => {
    let idx = 0;
    for (let i = 0; i < r; i++) if (!axes.has(i)) idx += (Math.floor(k / st[i]) % x.dims[i]) * keptSt[i];
    const g = groups.get(idx) ?? [];
    g.push(v);
    groups.set(idx, g);
  });
  const combine = (g: Elem[]): Elem => {
    if (g.some((v) => v === undefined)) return undefined;
    if (g.some(isSym)) {
      if (op !== 'ReduceSum' && op !== 'ReduceProd') return undefined;
      return g.reduce<Elem>(
        (acc, e) => (acc === undefined ? undefined : symbolic(op === 'ReduceSum' ? 'Add' : 'Mul', [acc, e as number | Sym], x.dataType, x.dataType)),
        op === 'ReduceSum' ? 0 : 1,
      );
    }
    const n = g as number[];
    switch (op) {
      case 'ReduceSum':
        return n.reduce((s, v) => s + v, 0);
      case 'ReduceProd':
        return n.reduce((s, v) => s * v, 1);
      case 'ReduceMax':
        return Math.max(...n);
      case 'ReduceMin':
        return Math.min(...n);
      case 'ReduceMean':
        return n.reduce((s, v) => s + v, 0) / n.length;
      default:
        return undefined;
    }
  };
  const out = Array.from({ length: size(kept) }, (_, k) => {
    const v = combine(groups.get(k) ?? []);
    return typeof v === 'number' ? asType(v, x.dataType) : v;
  });
  return [{ dims: keep ? kept : x.dims.filter((_, i) => !axes.has(i)), values: out, dataType: x.dataType }];
}

/** The positions a Slice reads along one axis (ONNX clamping rules), in output order. */
export function sliceRange(len: number, start: number, end: number, step: number): number[] {
  const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
  let s = start < 0 ? start + len : start;
  let e = end < 0 ? end + len : end;
  if (step > 0) {
    s = clamp(s, 0, len);
    e = clamp(e, 0, len);
  } else {
    s = clamp(s, 0, len - 1);
    e = clamp(e, -1, len - 1);
  }
  const out: number[] = [];
  for (let i = s; step > 0 ? i < e : i > e; i += step) out.push(i);
  return out;
}

/** x restricted to the given positions per axis (outer product), in row-major order. */
function gatherProduct(x: PartialValue, picks: number[][]): PartialValue {
  const dims = picks.map((p) => p.length);
  const st = stridesOf(x.dims);
  const out: Elem[] = [];
  const walk = (axis: number, base: number) => {
    if (axis === dims.length) {
      out.push(x.values[base]);
      return;
    }
    for (const p of picks[axis]) walk(axis + 1, base + p * st[axis]);
  };
  if (size(dims) > 0) walk(0, 0);
  return { dims, values: out, dataType: x.dataType };
}

/** The batch power of a target element: a number has 0, a monomial its power, unknown NaN. */
const powerOf = (e: Elem): number => (e === undefined ? NaN : isSym(e) ? e.p : 0);
/** Power of a broadcast axis: the largest (a length-1 operand broadcasts), NaN if any is NaN. */
const maxPower = (ps: number[]): number => (ps.some(Number.isNaN) ? NaN : Math.max(0, ...ps));

/**
 * Batch powers of output `which` of a node that is not evaluated as shape arithmetic (see the module
 * comment). Unknown operators, ranks or arguments give 'unknown'.
 */
function propagate(
  node: NodeProto,
  which: number,
  shapes: ShapeMap,
  powersOf: (t: string) => BatchPowers,
  values: ReadonlyMap<string, PartialValue>,
): BatchPowers {
  const op = node.opType;
  const outRank = shapes.get(node.output[which])?.length;
  const ins = node.input.map((t) => (t ? powersOf(t) : []));
  const x = ins[0];
  const sameRank = (a: BatchPowers): BatchPowers => (a !== 'unknown' && (outRank === undefined || a.length === outRank) ? a : 'unknown');
  if (SAME_AXES.has(op)) return sameRank(x);
  if (BROADCAST.has(op)) {
    if (ins.some((a) => a === 'unknown')) return 'unknown';
    const lists = ins as number[][];
    const rank = Math.max(...lists.map((a) => a.length));
    const per: number[][] = Array.from({ length: rank }, () => []);
    for (const a of lists) a.forEach((p, i) => per[rank - a.length + i].push(p));
    return sameRank(per.map(maxPower));
  }
  if (x === 'unknown') return 'unknown';
  const sum = (ps: number[]) => ps.reduce((s, p) => s + p, 0);
  switch (op) {
    case 'Transpose': {
      const perm = attrInts(node, 'perm') ?? x.map((_, i) => x.length - 1 - i);
      return perm.map((p) => x[p]);
    }
    case 'Reshape': {
      const target = node.input[1] ? values.get(node.input[1]) : undefined;
      if (!target) return 'unknown';
      const allowzero = attrInt(node, 'allowzero', 0) === 1;
      const out = target.values.map((d, i) => (d === 0 && !allowzero ? (x[i] ?? NaN) : d === -1 ? 0 : powerOf(d)));
      const minus = target.values.indexOf(-1);
      // -1 takes what is left of the total: B^(sum of input powers - sum of the other target powers).
      if (minus >= 0) out[minus] = sum(x) - sum(out.filter((_, i) => i !== minus));
      return sameRank(out.map((p) => (p < 0 ? NaN : p)));
    }
    case 'Flatten': {
      const a = attrInt(node, 'axis', 1);
      const axis = a < 0 ? a + x.length : a;
      return [sum(x.slice(0, axis)), sum(x.slice(axis))];
    }
    case 'Unsqueeze': {
      const axes = axesArg(node, values, 1);
      if (!Array.isArray(axes)) return 'unknown';
      const r = x.length + axes.length;
      const norm = new Set(axes.map((a) => (a + r) % r));
      const out: number[] = [];
      let k = 0;
      for (let i = 0; i < r; i++) out.push(norm.has(i) ? 0 : x[k++]);
      return out;
    }
    case 'Squeeze': {
      const axes = axesArg(node, values, 1);
      if (!Array.isArray(axes)) return 'unknown';
      const drop = new Set(axes.map((a) => (a + x.length) % x.length));
      return sameRank(x.filter((_, i) => !drop.has(i)));
    }
    case 'Concat': {
      if (ins.some((a) => a === 'unknown' || a.length !== x.length)) return 'unknown';
      const lists = ins as number[][];
      const axis = (attrInt(node, 'axis', 0) + x.length) % x.length;
      // Along the axis the lengths add: c1 B^p + c2 B^q is a monomial only when p = q.
      return x.map((_, i) => (i === axis ? (lists.every((a) => a[i] === x[i]) ? x[i] : NaN) : maxPower(lists.map((a) => a[i]))));
    }
    case 'Gather': {
      const idx = ins[1];
      if (idx === 'unknown') return 'unknown';
      const axis = (attrInt(node, 'axis', 0) + x.length) % x.length;
      return sameRank([...x.slice(0, axis), ...idx, ...x.slice(axis + 1)]);
    }
    case 'GatherElements':
      return sameRank(ins[1]);
    case 'MatMul': {
      const b = ins[1];
      if (b === 'unknown' || x.length < 2 || b.length < 2) return 'unknown';
      const lead = Math.max(x.length, b.length) - 2;
      const per: number[][] = Array.from({ length: lead }, () => []);
      x.slice(0, -2).forEach((p, i) => per[lead - (x.length - 2) + i].push(p));
      b.slice(0, -2).forEach((p, i) => per[lead - (b.length - 2) + i].push(p));
      return sameRank([...per.map(maxPower), x[x.length - 2], b[b.length - 1]]);
    }
    case 'Gemm': {
      const b = ins[1];
      if (b === 'unknown' || x.length !== 2 || b.length !== 2) return 'unknown';
      return [x[attrInt(node, 'transA', 0) ? 1 : 0], b[attrInt(node, 'transB', 0) ? 0 : 1]];
    }
    case 'Expand': {
      const target = node.input[1] ? values.get(node.input[1]) : undefined;
      if (!target) return 'unknown';
      const rank = Math.max(x.length, target.values.length);
      const per: number[][] = Array.from({ length: rank }, () => []);
      x.forEach((p, i) => per[rank - x.length + i].push(p));
      target.values.forEach((e, i) => per[rank - target.values.length + i].push(powerOf(e)));
      return sameRank(per.map(maxPower));
    }
    case 'Tile': {
      const reps = node.input[1] ? values.get(node.input[1]) : undefined;
      if (!reps) return 'unknown';
      return sameRank(x.map((p, i) => p + powerOf(reps.values[i])));
    }
    case 'ConstantOfShape': {
      const target = values.get(node.input[0]);
      return target ? sameRank(target.values.map(powerOf)) : 'unknown';
    }
    case 'Einsum':
      return einsumPowers(attrString(node, 'equation', ''), ins);
    default:
      break;
  }
  if (REDUCE.has(op)) {
    const axesIn = axesArg(node, values, 1);
    if (axesIn === 'unknown') return 'unknown';
    if (attrInt(node, 'noop_with_empty_axes', 0) === 1 && (!axesIn || axesIn.length === 0)) return sameRank(x);
    const axes = new Set((axesIn && axesIn.length > 0 ? axesIn : x.map((_, i) => i)).map((a) => (a + x.length) % x.length));
    return sameRank(attrInt(node, 'keepdims', 1) === 1 ? x.map((p, i) => (axes.has(i) ? 0 : p)) : x.filter((_, i) => !axes.has(i)));
  }
  return 'unknown';
}

/** Output batch powers of an Einsum without ellipses: each output letter takes its inputs' power. */
function einsumPowers(equation: string, ins: BatchPowers[]): BatchPowers {
  const eq = equation.replace(/\s+/g, '');
  if (!eq.includes('->') || eq.includes('...')) return 'unknown';
  const [lhs, rhs] = eq.split('->');
  const terms = lhs.split(',');
  if (terms.length !== ins.length) return 'unknown';
  const power = new Map<string, number[]>();
  for (let t = 0; t < terms.length; t++) {
    const a = ins[t];
    if (a === 'unknown' || a.length !== terms[t].length) return 'unknown';
    [...terms[t]].forEach((c, i) => power.set(c, [...(power.get(c) ?? []), a[i]]));
  }
  return [...rhs].map((c) => maxPower(power.get(c) ?? [NaN]));
}

/**
 * A Constant node holding a folded value, for the element types we write (float, double, int32, int64, int8,
 * uint8, bool); undefined otherwise. int64 values are clamped to the int64 range (exporters write INT64_MAX
 * as a Slice end, which a double does not hold exactly).
 */
export function constantNodeFor(name: string, output: string, v: ConstantValue): NodeProto | undefined {
  if (v.values.length !== size(v.dims)) return undefined;
  let t: TensorProto;
  switch (v.dataType) {
    case DataType.FLOAT:
      t = makeTensor('value', v.dims, Float32Array.from(v.values));
      break;
    case DataType.DOUBLE:
      t = makeTensor('value', v.dims, Float64Array.from(v.values));
      break;
    case DataType.INT32:
      t = makeTensor('value', v.dims, Int32Array.from(v.values));
      break;
    case DataType.INT8:
      t = makeTensor('value', v.dims, Int8Array.from(v.values));
      break;
    case DataType.UINT8:
      t = makeTensor('value', v.dims, Uint8Array.from(v.values));
      break;
    case DataType.BOOL:
      t = makeTensor(
        'value',
        v.dims,
        Uint8Array.from(v.values, (x) => (x ? 1 : 0)),
        DataType.BOOL,
      );
      break;
    case DataType.INT64: {
      const max = 2n ** 63n - 1n;
      const min = -(2n ** 63n);
      const big = (x: number) => {
        const b = BigInt(Math.trunc(x));
        return b > max ? max : b < min ? min : b;
      };
      t = makeTensor('value', v.dims, BigInt64Array.from(v.values, big));
      break;
    }
    default:
      return undefined;
  }
  return { opType: 'Constant', input: [], output: [output], name, attribute: [{ name: 'value', type: AttrType.TENSOR, t }] };
}

/**
 * `nodes` with the shape arithmetic that folded completely replaced by Constant nodes (same output names), so
 * the models built from them compute no Shape -> Gather -> ... chain for it at run time; the chains that stay
 * (batch-dependent ones, e.g. Reshape targets `[batch, 2, c/2, h, w]`) keep their nodes.
 */
export function replaceFolded(nodes: readonly NodeProto[], folded: FoldResult): NodeProto[] {
  return nodes.flatMap((n) => {
    if (n.opType === 'Constant' || n.output.length === 0) return [n];
    if (!n.output.every((o) => !o || (folded.shapeDerived.has(o) && folded.constants.has(o)))) return [n];
    const made = n.output.filter(Boolean).map((o) => constantNodeFor(`${n.name || o}/folded`, o, folded.constants.get(o)!));
    return made.every((m): m is NodeProto => m !== undefined) ? made : [n];
  });
}

/**
 * Appends nodes and constants to a model under construction: fresh tensor names, cached constants of the
 * model's float type, and the few composite helpers rules share (unbroadcast, zeros, reductions by opset).
 */
import { makeNode, makeTensor, type AttrValue } from '../onnx/build';
import { DataType, type NodeProto, type TensorProto } from '../onnx/proto';

export class GraphEmitter {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  private counter = 0;
  private readonly cache = new Map<string, string>();
  /** Tensors that already have a name in the graph (to keep fresh names unique). */
  private readonly taken: Set<string>;

  constructor(
    /** Opset of the model being written (>= 16). */
    readonly opset: number,
    /** FLOAT or DOUBLE: the type of activations and cotangents. */
    readonly elemType: number,
    taken: Iterable<string> = [],
    private readonly prefix = 'nf_bw',
  ) {
    this.taken = new Set(taken);
  }

  fresh(hint = 't'): string {
    let name: string;
    do name = `${this.prefix}/${this.counter++}/${hint}`;
    while (this.taken.has(name));
    this.taken.add(name);
    return name;
  }

  /** Adds a node with one output; returns the output name. */
  op(opType: string, inputs: string[], attrs: Record<string, AttrValue | undefined> = {}, hint?: string): string {
    const out = this.fresh(hint ?? opType);
    this.nodes.push(makeNode(opType, inputs, [out], attrs, out));
    return out;
  }

  /** Adds a node with `n` outputs. */
  opN(opType: string, inputs: string[], n: number, attrs: Record<string, AttrValue | undefined> = {}): string[] {
    const outs = Array.from({ length: n }, () => this.fresh(opType));
    this.nodes.push(makeNode(opType, inputs, outs, attrs, outs[0]));
    return outs;
  }

  /** An int64 constant (cached by value). `dims` defaults to a 1-D tensor; `[]` makes a scalar. */
  ints(values: number[], dims: number[] = [values.length]): string {
    return this.constant('i64', values, dims, () => BigInt64Array.from(values, (v) => BigInt(v)));
  }

  /** A constant of the activation type (float32 or float64). */
  floats(values: ArrayLike<number>, dims: number[]): string {
    const vals = Array.from(values);
    return this.constant('f', vals, dims, () => (this.elemType === DataType.DOUBLE ? Float64Array.from(vals) : Float32Array.from(vals)));
  }

  scalar(v: number): string {
    return this.floats([v], []);
  }

  private constant(kind: string, values: number[], dims: number[], make: () => Float32Array | Float64Array | BigInt64Array): string {
    const small = values.length <= 64;
    const key = small ? `${kind}|${dims.join(',')}|${values.join(',')}` : '';
    if (small && this.cache.has(key)) return this.cache.get(key)!;
    const name = this.fresh(kind === 'i64' ? 'ints' : 'const');
    this.initializers.push(makeTensor(name, dims, make()));
    if (small) this.cache.set(key, name);
    return name;
  }

  /** A tensor of zeros shaped like `x` (resolved at run time). */
  zerosLike(x: string): string {
    const zero = makeTensor('value', [1], this.elemType === DataType.DOUBLE ? new Float64Array(1) : new Float32Array(1));
    return this.op('ConstantOfShape', [this.op('Shape', [x])], { value: zero }, 'zeros');
  }

  /** ReduceSum over `axes` (none: returns x unchanged; never an empty axes input, which reduces everything). */
  reduceSum(x: string, axes: number[], keepdims: boolean): string {
    if (axes.length === 0) return x;
    return this.op('ReduceSum', [x, this.ints(axes)], { keepdims: keepdims ? 1 : 0 });
  }

  /** ReduceMean/ReduceMax/ReduceProd...: axes as an attribute below opset 18, as an input from 18. */
  reduce(opType: string, x: string, axes: number[] | undefined, keepdims: boolean): string {
    if (opType === 'ReduceSum') return axes ? this.reduceSum(x, axes, keepdims) : this.op(opType, [x], { keepdims: keepdims ? 1 : 0 });
    if (this.opset >= 18) {
      return this.op(opType, axes ? [x, this.ints(axes)] : [x], { keepdims: keepdims ? 1 : 0 });
    }
    return this.op(opType, [x], { axes, keepdims: keepdims ? 1 : 0 });
  }

  unsqueeze(x: string, axes: number[]): string {
    return axes.length === 0 ? x : this.op('Unsqueeze', [x, this.ints(axes)]);
  }

  squeeze(x: string, axes: number[]): string {
    return axes.length === 0 ? x : this.op('Squeeze', [x, this.ints(axes)]);
  }

  /** Reshape `g` to the run-time shape of `like`. */
  reshapeLike(g: string, like: string): string {
    return this.op('Reshape', [g, this.op('Shape', [like])]);
  }

  /**
   * Sums a cotangent of shape `outShape` down to a broadcast operand of shape `inShape` (numpy rules, shapes
   * aligned right). Axis 0 of equal-rank shapes is the batch and is never reduced.
   */
  unbroadcast(g: string, outShape: readonly number[], inShape: readonly number[]): string {
    const lead = outShape.length - inShape.length;
    const keep: number[] = [];
    for (let i = Math.max(lead, 1); i < outShape.length; i++) {
      if (inShape[i - lead] === 1 && outShape[i] !== 1) keep.push(i);
    }
    if (lead === 0 && inShape.length > 0 && inShape[0] === 1 && outShape[0] !== 1) keep.unshift(0);
    let r = this.reduceSum(g, keep, true);
    if (lead > 0)
      r = this.reduceSum(
        r,
        Array.from({ length: lead }, (_, i) => i),
        false,
      );
    return r;
  }
}

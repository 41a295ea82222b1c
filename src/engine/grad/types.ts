/**
 * The contract between the backward builder and the per-operator rules (`rules/<OpType>.ts`).
 */
import type { NodeProto } from '../onnx/proto';
import type { GraphEmitter } from './emitter';

/** Static shapes of segment tensors, batch dim included (probe runs use batch 1; rules never rely on it). */
export type ShapeMap = ReadonlyMap<string, readonly number[]>;

/** A constant tensor's values (initializer or Constant node), as plain numbers. */
export interface ConstantValue {
  dims: number[];
  values: number[];
  /** ONNX element type, where known (TensorProto.DataType). */
  dataType?: number;
}

export interface GradContext {
  readonly node: NodeProto;
  /** Emits the backward nodes (and constants) into the model being built. */
  readonly em: GraphEmitter;
  /** Opset of the segment's nodes as given (the rule reads attribute-vs-input forms accordingly). */
  readonly sourceOpset: number;
  /** The cotangent of output `i`, or undefined when no cotangent flows into it. */
  gradOf(i: number): string | undefined;
  /** The cotangent of output `i`, or zeros shaped like that output when none flows into it. */
  gradOrZeros(i: number): string;
  /** True when input `i` carries a cotangent (it depends on the lower activation and is differentiable). */
  needs(i: number): boolean;
  /** Static shape of a tensor (batch dim included); throws a GradientError naming the node when unknown. */
  shape(tensor: string): readonly number[];
  /**
   * The axis of `tensor` that carries the batch (its length is B times a constant; the others do not depend
   * on B), -1 when no axis depends on the batch, undefined when that is not known. Usually 0; not for
   * tensors whose batch axis was moved (Swin's attention: qkv is [3, B*windows, heads, tokens, d]).
   */
  batchAxis(tensor: string): number | undefined;
  /** Value of a constant input (initializer, Constant node or a constant computed from them), else undefined. */
  constant(tensor: string): ConstantValue | undefined;
  /** Throws a GradientError naming the operator and the node. */
  fail(why: string): never;
}

/**
 * One backward rule: given the node and the cotangents of its outputs, returns the cotangent of each input
 * (undefined for inputs that need none). Cotangents have exactly the shape of their forward tensor.
 */
export interface GradRule {
  readonly opType: string;
  grad(ctx: GradContext): (string | undefined)[];
}

/**
 * The model summary: what `describeModel` returns (worker -> host) and what the panel shows (host -> webview).
 * Plain JSON data, shared by the worker, the extension host and the webview; declared once as valibot schemas
 * (the types are inferred), checked where it crosses a boundary with `isModelSummary`.
 */
import * as v from 'valibot';
import { conforms, index } from '../engine/util/checked';

const str = v.string();

/** A graph input or output. `shape` holds numbers for fixed dimensions and names for symbolic ones. */
export const TensorSummarySchema = v.object({
  name: str,
  /** Element type, lower case (`float`, `int64`, ...). */
  elemType: str,
  shape: v.array(v.union([v.number(), str])),
});
export type TensorSummary = v.InferOutput<typeof TensorSummarySchema>;

/** One analysis layer (a cut tensor, docs/design.md section 3.1). */
export const LayerSummarySchema = v.object({
  /** Module path (`layer4.1`) or the tensor name. */
  name: str,
  tensor: str,
  /** Shape without the batch dimension. */
  shape: v.array(v.number()),
  /** The operator that produces the tensor. */
  op: str,
});
export type LayerSummary = v.InferOutput<typeof LayerSummarySchema>;

export const OperatorCountSchema = v.object({ opType: str, count: index });
export type OperatorCount = v.InferOutput<typeof OperatorCountSchema>;

export const ModelSummarySchema = v.object({
  /** Absolute path of the model file. */
  path: str,
  fileName: str,
  sizeBytes: index,
  irVersion: index,
  /** The default-domain opset. */
  opset: index,
  producer: str,
  inputs: v.array(TensorSummarySchema),
  outputs: v.array(TensorSummarySchema),
  /** Operator types with their node counts, most frequent first. */
  operators: v.array(OperatorCountSchema),
  nodeCount: index,
  /** Number of weights (initializer and Constant-node elements). */
  parameterCount: index,
  /** Detected analysis layers, bottom to top; empty when detection is not available for this model. */
  layers: v.array(LayerSummarySchema),
  /** Why `layers` is empty or partial, when it is. */
  layersNote: v.optional(str),
  /** Execution provider used for the shape probe, when one ran. */
  provider: v.optional(str),
});
export type ModelSummary = v.InferOutput<typeof ModelSummarySchema>;

/** Runtime check of a summary that crossed a process or frame boundary. */
export function isModelSummary(x: unknown): x is ModelSummary {
  return conforms(ModelSummarySchema, x);
}

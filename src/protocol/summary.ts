/**
 * The model summary: what `describeModel` returns (worker -> host) and what the panel shows (host -> webview).
 * Plain JSON data, shared by the worker, the extension host and the webview.
 */

/** A graph input or output. `shape` holds numbers for fixed dimensions and names for symbolic ones. */
export interface TensorSummary {
  name: string;
  /** Element type, lower case (`float`, `int64`, ...). */
  elemType: string;
  shape: (number | string)[];
}

/** One analysis layer (a cut tensor, DESIGN.md section 3.1). */
export interface LayerSummary {
  /** Module path (`layer4.1`) or the tensor name. */
  name: string;
  tensor: string;
  /** Shape without the batch dimension. */
  shape: number[];
  /** The operator that produces the tensor. */
  op: string;
}

export interface OperatorCount {
  opType: string;
  count: number;
}

export interface ModelSummary {
  /** Absolute path of the model file. */
  path: string;
  fileName: string;
  sizeBytes: number;
  irVersion: number;
  /** The default-domain opset. */
  opset: number;
  producer: string;
  inputs: TensorSummary[];
  outputs: TensorSummary[];
  /** Operator types with their node counts, most frequent first. */
  operators: OperatorCount[];
  nodeCount: number;
  /** Number of weights (initializer and Constant-node elements). */
  parameterCount: number;
  /** Detected analysis layers, bottom to top; empty when detection is not available for this model. */
  layers: LayerSummary[];
  /** Why `layers` is empty or partial, when it is. */
  layersNote?: string;
  /** Execution provider used for the shape probe, when one ran. */
  provider?: string;
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function isTensorSummary(x: unknown): x is TensorSummary {
  return isObject(x) && typeof x.name === 'string' && typeof x.elemType === 'string' && Array.isArray(x.shape);
}

function isLayerSummary(x: unknown): x is LayerSummary {
  return isObject(x) && typeof x.name === 'string' && typeof x.tensor === 'string' && Array.isArray(x.shape) &&
    x.shape.every((d) => typeof d === 'number') && typeof x.op === 'string';
}

/** Runtime check of a summary that crossed a process or frame boundary. */
export function isModelSummary(x: unknown): x is ModelSummary {
  return isObject(x) && typeof x.path === 'string' && typeof x.fileName === 'string' &&
    typeof x.opset === 'number' && Array.isArray(x.inputs) && x.inputs.every(isTensorSummary) &&
    Array.isArray(x.outputs) && x.outputs.every(isTensorSummary) && Array.isArray(x.operators) &&
    x.operators.every((o) => isObject(o) && typeof o.opType === 'string' && typeof o.count === 'number') &&
    Array.isArray(x.layers) && x.layers.every(isLayerSummary);
}
